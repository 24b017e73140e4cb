// `tinyopt inspect MODEL [--compare OTHER] [--json]`: the per-layer cost table of a model, or of two models
// side by side (layers matched by name: before a redesign or prune, and after); for a quantized model also
// the memory plan of its tensor arena (planned vs naive vs lower bound; docs/memory-planner.md).
#include <fmt/format.h>

#include <algorithm>
#include <map>
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

// Layers of both models matched by name, in the order of `after`, with layers only in `before` placed after
// the last matched layer that preceded them.
struct LayerPair {
  const LayerSummary* before = nullptr;
  const LayerSummary* after = nullptr;
};
std::vector<LayerPair> match_layers(const ModelSummary& before, const ModelSummary& after) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < before.layers.size(); ++i) index[before.layers[i].name] = i;
  std::vector<LayerPair> out;
  std::vector<bool> done(before.layers.size(), false);
  for (const LayerSummary& l : after.layers) {
    const auto it = index.find(l.name);
    if (it != index.end()) {
      for (size_t i = 0; i < it->second; ++i)
        if (!done[i] && !std::any_of(after.layers.begin(), after.layers.end(),
                                     [&](const LayerSummary& a) { return a.name == before.layers[i].name; })) {
          out.push_back({&before.layers[i], nullptr});
          done[i] = true;
        }
      done[it->second] = true;
    }
    out.push_back({it != index.end() ? &before.layers[it->second] : nullptr, &l});
  }
  for (size_t i = 0; i < before.layers.size(); ++i)
    if (!done[i]) out.push_back({&before.layers[i], nullptr});
  return out;
}

void print_comparison(const std::string& path, const ModelSummary& s, const std::string& other,
                      const ModelSummary& o) {
  fmt::print("before: {}\nafter:  {}\n\n{:<28} {:<14} {:<14} {:>9} {:>9} {:>10} {:>10}\n", path, other, "layer",
             "op before", "op after", "params", "params'", "MACs", "MACs'");
  auto field = [](const LayerSummary* l, auto get) { return l ? fmt::format("{}", get(*l)) : std::string("-"); };
  for (const LayerPair& p : match_layers(s, o)) {
    const LayerSummary& any = p.after ? *p.after : *p.before;
    fmt::print("{:<28} {:<14} {:<14} {:>9} {:>9} {:>10} {:>10}\n", any.name.substr(0, 28),
               field(p.before, [](const LayerSummary& l) { return l.op; }),
               field(p.after, [](const LayerSummary& l) { return l.op; }),
               field(p.before, [](const LayerSummary& l) { return l.params; }),
               field(p.after, [](const LayerSummary& l) { return l.params; }),
               field(p.before, [](const LayerSummary& l) { return l.macs; }),
               field(p.after, [](const LayerSummary& l) { return l.macs; }));
  }
  auto pct = [](int64_t a, int64_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; };
  fmt::print("\ntotal: params {} -> {} ({:.1f}%), MACs {} -> {} ({:.1f}%), weight bytes {} -> {}, peak activations "
             "{} -> {} bytes\n",
             s.params, o.params, pct(o.params, s.params), s.macs, o.macs, pct(o.macs, s.macs), s.weight_bytes,
             o.weight_bytes, s.peak_activation_bytes, o.peak_activation_bytes);
}

nlohmann::json comparison_json(const std::string& other, const ModelSummary& s, const ModelSummary& o) {
  nlohmann::json layers = nlohmann::json::array();
  auto side = [](const LayerSummary* l) -> nlohmann::json {
    if (!l) return nullptr;
    return {{"op", l->op}, {"output_shape", l->output_shape}, {"params", l->params}, {"macs", l->macs},
            {"weight_bytes", l->weight_bytes}};
  };
  for (const LayerPair& p : match_layers(s, o))
    layers.push_back({{"name", (p.after ? p.after : p.before)->name}, {"before", side(p.before)}, {"after", side(p.after)}});
  return {{"model", other}, {"params", o.params}, {"macs", o.macs}, {"weight_bytes", o.weight_bytes},
          {"peak_activation_bytes", o.peak_activation_bytes}, {"layers", layers}};
}

}  // namespace

void add_inspect_verb(CLI::App& app) {
  struct Args {
    std::string model, compare;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("inspect", "layers, params, MACs, weight bytes, peak activation bytes");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_option("--compare", args->compare, "a second model (e.g. after prune or redesign): layers side by side");
  cmd->add_flag("--json", args->json, "print a JSON object instead of a table");
  cmd->callback([args] {
    const Graph graph = load_model(args->model);
    const ModelSummary s = with_error_context(args->model, [&] { return summarize_model(graph); });
    if (!args->compare.empty()) {
      const Graph other = load_model(args->compare);
      const ModelSummary o = with_error_context(args->compare, [&] { return summarize_model(other); });
      if (args->json) {
        nlohmann::json j = to_json(s);
        j["compare"] = comparison_json(args->compare, s, o);
        fmt::print("{}\n", j.dump(2));
      } else {
        print_comparison(args->model, s, args->compare, o);
      }
      return;
    }
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
