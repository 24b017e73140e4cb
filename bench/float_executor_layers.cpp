// Per-layer profile of the float executor on the real layer shapes of the benchmark models (STYLE.md
// convention 11): every node of every model in the manifest that `float_executor_bench prepare` wrote is
// cut out into a one-node graph (its initializers kept, its other inputs made graph inputs with the shapes
// they have at batch 1) and timed alone with FloatExecutor, batch 1, 1 thread. Prints, per model, each
// node's median time, its share of the sum and its GFLOP/s (MACs from op_cost) to JSON, and prints the
// time per op kind and the slowest nodes.
//
// It shows where the batch-1 latency goes, kernel by kernel; it is not the latency itself (no fusion
// across nodes, and each node starts with warm caches), which float_executor_bench measures.
//
// Usage: float_executor_layers DIR OUT.json   (DIR as for float_executor_bench)
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench_io.h"
#include "bench_timing.h"
#include "tinyopt/core/op_cost.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tb = tinyopt::bench;
using nlohmann::json;
using tinyopt::Graph;
using tinyopt::Node;
using tinyopt::Tensor;

namespace {

constexpr tb::TimingProtocol kLayerProtocol{
    .batch = 1, .threads = 1, .warmup = 20, .min_runs = 100, .min_seconds = 0.3, .max_runs = 20000};

// The node as a graph of its own: initializer inputs stay initializers, other inputs become graph inputs
// with their inferred (batch-1) shapes.
Graph single_node_graph(const Graph& g, const Node& node) {
  Graph one;
  one.name = node.name;
  one.opset = g.opset;
  for (const std::string& in : node.inputs) {
    if (in.empty() || one.has_value(in)) continue;
    const tinyopt::Value& v = g.value(in);
    one.set_value(v);
    if (!v.is_initializer()) one.inputs.push_back(in);
  }
  for (const std::string& out : node.outputs) {
    if (out.empty()) continue;
    one.set_value(g.value(out));
    one.outputs.push_back(out);
  }
  one.nodes.push_back(node);
  return one;
}

// Seeded inputs for the one-node graph (values in [-1, 1]; dtype float only, as in the float models).
std::vector<Tensor> random_inputs(const Graph& one, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (const std::string& name : one.inputs) {
    Tensor t(tinyopt::DType::kF32, one.value(name).shape);
    for (float& v : t.span<float>()) v = uniform(rng);
    inputs.push_back(t);
  }
  return inputs;
}

// "Conv 3x3 s1", "Conv dw 3x3 s2", "Conv 1x1": conv kinds take very different kernel paths.
std::string kind_of(const Graph& g, const Node& node) {
  std::string kind(tinyopt::op_name(node.op));
  if (node.op != tinyopt::OpType::kConv) return kind;
  const tinyopt::Shape& w = g.value(node.inputs.at(1)).shape;  // (K, C/group, kh, kw)
  const int64_t group = node.attr_int("group", 1);
  const int64_t stride = node.attr_ints("strides", {1, 1}).at(0);
  if (group > 1 && w.at(1) == 1) kind += " dw";
  kind += " " + std::to_string(w.at(2)) + "x" + std::to_string(w.at(3)) + " s" + std::to_string(stride);
  return kind;
}

// The op kinds by share of the time, then the slowest nodes; the JSON has every node.
void print_summary(const std::string& model, const json& layers, const std::map<std::string, double>& per_kind,
                   double total) {
  std::printf("\n%s: sum of nodes %.1f us (batch 1, 1 thread)\n  by kind:", model.c_str(), total);
  std::vector<std::pair<double, std::string>> kinds;
  for (const auto& [kind, us] : per_kind) kinds.emplace_back(us, kind);
  std::sort(kinds.rbegin(), kinds.rend());
  for (const auto& [us, kind] : kinds) std::printf(" %s %.0f%%,", kind.c_str(), 100 * us / total);
  std::vector<const json*> slowest;
  for (const json& l : layers) slowest.push_back(&l);
  std::sort(slowest.begin(), slowest.end(),
            [](const json* a, const json* b) { return (*a)["us"].get<double>() > (*b)["us"].get<double>(); });
  std::printf("\n  %-20s %-18s %-16s %8s %6s %8s\n", "slowest nodes", "kind", "output", "us", "%", "GFLOP/s");
  for (size_t i = 0; i < std::min<size_t>(slowest.size(), 6); ++i) {
    const json& l = *slowest[i];
    std::printf("  %-20s %-18s %-16s %8.1f %6.1f %8.1f\n", l["node"].get<std::string>().c_str(),
                l["kind"].get<std::string>().c_str(),
                tinyopt::shape_str(l["output_shape"].get<tinyopt::Shape>()).c_str(), l["us"].get<double>(),
                100.0 * l["us"].get<double>() / total, l["gflops"].get<double>());
  }
}

json profile_model(const json& model) {
  Graph g = tinyopt::load_onnx(model.at("onnx"));
  tinyopt::infer_shapes(g, 1);
  std::mt19937 rng(7);
  json layers = json::array();
  std::map<std::string, double> per_kind;
  double total = 0;
  for (const Node& node : g.nodes) {
    const Graph one = single_node_graph(g, node);
    tinyopt::ExecOptions opts;
    opts.threads = kLayerProtocol.threads;
    tinyopt::FloatExecutor ex(one, opts);
    const std::vector<Tensor> inputs = random_inputs(one, rng);
    const double us = tb::time_runs([&] { ex.run(inputs); }, kLayerProtocol).median_seconds * 1e6;
    const int64_t macs = tinyopt::node_cost(g, node).macs;
    const std::string kind = kind_of(g, node);
    per_kind[kind] += us;
    total += us;
    layers.push_back({{"node", node.name},
                      {"kind", kind},
                      {"input_shape", g.value(node.inputs.at(0)).shape},
                      {"output_shape", g.value(node.outputs.at(0)).shape},
                      {"us", us},
                      {"macs", macs},
                      {"gflops", macs > 0 ? 2.0 * static_cast<double>(macs) / (us * 1e3) : 0.0}});
  }
  print_summary(model.at("name"), layers, per_kind, total);
  return {{"layers", layers}, {"sum_us", total}, {"by_kind_us", per_kind}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: float_executor_layers DIR OUT.json\n");
    return 2;
  }
  try {
    const json manifest = tb::read_json(std::string(argv[1]) + "/manifest.json");
    json out = {{"benchmark", "float_executor_layers"},
                {"protocol", tb::to_json(kLayerProtocol)},
                {"models", json::object()}};
    for (const json& model : manifest.at("models")) {
      out["models"][model.at("name").get<std::string>()] = profile_model(model);
    }
    tb::write_json(argv[2], out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "float_executor_layers: %s\n", e.what());
    return 1;
  }
  return 0;
}
