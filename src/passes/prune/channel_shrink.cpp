// The physical channel removal (prune.h, step 4): shrink_channels() slices every weight, BN parameter,
// consumer input channel, FC column block, depthwise group count and Reshape target so the graph computes
// on the kept channels only; mask_channels() zeroes the removed channels instead (the reference the shrunk
// graph must match). Both trust the analysis for what is sliceable; neither scores or selects channels.
#include <algorithm>

#include "passes/prune/prune_internal.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::prune {
namespace detail {

std::vector<char> removed_elements(const ChannelAnalysis& analysis, const ChannelSelection& selection) {
  if (selection.removed.size() != analysis.groups.size()) throw_internal("channel selection does not fit the analysis");
  std::vector<char> removed(static_cast<size_t>(analysis.element_count), 0);
  for (size_t g = 0; g < analysis.groups.size(); ++g) {
    const DependencyGroup& group = analysis.groups[g];
    if (selection.removed[g].size() != group.channels.size())
      throw_internal("channel selection does not fit the analysis");
    for (size_t c = 0; c < group.channels.size(); ++c) {
      if (!selection.removed[g][c]) continue;
      if (!group.prunable) throw_internal("selection removes a channel of an unprunable group: " + group.reason);
      for (int64_t e : group.channels[c].elements) removed[static_cast<size_t>(e)] = 1;
    }
  }
  return removed;
}

std::vector<int64_t> kept_positions(const std::vector<int64_t>& elements, const std::vector<char>& removed) {
  std::vector<int64_t> kept;
  for (size_t i = 0; i < elements.size(); ++i)
    if (!removed[static_cast<size_t>(elements[i])]) kept.push_back(static_cast<int64_t>(i));
  return kept;
}

Tensor take_along(const Tensor& t, int axis, const std::vector<int64_t>& index) {
  Shape shape = t.shape();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t extent = shape[static_cast<size_t>(axis)];
  shape[static_cast<size_t>(axis)] = static_cast<int64_t>(index.size());
  Tensor out(DType::kF32, shape);
  const float* src = t.data<float>();
  float* dst = out.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : index) {
      std::copy_n(src + (o * extent + i) * inner, inner, dst);
      dst += inner;
    }
  return out;
}

void reinfer_shapes(Graph& g, const Graph& original) {
  auto unknown_batch = [&](const std::string& name) {
    return original.has_value(name) && !original.value(name).shape.empty() && original.value(name).shape[0] < 0;
  };
  for (const std::string& in : g.inputs)
    if (unknown_batch(in)) g.value(in).shape[0] = 1;
  for (const Node& n : g.nodes) {
    const std::vector<Shape> shapes = infer_node_shapes(g, n);
    for (size_t i = 0; i < n.outputs.size() && i < shapes.size(); ++i)
      if (!n.outputs[i].empty()) g.value(n.outputs[i]).shape = shapes[i];
  }
  for (const std::string& in : g.inputs)
    if (unknown_batch(in)) g.value(in).shape[0] = -1;
  for (const Node& n : g.nodes)
    for (const std::string& out : n.outputs)
      if (!out.empty() && unknown_batch(out)) g.value(out).shape[0] = -1;
}

}  // namespace detail

namespace {

using detail::kept_positions;
using detail::take_along;

void set_data(Graph& g, const std::string& name, Tensor t) {
  Value& v = g.value(name);
  v.shape = t.shape();
  v.data = std::move(t);
}

// Writes a new Reshape target (a fresh initializer when the old one is shared).
void set_reshape_target(Graph& g, Node& n, const std::vector<int64_t>& target) {
  if (g.value(n.inputs[1]).data->span<int64_t>().size() == target.size() &&
      std::equal(target.begin(), target.end(), g.value(n.inputs[1]).data->span<int64_t>().begin()))
    return;
  const Tensor t = Tensor::from_i64({static_cast<int64_t>(target.size())}, target);
  if (g.consumers(n.inputs[1]).size() == 1) return set_data(g, n.inputs[1], t);
  const std::string name = g.unique_name(n.inputs[1]);
  g.add_initializer(name, t);
  n.inputs[1] = name;
}

class Shrinker {
 public:
  Shrinker(const Graph& graph, const ChannelAnalysis& a, const ChannelSelection& s)
      : src_(graph), a_(a), removed_(detail::removed_elements(a, s)), out_(graph) {}

  Graph run() {
    for (const ChannelShuffle& s : a_.shuffles) shuffles_[s.split_reshape] = &s;
    for (size_t i = 0; i < out_.nodes.size(); ++i) rewrite(out_.nodes[i]);
    detail::reinfer_shapes(out_, src_);
    return std::move(out_);
  }

 private:
  const std::vector<int64_t>* elements(const std::string& v) const {
    auto it = a_.value_elements.find(v);
    return it == a_.value_elements.end() ? nullptr : &it->second;
  }
  std::vector<int64_t> kept(const std::string& v) const { return kept_positions(*elements(v), removed_); }
  bool changed(const std::string& v) const {
    const auto* e = elements(v);
    return e && kept_positions(*e, removed_).size() != e->size();
  }
  const Tensor& data(const std::string& name) const { return *out_.value(name).data; }

  void rewrite(Node& n) {
    switch (n.op) {
      case OpType::kConv: return conv(n);
      case OpType::kGemm: return gemm(n);
      case OpType::kBatchNormalization:
        if (!changed(n.inputs[0])) return;
        for (size_t i = 1; i < 5; ++i) set_data(out_, n.inputs[i], take_along(data(n.inputs[i]), 0, kept(n.inputs[0])));
        return;
      case OpType::kReshape: return reshape(n);
      default: return;
    }
  }

  void conv(Node& n) {
    if (!elements(n.inputs[0]) || !elements(n.outputs[0])) return;
    if (!changed(n.inputs[0]) && !changed(n.outputs[0])) return;
    const std::vector<int64_t> in = kept(n.inputs[0]), out = kept(n.outputs[0]);
    const int64_t groups = n.attr_int("group", 1);
    const int64_t cin = static_cast<int64_t>(elements(n.inputs[0])->size());
    Tensor w = take_along(data(n.inputs[1]), 0, out);
    if (groups == 1) {
      w = take_along(w, 1, in);
    } else if (groups == cin && elements(n.outputs[0])->size() == static_cast<size_t>(cin)) {
      n.attrs["group"] = static_cast<int64_t>(in.size());  // depthwise: one group per kept channel
    } else {
      // Grouped: channel j of every group is tied, so the kept positions inside each group are the same.
      const int64_t cin_g = cin / groups;
      std::vector<int64_t> within;
      for (int64_t i : in)
        if (i < cin_g) within.push_back(i);
      if (static_cast<int64_t>(within.size()) * groups != static_cast<int64_t>(in.size()) ||
          out.size() % static_cast<size_t>(groups) != 0)
        throw_internal(n.describe() + ": channel removal unbalances its groups");
      w = take_along(w, 1, within);
    }
    set_data(out_, n.inputs[1], w);
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) set_data(out_, n.inputs[2], take_along(data(n.inputs[2]), 0, out));
  }

  void gemm(Node& n) {
    if (!elements(n.inputs[0]) || !elements(n.outputs[0])) return;
    if (!changed(n.inputs[0]) && !changed(n.outputs[0])) return;
    const std::vector<int64_t> k = kept(n.inputs[0]), out = kept(n.outputs[0]);
    const bool trans_b = n.attr_int("transB", 0) != 0;
    Tensor b = data(n.inputs[1]);
    b = trans_b ? take_along(take_along(b, 0, out), 1, k) : take_along(take_along(b, 0, k), 1, out);
    set_data(out_, n.inputs[1], b);
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const Tensor& c = data(n.inputs[2]);
      const size_t n_out = elements(n.outputs[0])->size();
      if (c.rank() >= 1 && c.shape().back() == static_cast<int64_t>(n_out) && c.numel() == static_cast<int64_t>(n_out))
        set_data(out_, n.inputs[2], take_along(c, c.rank() - 1, out));
      else if (c.numel() != 1)
        throw_internal(n.describe() + ": cannot slice its bias of shape " + shape_str(c.shape()));
    }
  }

  void reshape(Node& n) {
    std::vector<int64_t> target(data(n.inputs[1]).span<int64_t>().begin(), data(n.inputs[1]).span<int64_t>().end());
    auto shuffle = shuffles_.find(n.name);
    if (shuffle != shuffles_.end()) {  // split [N, g, C/g, H, W]
      if (!changed(n.inputs[0])) return;
      const int64_t c = static_cast<int64_t>(kept(n.inputs[0]).size());
      if (target[2] != -1) target[2] = c / shuffle->second->groups;
      return set_reshape_target(out_, n, target);
    }
    if (!elements(n.outputs[0]) || !changed(n.outputs[0])) return;
    if (target.size() >= 2 && target[1] > 0) target[1] = static_cast<int64_t>(kept(n.outputs[0]).size());
    set_reshape_target(out_, n, target);
  }

  const Graph& src_;
  const ChannelAnalysis& a_;
  std::vector<char> removed_;
  Graph out_;
  std::map<std::string, const ChannelShuffle*> shuffles_;
};

// Zeroes the entries of `name` (a private copy) at `rows` along axis 0 (or axis 1 when `axis` is 1).
void zero_rows(Graph& g, const std::string& name, const std::vector<int64_t>& rows, int axis = 0) {
  if (rows.empty() || name.empty()) return;
  Value& v = g.value(name);
  Tensor t = v.data->clone();
  const Shape& s = t.shape();
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t extent = s.empty() ? 1 : s[static_cast<size_t>(axis)];
  float* p = t.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t r : rows) std::fill_n(p + (o * extent + r) * inner, inner, 0.0f);
  v.data = std::move(t);
}

}  // namespace

Graph shrink_channels(const Graph& graph, const ChannelAnalysis& analysis, const ChannelSelection& selection) {
  return Shrinker(graph, analysis, selection).run();
}

Graph mask_channels(const Graph& graph, const ChannelAnalysis& analysis, const ChannelSelection& selection) {
  const std::vector<char> removed = detail::removed_elements(analysis, selection);
  Graph g = graph;
  auto gone = [&](const std::string& value) {
    std::vector<int64_t> rows;
    auto it = analysis.value_elements.find(value);
    if (it == analysis.value_elements.end()) return rows;
    for (size_t i = 0; i < it->second.size(); ++i)
      if (removed[static_cast<size_t>(it->second[i])]) rows.push_back(static_cast<int64_t>(i));
    return rows;
  };
  for (const Node& n : g.nodes) {
    if (n.op == OpType::kConv || n.op == OpType::kGemm) {
      const std::vector<int64_t> rows = gone(n.outputs[0]);
      if (rows.empty() || !g.value(n.inputs[1]).data) continue;
      const bool columns = n.op == OpType::kGemm && n.attr_int("transB", 0) == 0;
      zero_rows(g, n.inputs[1], rows, columns ? 1 : 0);
      if (n.inputs.size() > 2 && !n.inputs[2].empty() && g.value(n.inputs[2]).data->numel() > 1)
        zero_rows(g, n.inputs[2], rows, g.value(n.inputs[2]).data->rank() - 1);
    } else if (n.op == OpType::kBatchNormalization) {
      const std::vector<int64_t> rows = gone(n.inputs[0]);
      zero_rows(g, n.inputs[1], rows);  // gamma
      zero_rows(g, n.inputs[2], rows);  // beta
    }
  }
  return g;
}

}  // namespace tinyopt::prune
