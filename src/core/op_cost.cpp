// Parameter, MAC and weight-byte accounting per node, and the peak activation memory of a naive
// sequential schedule (the baseline the memory planner improves on).
#include "tinyopt/core/op_cost.h"

#include <algorithm>
#include <array>
#include <vector>

namespace tinyopt {
namespace {

// Input positions that hold learned weights when they are initializers. Shape-like constants (Reshape's
// shape, Clip bounds, Pad pads) are configuration, not parameters.
struct WeightInputs {
  std::array<int, 4> idx;
  int count;
  int main;  // the tensor whose dtype gives weight_bits, -1 when none
};
constexpr WeightInputs kNone{{0, 0, 0, 0}, 0, -1};
constexpr std::array<WeightInputs, kOpTypeCount> kWeightInputs = {{
    {{1, 2, 0, 0}, 2, 1},  // Conv
    {{1, 2, 0, 0}, 2, 1},  // ConvTranspose
    {{1, 2, 0, 0}, 2, 1},  // Gemm
    {{0, 1, 0, 0}, 2, 1},  // MatMul
    {{0, 1, 0, 0}, 2, -1},  // Add
    {{0, 1, 0, 0}, 2, -1},  // Sub
    {{0, 1, 0, 0}, 2, -1},  // Mul
    {{0, 1, 0, 0}, 2, -1},  // Div
    kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,  // Relu .. Softmax
    kNone, kNone, kNone, kNone,                              // MaxPool, AveragePool, GlobalAveragePool, ReduceMean
    {{1, 2, 3, 4}, 4, -1},  // BatchNormalization
    kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone, kNone,  // Flatten .. Dropout
    kNone,                  // QuantizeLinear
    kNone,                  // DequantizeLinear: its integer initializer counts for the layer reading it
}};
static_assert(kWeightInputs.size() == kOpTypeCount, "every op needs a weight-input entry");

// The stored tensor behind a weight input: the initializer itself, or in a QDQ model the integer
// initializer a DequantizeLinear reads (counted at its stored size: int8 1 B, int4 0.5 B, int32 bias 4 B).
const Value* stored_weight(const Graph& g, const std::string& name) {
  const Value& v = g.value(name);
  if (v.is_initializer()) return &v;
  const int p = g.producer(name);
  if (p < 0) return nullptr;
  const Node& dq = g.nodes[static_cast<size_t>(p)];
  if (dq.op != OpType::kDequantizeLinear || dq.inputs.empty() || !g.value(dq.inputs[0]).is_initializer())
    return nullptr;
  return &g.value(dq.inputs[0]);
}

int64_t value_bytes(const Value& v) {
  for (int64_t d : v.shape)
    if (d < 0) return 0;
  return static_cast<int64_t>(dtype_storage_bytes(v.dtype, shape_numel(v.shape)));
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

int64_t node_macs(const Graph& g, const Node& n) {
  auto shape = [&](const std::string& name) -> const Shape& { return g.value(name).shape; };
  switch (n.op) {
    case OpType::kConv: {
      const Shape& w = shape(n.inputs[1]);
      return shape_numel(shape(n.outputs[0])) * product(w, 1, w.size());
    }
    case OpType::kConvTranspose: {
      const Shape& w = shape(n.inputs[1]);
      return shape_numel(shape(n.inputs[0])) * product(w, 1, w.size());
    }
    case OpType::kGemm: {
      const Shape& a = shape(n.inputs[0]);
      const int64_t k = n.attr_int("transA", 0) ? a[0] : a[1];
      return shape_numel(shape(n.outputs[0])) * k;
    }
    case OpType::kMatMul: {
      const Shape& a = shape(n.inputs[0]);
      return shape_numel(shape(n.outputs[0])) * a.back();
    }
    default:
      return 0;
  }
}

}  // namespace

NodeCost node_cost(const Graph& graph, const Node& node) {
  NodeCost c;
  const WeightInputs wi = kWeightInputs[static_cast<size_t>(node.op)];
  for (int k = 0; k < wi.count; ++k) {
    const auto i = static_cast<size_t>(wi.idx[static_cast<size_t>(k)]);
    if (i >= node.inputs.size() || node.inputs[i].empty()) continue;
    const Value* w = stored_weight(graph, node.inputs[i]);
    if (w == nullptr) continue;
    const Value& v = *w;
    c.params += shape_numel(v.shape);
    c.weight_inputs.push_back(v.name);
    c.weight_bytes += value_bytes(v);
    if (static_cast<int>(i) == wi.main) c.weight_bits = dtype_bits(v.dtype);
  }
  // Element-wise ops with a constant operand but no designated main weight report that operand's bits.
  if (c.weight_bits == 0 && c.params > 0 && wi.main < 0 && node.op != OpType::kBatchNormalization)
    for (const auto& in : node.inputs)
      if (!in.empty() && graph.value(in).is_initializer()) c.weight_bits = dtype_bits(graph.value(in).dtype);
  c.macs = node_macs(graph, node);
  return c;
}

int64_t naive_peak_activation_bytes(const Graph& graph) {
  const int n = static_cast<int>(graph.nodes.size());
  struct Live { int64_t bytes; int begin, end; };
  std::vector<Live> lives;
  auto add = [&](const std::string& name, int begin) {
    int end = begin;
    for (int c : graph.consumers(name)) end = std::max(end, c);
    if (std::find(graph.outputs.begin(), graph.outputs.end(), name) != graph.outputs.end()) end = n;
    lives.push_back({value_bytes(graph.value(name)), begin, end});
  };
  for (const auto& in : graph.inputs) add(in, 0);
  for (int i = 0; i < n; ++i)
    for (const auto& out : graph.nodes[static_cast<size_t>(i)].outputs)
      if (!out.empty()) add(out, i);
  int64_t peak = 0;
  for (int step = 0; step <= n; ++step) {
    int64_t live = 0;
    for (const auto& l : lives)
      if (l.begin <= step && step <= l.end) live += l.bytes;
    peak = std::max(peak, live);
  }
  return peak;
}

}  // namespace tinyopt
