// `tinyopt inspect MODEL [--json]`: the per-layer cost table of a model, and for a quantized model the
// memory plan of its tensor arena (planned vs naive vs lower bound; docs/memory-planner.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "cli/model_file.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/exec/integer_program.h"
#include "tinyopt/plan/arena_plan.h"

namespace tinyopt::cli {
namespace {

std::string human_count(int64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.2f}M", static_cast<double>(n) / 1e6);
  if (n >= 10'000) return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  return std::to_string(n);
}

void print_table(const std::string& path, const ModelSummary& s) {
  fmt::print("{}\n", path);
  for (const auto& [name, shape] : s.inputs) fmt::print("  input  {} {}\n", name, shape_str(shape));
  for (const auto& [name, shape] : s.outputs) fmt::print("  output {} {}\n", name, shape_str(shape));
  fmt::print("\n{:<28} {:<20} {:<18} {:>9} {:>10} {:>11} {:>4}\n", "layer", "op", "output", "params", "MACs",
             "weight B", "bits");
  for (const auto& l : s.layers)
    fmt::print("{:<28} {:<20} {:<18} {:>9} {:>10} {:>11} {:>4}\n", l.name.substr(0, 28), l.op,
               shape_str(l.output_shape), l.params, l.macs, l.weight_bytes,
               l.weight_bits ? std::to_string(l.weight_bits) : "-");
  fmt::print("\ntotal: {} layers, {} params, {} MACs, {} weight bytes (", s.layers.size(), human_count(s.params),
             human_count(s.macs), s.weight_bytes);
  bool first = true;
  for (const auto& [dtype, bytes] : s.weight_bytes_by_dtype) {
    fmt::print("{}{} {}", first ? "" : ", ", dtype, bytes);
    first = false;
  }
  fmt::print("), peak activations {} bytes (naive sequential schedule)\n", s.peak_activation_bytes);
}

// The arena plan of a quantized model; nullopt for a float model.
std::optional<ArenaPlan> arena_plan_of(const Graph& graph) {
  if (!is_quantized(graph)) return std::nullopt;
  return plan_arena(lower_qdq_graph(graph));
}

void print_arena(const ArenaPlan& p) {
  fmt::print("arena {} bytes (naive {}, lower bound {}; {})\n", p.arena_bytes, p.naive_bytes, p.lower_bound_bytes,
             p.strategy);
}

nlohmann::json to_json(const ModelSummary& s) {
  nlohmann::json j;
  j["params"] = s.params;
  j["macs"] = s.macs;
  j["weight_bytes"] = s.weight_bytes;
  j["weight_bytes_by_dtype"] = s.weight_bytes_by_dtype;
  j["peak_activation_bytes"] = s.peak_activation_bytes;
  j["layers"] = nlohmann::json::array();
  for (const auto& l : s.layers)
    j["layers"].push_back({{"name", l.name}, {"op", l.op}, {"output_shape", l.output_shape}, {"params", l.params},
                           {"macs", l.macs}, {"weight_bytes", l.weight_bytes}, {"weight_bits", l.weight_bits}});
  return j;
}

}  // namespace

void add_inspect_verb(CLI::App& app) {
  struct Args {
    std::string model;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("inspect", "layers, params, MACs, weight bytes, peak activation bytes");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_flag("--json", args->json, "print a JSON object instead of a table");
  cmd->callback([args] {
    const Graph graph = load_model(args->model);
    const ModelSummary s = with_error_context(args->model, [&] { return summarize_model(graph); });
    const std::optional<ArenaPlan> arena = with_error_context(args->model, [&] { return arena_plan_of(graph); });
    if (args->json) {
      nlohmann::json j = to_json(s);
      if (arena) {
        j["arena_bytes"] = arena->arena_bytes;
        j["arena_naive_bytes"] = arena->naive_bytes;
        j["arena_lower_bound_bytes"] = arena->lower_bound_bytes;
        j["arena_strategy"] = arena->strategy;
      }
      fmt::print("{}\n", j.dump(2));
    } else {
      print_table(args->model, s);
      if (arena) print_arena(*arena);
    }
  });
}

}  // namespace tinyopt::cli
