// `tinyopt codegen MODEL --target T -o DIR [--format make|cmake|esp-idf|arduino|zephyr] [--data D | --sample X.npy]
// [--json]`: a C99 project for the target from a quantized model (docs/codegen.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/verbs.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/data/npy.h"

namespace tinyopt::cli {

void add_codegen_verb(CLI::App& app) {
  struct Args {
    std::string model, target, out_dir, format = "make", data, sample;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("codegen", "C99 project (model.c/.h, kernels, build files) for a target");
  cmd->add_option("model", args->model, "quantized ONNX model (see `tinyopt quantize`)")->required();
  cmd->add_option("--target", args->target, "target name (see `tinyopt targets`), a target JSON file, or host")
      ->required();
  cmd->add_option("-o,--output", args->out_dir, "project folder to write (replaced atomically)")->required();
  cmd->add_option("--format", args->format, "packaging: " + fmt::format("{}", fmt::join(codegen_format_names(), ", ")))
      ->check(CLI::IsMember(codegen_format_names()));
  cmd->add_option("--data", args->data, "dataset whose first test sample the example embeds");
  cmd->add_option("--sample", args->sample, ".npy input whose first sample the example embeds");
  cmd->add_flag("--json", args->json, "print a JSON object");
  cmd->callback([args] {
    if (!args->data.empty() && !args->sample.empty()) throw_usage("give --data or --sample, not both");
    const Graph graph = load_model(args->model);
    // Named targets (load_target) are wired in when the target files land; host works now.
    if (args->target != "host") throw_usage("unknown target '" + args->target + "'; targets: host");
    const Target target = host_target();
    CodegenOptions options;
    options.format = parse_codegen_format(args->format);
    if (!args->data.empty()) options.sample_input = take(load_dataset(args->data, Split::kTest), 1).x;
    if (!args->sample.empty()) options.sample_input = read_npy(args->sample);
    const CodegenResult r =
        with_error_context(args->model, [&] { return generate_c_project(graph, target, args->out_dir, options); });
    if (args->json) {
      nlohmann::json steps = nlohmann::json::array();
      for (const CodegenStep& s : r.steps)
        steps.push_back({{"step", s.step}, {"kernel", s.kernel}, {"nodes", s.nodes}, {"macs", s.macs}});
      const nlohmann::json j = {{"output", r.dir},
                                {"target", r.target},
                                {"format", codegen_format_name(r.format)},
                                {"files", r.files},
                                {"sources", r.sources},
                                {"kernels", r.kernels},
                                {"weight_bytes", r.weight_bytes},
                                {"params_bytes", r.params_bytes},
                                {"arena_bytes", r.arena_bytes},
                                {"arena_naive_bytes", r.arena_naive_bytes},
                                {"arena_lower_bound_bytes", r.arena_lower_bound_bytes},
                                {"input_size", r.input_size},
                                {"output_size", r.output_size},
                                {"steps", steps}};
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}: {} project for {} in {} ({} files, {} kernel calls, {} kernels)\n", args->model,
                 codegen_format_name(r.format), r.target, r.dir, r.files.size(), r.steps.size(), r.kernels.size());
      fmt::print("weights {} bytes + params {} bytes in flash; arena {} bytes (naive {}, lower bound {})\n",
                 r.weight_bytes, r.params_bytes, r.arena_bytes, r.arena_naive_bytes, r.arena_lower_bound_bytes);
    }
  });
}

}  // namespace tinyopt::cli
