// QDQ specifics of ONNX import and export (see onnx_qdq.h).
#include "onnx/onnx_qdq.h"

#include <set>
#include <string>

namespace tinyopt::detail {

namespace {

bool is_qdq(const Node& n) { return n.op == OpType::kQuantizeLinear || n.op == OpType::kDequantizeLinear; }

bool has_input(const Node& n, size_t i) { return n.inputs.size() > i && !n.inputs[i].empty(); }

bool is_initializer(const Graph& g, const std::string& name) {
  return g.has_value(name) && g.value(name).is_initializer();
}

// The values that hold uint8 before the rewrite: uint8 initializers read by Q/DQ nodes, and the outputs
// of QuantizeLinear nodes whose zero point is one of them or absent (ONNX's default output type is
// uint8). uint8 initializers that no Q/DQ reads are none of our business.
std::set<std::string> uint8_values(const Graph& g) {
  std::set<std::string> u8;
  for (const Node& n : g.nodes) {
    if (!is_qdq(n)) continue;
    for (const auto& in : n.inputs) {
      if (is_initializer(g, in) && g.value(in).data->dtype() == DType::kU8) u8.insert(in);
    }
  }
  for (const Node& n : g.nodes) {
    if (n.op == OpType::kQuantizeLinear && (!has_input(n, 2) || u8.count(n.inputs[2]) != 0)) {
      u8.insert(n.outputs.at(0));
    }
  }
  return u8;
}

// True when `node` needs a new int8 zero point (-128): a uint8 Q/DQ without one.
bool needs_zero_point(const Node& n, const std::set<std::string>& u8) {
  if (has_input(n, 2)) return false;
  return n.op == OpType::kQuantizeLinear || (n.op == OpType::kDequantizeLinear && u8.count(n.inputs[0]) != 0);
}

// Whether the rewrite is exact and complete: uint8 is only ever a Q/DQ zero point or a DQ input, never
// a graph input or output, and every uint8 Q/DQ has constant zero point and scale.
bool uint8_stays_inside_qdq(const Graph& g, const std::set<std::string>& u8) {
  for (const auto& name : g.inputs) {
    if (g.value(name).dtype == DType::kU8) return false;
  }
  for (const auto& name : g.outputs) {
    if (u8.count(name) != 0 || (g.has_value(name) && g.value(name).dtype == DType::kU8)) return false;
  }
  for (const Node& n : g.nodes) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (u8.count(n.inputs[i]) == 0) continue;
      const bool zero_point = is_qdq(n) && i == 2;
      const bool dq_input = n.op == OpType::kDequantizeLinear && i == 0;
      if (!zero_point && !dq_input) return false;
    }
    if (n.op == OpType::kDequantizeLinear && has_input(n, 2) &&
        (u8.count(n.inputs[0]) != 0) != (u8.count(n.inputs[2]) != 0)) {
      return false;  // input and zero point of different types: not valid ONNX, not ours to fix
    }
    if (needs_zero_point(n, u8) && !is_initializer(g, n.inputs.at(1))) return false;
  }
  return true;
}

}  // namespace

DType qdq_integer_dtype(const Graph& g, const Node& node) {
  if (has_input(node, 2)) return g.value(node.inputs[2]).dtype;
  if (node.op == OpType::kDequantizeLinear) return g.value(node.inputs.at(0)).dtype;
  return DType::kU8;
}

bool qdq_needs_microsoft_domain(const Graph& g, const Node& node) {
  return is_qdq(node) && qdq_integer_dtype(g, node) == DType::kI16;
}

bool is_supported_microsoft_op(std::string_view domain, std::string_view op_type) {
  return domain == kMicrosoftDomain && (op_type == "QuantizeLinear" || op_type == "DequantizeLinear");
}

bool uint8_qdq_to_int8(Graph& g) {
  const std::set<std::string> u8 = uint8_values(g);
  if (u8.empty() || !uint8_stays_inside_qdq(g, u8)) return false;
  for (const auto& name : u8) {
    if (!is_initializer(g, name)) continue;  // Q outputs: their dtype follows the zero point
    const Tensor& from = *g.value(name).data;
    Tensor to(DType::kI8, from.shape());
    const uint8_t* src = from.data<uint8_t>();
    int8_t* dst = to.data<int8_t>();
    for (int64_t i = 0; i < from.numel(); ++i) dst[i] = static_cast<int8_t>(static_cast<int>(src[i]) - 128);
    g.add_initializer(name, std::move(to));
  }
  for (Node& n : g.nodes) {
    if (!needs_zero_point(n, u8)) continue;
    Tensor zp(DType::kI8, g.value(n.inputs[1]).data->shape());  // one per scale entry, as ONNX requires
    for (int8_t& v : zp.span<int8_t>()) v = -128;
    const std::string name = g.unique_name(n.name + "_zero_point");
    g.add_initializer(name, std::move(zp));
    n.inputs.resize(3);
    n.inputs[2] = name;
  }
  return true;
}

}  // namespace tinyopt::detail
