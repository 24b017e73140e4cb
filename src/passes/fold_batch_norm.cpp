// BatchNormalization folding into Conv / Gemm (see fold_batch_norm.h for the algebra and the rules).
#include "tinyopt/passes/fold_batch_norm.h"

#include <cmath>
#include <set>

#include "passes/graph_edit.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

// The constant float data of input `i` of `n`, or nullptr when absent or not an initializer.
const Tensor* constant_input(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
  const Value& v = g.value(n.inputs[i]);
  if (!v.data || v.data->dtype() != DType::kF32) return nullptr;
  return &*v.data;
}

// Output-channel axis of the weight of a Conv or Gemm, -1 when the node cannot be folded into.
int output_channel_axis(const Node& n) {
  if (n.op == OpType::kConv) return 0;
  if (n.op == OpType::kGemm) return n.attr_int("transB", 0) != 0 ? 0 : 1;
  return -1;
}

struct BnScale {
  std::vector<double> scale, shift;  // y = x * scale + shift per channel
};

// Per-channel scale and shift of an inference BN, or nothing when its parameters are not constants of
// `channels` entries.
std::optional<BnScale> bn_affine(const Graph& g, const Node& bn, int64_t channels) {
  const Tensor* gamma = constant_input(g, bn, 1);
  const Tensor* beta = constant_input(g, bn, 2);
  const Tensor* mean = constant_input(g, bn, 3);
  const Tensor* var = constant_input(g, bn, 4);
  for (const Tensor* t : {gamma, beta, mean, var})
    if (!t || t->numel() != channels) return std::nullopt;
  const double eps = bn.attr_float("epsilon", 1e-5f);
  BnScale a;
  for (int64_t c = 0; c < channels; ++c) {
    const double s = gamma->data<float>()[c] / std::sqrt(static_cast<double>(var->data<float>()[c]) + eps);
    a.scale.push_back(s);
    a.shift.push_back(beta->data<float>()[c] - mean->data<float>()[c] * s);
  }
  return a;
}

// Tries to fold BN node `bn_index` into its producer; returns false (graph untouched) when it cannot.
bool fold_one(Graph& g, size_t bn_index) {
  const Node bn = g.nodes[bn_index];
  if (bn.outputs.size() != 1 || bn.inputs.empty()) return false;  // training-mode BN (mean/var outputs)
  const int p = g.producer(bn.inputs[0]);
  if (p < 0) return false;
  Node& layer = g.nodes[static_cast<size_t>(p)];
  const int axis = output_channel_axis(layer);
  if (axis < 0 || layer.outputs.size() != 1) return false;
  if (g.consumers(layer.outputs[0]).size() != 1 || is_graph_output(g, layer.outputs[0])) return false;
  const Tensor* w = constant_input(g, layer, 1);
  if (!w || w->rank() < 2 || g.consumers(layer.inputs[1]).size() != 1) return false;
  const int64_t channels = w->dim(axis);
  const Tensor* b = constant_input(g, layer, 2);
  if (layer.inputs.size() > 2 && !layer.inputs[2].empty()) {
    if (!b || b->numel() != channels || g.consumers(layer.inputs[2]).size() != 1) return false;
  }
  auto affine = bn_affine(g, bn, channels);
  if (!affine) return false;
  double alpha = 1, beta = 1;
  if (layer.op == OpType::kGemm) {
    alpha = layer.attr_float("alpha", 1.0f);
    beta = layer.attr_float("beta", 1.0f);
  }

  const ChannelView view = channel_view(w->shape(), axis);
  Tensor w2 = w->clone();
  float* wd = w2.data<float>();
  for (int64_t o = 0; o < view.outer; ++o)
    for (int64_t c = 0; c < view.channels; ++c)
      for (int64_t i = 0; i < view.inner; ++i) {
        float& x = wd[(o * view.channels + c) * view.inner + i];
        x = static_cast<float>(alpha * x * affine->scale[static_cast<size_t>(c)]);
      }
  std::vector<float> b2(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double old = b ? beta * b->data<float>()[c] : 0.0;
    b2[static_cast<size_t>(c)] = static_cast<float>(old * affine->scale[static_cast<size_t>(c)] + affine->shift[static_cast<size_t>(c)]);
  }
  g.value(layer.inputs[1]).data = w2;
  Tensor bias = Tensor::from_f32({channels}, b2);
  if (layer.inputs.size() > 2 && !layer.inputs[2].empty()) {
    g.add_initializer(layer.inputs[2], bias);
  } else {
    const std::string name = g.unique_name(layer.name + ".bias");
    g.add_initializer(name, bias);
    layer.inputs.resize(3);
    layer.inputs[2] = name;
  }
  if (layer.op == OpType::kGemm) {
    layer.attrs["alpha"] = 1.0f;
    layer.attrs["beta"] = 1.0f;
  }
  // The layer now writes the BN's output; its old output value disappears with the BN.
  g.erase_value(layer.outputs[0]);
  layer.outputs[0] = bn.outputs[0];
  g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(bn_index));
  return true;
}

}  // namespace

Graph fold_batch_norm(const Graph& graph) {
  Graph g = graph;
  for (size_t i = 0; i < g.nodes.size();) {
    if (g.nodes[i].op == OpType::kBatchNormalization && fold_one(g, i)) continue;  // node i is now the next one
    ++i;
  }
  remove_unused_initializers(g);
  return g;
}

}  // namespace tinyopt
