// `tinyopt emulate DIR|MODEL --target cortex-m4|cortex-m7|rpi4 [--data D --samples N] [--json]`: build the
// model's firmware for an emulated device, run samples under qemu, compare with the host, report
// instructions, flash and RAM (library: include/tinyopt/emulate/emulate.h).
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/emulate/emu_platform.h"
#include "tinyopt/emulate/emulate.h"

namespace tinyopt::cli {
namespace {

nlohmann::json to_json(const EmulateResult& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (const EmulatedLayer& l : r.layers)
    layers.push_back({{"step", l.step},
                      {"kernel", l.kernel},
                      {"family", l.family},
                      {"nodes", l.nodes},
                      {"macs", l.macs},
                      {"instructions", l.instructions},
                      {"instructions_per_mac", l.instructions_per_mac()}});
  return {{"target", r.target},
          {"model", r.model},
          {"reference", r.reference},
          {"samples", r.samples},
          {"mismatches", r.mismatches},
          {"mismatched_bytes", r.mismatched_bytes},
          {"identical", r.identical},
          {"accuracy", r.accuracy ? nlohmann::json(*r.accuracy) : nlohmann::json(nullptr)},
          {"instructions_per_inference", r.instructions_per_inference},
          {"instructions_min", r.instructions_min},
          {"instructions_max", r.instructions_max},
          {"macs", r.macs},
          {"instructions_per_mac", r.macs > 0 ? r.instructions_per_inference / static_cast<double>(r.macs) : 0.0},
          {"flash_bytes", r.flash_bytes},
          {"ram_bytes", r.ram_bytes},
          {"text_bytes", r.text_bytes},
          {"rodata_bytes", r.rodata_bytes},
          {"data_bytes", r.data_bytes},
          {"bss_bytes", r.bss_bytes},
          {"stack_bytes", r.stack_bytes},
          {"arena_bytes", r.arena_bytes},
          {"arena_used_bytes", r.arena_used_bytes},
          {"weight_bytes", r.weight_bytes},
          {"requant_bytes", r.requant_bytes},
          {"code_overhead_bytes", r.code_overhead_bytes},
          {"kernels", r.kernels},
          {"layers", layers}};
}

void print_text(const EmulateResult& r) {
  fmt::print("{} on {} (vs {}): {} samples, {} mismatching", r.model, r.target, r.reference, r.samples,
             r.mismatches);
  if (r.accuracy) fmt::print(", device accuracy {:.2f}%", 100.0 * *r.accuracy);
  fmt::print("\n");
  fmt::print("instructions per inference {:.0f} ({:.2f} per MAC, {} MACs)\n", r.instructions_per_inference,
             r.macs > 0 ? r.instructions_per_inference / static_cast<double>(r.macs) : 0.0, r.macs);
  fmt::print("flash {} B (code+consts {} + {} B, weights {} B, requantization {} B, runtime overhead {} B); "
             "RAM {} B (data+bss {} B incl. arena {} B of which {} B touched, stack {} B)\n",
             r.flash_bytes, r.text_bytes, r.rodata_bytes + r.data_bytes, r.weight_bytes, r.requant_bytes,
             r.code_overhead_bytes, r.ram_bytes, r.data_bytes + r.bss_bytes, r.arena_bytes, r.arena_used_bytes,
             r.stack_bytes);
  if (r.layers.empty() || r.instructions_per_inference == 0) return;
  fmt::print("{:>4}  {:<28} {:>10} {:>12} {:>9}\n", "step", "kernel", "MACs", "instructions", "insn/MAC");
  for (const EmulatedLayer& l : r.layers)
    fmt::print("{:>4}  {:<28} {:>10} {:>12.0f} {:>9.2f}\n", l.step, l.kernel, l.macs, l.instructions,
               l.instructions_per_mac());
}

}  // namespace

void add_emulate_verb(CLI::App& app) {
  struct Args {
    std::string model, split = "test", keep;
    EmulateOptions opts;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("emulate", "build firmware for an emulated device, run it in qemu, compare with "
                                                "the host, report instructions, flash and RAM");
  cmd->add_option("model", args->model, "quantized ONNX model, or a folder written by `tinyopt codegen`")->required();
  cmd->add_option("--target", args->opts.target, "cortex-m4, cortex-m7 or rpi4")->required();
  cmd->add_option("--data", args->opts.data, "samples: fashion-mnist, a folder of IDX files, x.npy[,y.npy] or a .csv "
                                             "(default: seeded random inputs)");
  cmd->add_option("--samples", args->opts.samples, "number of samples")->check(CLI::Range(int64_t{1}, int64_t{100000}));
  cmd->add_option("--split", args->split, "train or test")->check(CLI::IsMember({"train", "test"}));
  cmd->add_option("--seed", args->opts.seed, "seed of the random inputs");
  cmd->add_flag("--reference-kernels", args->opts.reference_kernels,
                "reference kernels only (the baseline of the dsp / neon variants; MODEL only)");
  cmd->add_option("--keep", args->opts.keep_dir, "keep the generated project, builds and runs in this folder");
  cmd->add_flag("--json", args->json, "print a JSON object");
  cmd->callback([args] {
    args->opts.train_split = args->split == "train";
    const bool is_dir = std::filesystem::is_directory(args->model);
    const Graph graph = is_dir ? Graph() : load_model(args->model);
    const EmulateResult r = with_error_context(args->model, [&] {
      return is_dir ? emulate_project(args->model, args->opts) : emulate_model(graph, args->model, args->opts);
    });
    if (args->json) {
      fmt::print("{}\n", to_json(r).dump(2));
    } else {
      print_text(r);
    }
  });
}

}  // namespace tinyopt::cli
