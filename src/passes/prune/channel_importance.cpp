// Channel importance (prune.h, step 2): per-member scores for L1 / L2 filter norm (Li et al. 2017),
// BN-gamma magnitude (network slimming, Liu et al. 2017) and first-order Taylor (taylor_importance.cpp),
// normalized by each member node's mean and summed over a channel's members so scores rank across layers.
// It does not choose what to remove (channel_selection.cpp).
#include <cmath>

#include "passes/prune/prune_internal.h"
#include "tinyopt/core/error.h"

namespace tinyopt::prune {
namespace {

using NodeScores = std::map<std::string, std::vector<double>>;

// Norm of every output filter of each Conv/Gemm whose output channels are tracked.
NodeScores filter_norms(const Graph& g, const ChannelAnalysis& a, int power) {
  NodeScores scores;
  for (const Node& n : g.nodes) {
    if (n.op != OpType::kConv && n.op != OpType::kGemm) continue;
    if (!a.value_elements.count(n.outputs[0]) || !g.value(n.inputs[1]).data) continue;
    const Tensor& w = *g.value(n.inputs[1]).data;
    if (w.dtype() != DType::kF32) continue;
    const bool columns = n.op == OpType::kGemm && n.attr_int("transB", 0) == 0;  // B is [K, N]
    const int64_t outputs = columns ? w.dim(1) : w.dim(0);
    const int64_t per = w.numel() / outputs;
    std::vector<double> s(static_cast<size_t>(outputs), 0.0);
    const float* p = w.data<float>();
    for (int64_t i = 0; i < w.numel(); ++i) {
      const int64_t o = columns ? i % outputs : i / per;
      const double v = std::abs(static_cast<double>(p[i]));
      s[static_cast<size_t>(o)] += power == 1 ? v : v * v;
    }
    if (power == 2)
      for (double& v : s) v = std::sqrt(v);
    scores[n.name] = std::move(s);
  }
  return scores;
}

NodeScores bn_gammas(const Graph& g) {
  NodeScores scores;
  for (const Node& n : g.nodes) {
    if (n.op != OpType::kBatchNormalization || !g.value(n.inputs[1]).data) continue;
    std::vector<double> s;
    for (float v : g.value(n.inputs[1]).data->span<float>()) s.push_back(std::abs(static_cast<double>(v)));
    scores[n.name] = std::move(s);
  }
  return scores;
}

// Adds each node's mean-normalized scores onto the elements of its output channels.
std::vector<double> element_scores(const Graph& g, const ChannelAnalysis& a, const NodeScores& nodes) {
  std::vector<double> e(static_cast<size_t>(a.element_count), 0.0);
  for (const Node& n : g.nodes) {
    auto it = nodes.find(n.name);
    if (it == nodes.end()) continue;
    auto el = a.value_elements.find(n.outputs[0]);
    if (el == a.value_elements.end() || el->second.size() != it->second.size()) continue;
    double mean = 0;
    for (double v : it->second) mean += v;
    mean /= static_cast<double>(std::max<size_t>(1, it->second.size()));
    const double scale = mean > 0 ? 1.0 / mean : 1.0;
    for (size_t i = 0; i < it->second.size(); ++i) e[static_cast<size_t>(el->second[i])] += it->second[i] * scale;
  }
  return e;
}

}  // namespace

Criterion criterion_from_name(const std::string& name) {
  if (name == "l1") return Criterion::kL1;
  if (name == "l2") return Criterion::kL2;
  if (name == "slimming") return Criterion::kSlimming;
  if (name == "taylor") return Criterion::kTaylor;
  throw_usage("unknown pruning criterion '" + name + "'; use l1, l2, slimming or taylor");
}

std::vector<std::vector<double>> channel_scores(const Graph& graph, const ChannelAnalysis& analysis,
                                                Criterion criterion, const TaylorOptions& taylor) {
  const std::vector<double> l1 = element_scores(graph, analysis, filter_norms(graph, analysis, 1));
  std::vector<double> primary;
  switch (criterion) {
    case Criterion::kL1: primary = l1; break;
    case Criterion::kL2: primary = element_scores(graph, analysis, filter_norms(graph, analysis, 2)); break;
    case Criterion::kSlimming: primary = element_scores(graph, analysis, bn_gammas(graph)); break;
    case Criterion::kTaylor:
      primary = element_scores(graph, analysis, detail::taylor_node_scores(graph, taylor));
      break;
  }
  std::vector<std::vector<double>> scores;
  for (const DependencyGroup& g : analysis.groups) {
    auto channel_sum = [&](const std::vector<double>& e, const Channel& c) {
      double s = 0;
      for (int64_t x : c.elements) s += e[static_cast<size_t>(x)];
      return s;
    };
    double total = 0;
    for (const Channel& c : g.channels) total += channel_sum(primary, c);
    // Slimming and Taylor need a BN (or a producing filter): groups without one fall back to L1.
    const std::vector<double>& use = total > 0 ? primary : l1;
    std::vector<double> s;
    for (const Channel& c : g.channels) s.push_back(g.prunable ? channel_sum(use, c) : 0.0);
    scores.push_back(std::move(s));
  }
  return scores;
}

}  // namespace tinyopt::prune
