// `tinyopt new --arch NAME [--width W] [--classes N] [--seed S] -o OUT.onnx`: an untrained built-in
// architecture, written as ONNX.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt::cli {

void add_new_verb(CLI::App& app) {
  struct Args {
    std::string arch, out;
    float width = 1.0f;
    int classes = 0;
    uint64_t seed = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  std::string help = "an untrained built-in architecture; one of:";
  for (const auto& name : architecture_names()) help += "\n  " + name + ": " + architecture_description(name);
  CLI::App* cmd = app.add_subcommand("new", "write an untrained built-in architecture as ONNX");
  cmd->footer(help);
  cmd->add_option("--arch", args->arch, "architecture name")->required();
  cmd->add_option("--width", args->width, "channel width multiplier")->check(CLI::Range(0.01f, 4.0f));
  cmd->add_option("--classes", args->classes, "number of classes (0 = the architecture's default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", args->seed, "seed of the weight initialization");
  cmd->add_option("-o,--output", args->out, "output .onnx file")->required();
  cmd->add_flag("--json", args->json, "print a JSON object");
  cmd->callback([args] {
    const Graph g = build_architecture(args->arch, ArchOptions{args->width, args->classes, args->seed});
    save_onnx(g, args->out);
    const ModelSummary s = summarize_model(g);
    if (args->json)
      fmt::print("{}\n", nlohmann::json{{"output", args->out}, {"arch", args->arch}, {"params", s.params},
                                        {"macs", s.macs}}
                             .dump(2));
    else
      fmt::print("{}: {} (width {}), {} params, {} MACs\n", args->out, args->arch, args->width, s.params, s.macs);
  });
}

}  // namespace tinyopt::cli
