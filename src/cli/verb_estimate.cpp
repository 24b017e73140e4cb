// `tinyopt estimate MODEL --target T [--json]`: predicted latency, energy, flash and RAM of a model on a
// target, per layer and in total (include/tinyopt/target/cost_model.h). A float model is estimated as its
// int8 version; the output says so.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/target/cost_model.h"

namespace tinyopt::cli {
namespace {

nlohmann::json to_json(const Estimate& e) {
  nlohmann::json j = {{"target", e.target},           {"latency_ms", e.latency_ms},
                      {"energy_uj", e.energy_uj},     {"flash_bytes", e.flash_bytes},
                      {"ram_bytes", e.ram_bytes},     {"arena_bytes", e.arena_bytes},
                      {"stack_bytes", e.stack_bytes}, {"weight_bytes", e.weight_bytes},
                      {"code_bytes", e.code_bytes},   {"macs", e.macs},
                      {"cycles", e.cycles},           {"fits_flash", e.fits_flash()},
                      {"fits_ram", e.fits_ram()},     {"notes", e.notes}};
  j["layers"] = nlohmann::json::array();
  for (const LayerEstimate& l : e.layers)
    j["layers"].push_back({{"name", l.name}, {"kernel", l.kernel}, {"cost_key", l.cost_key}, {"macs", l.macs},
                           {"bytes", l.bytes}, {"instructions", l.instructions}, {"cycles", l.cycles},
                           {"latency_ms", l.latency_ms},
                           {"weight_bytes", l.weight_bytes}});
  return j;
}

void print_table(const std::string& model, const Target& t, const Estimate& e) {
  fmt::print("{} on {} ({})\n", model, t.name, t.description);
  for (const std::string& n : e.notes) fmt::print("note: {}\n", n);
  fmt::print("\n{:<28} {:<24} {:>10} {:>12} {:>10} {:>9}\n", "layer", "kernel", "MACs", "cycles", "ms", "weight B");
  for (const LayerEstimate& l : e.layers)
    fmt::print("{:<28} {:<24} {:>10} {:>12.0f} {:>10.3f} {:>9}\n", l.name.substr(0, 28), l.kernel, l.macs, l.cycles,
               l.latency_ms, l.weight_bytes);
  fmt::print("\nlatency {:.3f} ms, energy {:.1f} uJ ({:g} mW x latency)\n", e.latency_ms, e.energy_uj, t.active_power_mw);
  fmt::print("flash {} bytes = weights {} + code {} (of {}{})\n", e.flash_bytes, e.weight_bytes, e.code_bytes,
             t.flash_bytes, e.fits_flash() ? "" : ", DOES NOT FIT");
  fmt::print("RAM   {} bytes = arena {} + stack {} (of {}{})\n", e.ram_bytes, e.arena_bytes, e.stack_bytes, t.ram_bytes,
             e.fits_ram() ? "" : ", DOES NOT FIT");
}

}  // namespace

void add_estimate_verb(CLI::App& app) {
  struct Args {
    std::string model, target;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("estimate", "predicted latency, energy, flash, RAM per layer and total");
  cmd->add_option("model", args->model, "ONNX model (quantized, or float: estimated as its int8 version)")->required();
  cmd->add_option("--target", args->target, "target name (`tinyopt targets`) or target .json file")->required();
  cmd->add_flag("--json", args->json, "print a JSON object instead of a table");
  cmd->callback([args] {
    const Target target = load_target(args->target);
    const Graph graph = load_model(args->model);
    const Estimate e = with_error_context(args->model, [&] { return estimate_model(graph, target); });
    if (args->json) fmt::print("{}\n", to_json(e).dump(2));
    else print_table(args->model, target, e);
  });
}

}  // namespace tinyopt::cli
