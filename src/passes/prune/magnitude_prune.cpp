// Unstructured magnitude pruning (Han et al. 2015): zero the smallest-magnitude Conv/Gemm weights, one
// threshold over all layers (global) or one per layer, shapes unchanged. For analysis and for targets
// with sparse kernels; dense MCU kernels gain nothing from it (structured pruning is what shrinks them).
#include <algorithm>
#include <cmath>

#include "tinyopt/core/error.h"
#include "tinyopt/passes/prune.h"

namespace tinyopt::prune {
namespace {

// Weight initializers of Conv/Gemm nodes (f32, read by one node).
std::vector<std::pair<std::string, std::string>> prunable_weights(const Graph& g) {
  std::vector<std::pair<std::string, std::string>> w;  // node, initializer
  for (const Node& n : g.nodes) {
    if (n.op != OpType::kConv && n.op != OpType::kGemm) continue;
    const Value& v = g.value(n.inputs[1]);
    if (v.data && v.data->dtype() == DType::kF32) w.emplace_back(n.name, n.inputs[1]);
  }
  return w;
}

// The magnitude below which `ratio` of `values` lie (the count-th smallest |v|).
float magnitude_threshold(std::vector<float> magnitudes, double ratio) {
  const auto count = static_cast<size_t>(std::floor(ratio * static_cast<double>(magnitudes.size())));
  if (count == 0) return -1.0f;
  std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(count - 1), magnitudes.end());
  return magnitudes[count - 1];
}

std::vector<float> magnitudes_of(const Tensor& t) {
  std::vector<float> m;
  for (float v : t.span<float>()) m.push_back(std::abs(v));
  return m;
}

}  // namespace

std::vector<LayerSparsity> weight_sparsity(const Graph& graph) {
  std::vector<LayerSparsity> layers;
  for (const auto& [node, name] : prunable_weights(graph)) {
    LayerSparsity l{node, 0, 0};
    for (float v : graph.value(name).data->span<float>()) {
      ++l.weights;
      l.zeros += v == 0.0f ? 1 : 0;
    }
    layers.push_back(l);
  }
  return layers;
}

MagnitudeResult magnitude_prune(const Graph& graph, double ratio, bool global) {
  if (!(ratio >= 0.0 && ratio < 1.0)) throw_usage("--ratio must be in [0, 1), got " + std::to_string(ratio));
  const auto weights = prunable_weights(graph);
  if (weights.empty()) throw Error(ErrorKind::kInfeasible, "nothing is prunable: the model has no Conv or Gemm weights");
  MagnitudeResult r;
  r.graph = graph;
  float global_threshold = -1.0f;
  if (global) {
    std::vector<float> all;
    for (const auto& w : weights) {
      const auto m = magnitudes_of(*graph.value(w.second).data);
      all.insert(all.end(), m.begin(), m.end());
    }
    global_threshold = magnitude_threshold(std::move(all), ratio);
  }
  for (const auto& [node, name] : weights) {
    Tensor t = graph.value(name).data->clone();
    const float threshold = global ? global_threshold : magnitude_threshold(magnitudes_of(t), ratio);
    // Ties at the threshold go too, so a layer may lose slightly more than `ratio`.
    for (float& v : t.span<float>())
      if (std::abs(v) <= threshold) v = 0.0f;
    r.graph.value(name).data = t;
  }
  r.layers = weight_sparsity(r.graph);
  for (const LayerSparsity& l : r.layers) {
    r.weights += l.weights;
    r.zeros += l.zeros;
  }
  return r;
}

}  // namespace tinyopt::prune
