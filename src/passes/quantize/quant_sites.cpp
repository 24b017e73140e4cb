// find_quant_sites: which values of a float graph get Q/DQ pairs, which layers get integer weights, and
// which activation functions are fused into the op before them (the rules are in quant_plan.h).
#include <set>

#include "passes/graph_edit.h"
#include "tinyopt/core/error.h"
#include "tinyopt/passes/quant_plan.h"

namespace tinyopt::quant {
namespace {

enum class Role { kLayer, kCalibrated, kFixed, kPassThrough, kUnsupported };

Role role_of(OpType op) {
  switch (op) {
    case OpType::kConv:
    case OpType::kGemm:
    case OpType::kMatMul:
      return Role::kLayer;
    case OpType::kAdd:
    case OpType::kGlobalAveragePool:
    case OpType::kReduceMean:
    case OpType::kHardSwish:
    case OpType::kConcat:
      return Role::kCalibrated;
    case OpType::kSoftmax:
      return Role::kFixed;
    case OpType::kMaxPool:
    case OpType::kAveragePool:
    case OpType::kFlatten:
    case OpType::kReshape:
    case OpType::kSqueeze:
    case OpType::kUnsqueeze:
    case OpType::kTranspose:
    case OpType::kPad:
    case OpType::kIdentity:
    case OpType::kDropout:
    case OpType::kRelu:
    case OpType::kClip:
      return Role::kPassThrough;
    default:
      return Role::kUnsupported;
  }
}

bool is_constant(const Graph& g, const std::string& name) { return name.empty() || g.value(name).is_initializer(); }

[[noreturn]] void cannot_quantize(const Node& n, const std::string& why) {
  throw_bad_input(n.describe() + ": cannot be quantized: " + why);
}

// The node that is `n`'s output's only reader when it is an activation the int8 kernels fuse as a clamp.
int fused_activation(const Graph& g, const Node& n) {
  if (n.outputs.size() != 1 || is_graph_output(g, n.outputs[0])) return -1;
  const std::vector<int> readers = g.consumers(n.outputs[0]);
  if (readers.size() != 1) return -1;
  const Node& act = g.nodes[static_cast<size_t>(readers[0])];
  if (act.op == OpType::kRelu) return readers[0];
  if (act.op == OpType::kClip && act.inputs[0] == n.outputs[0] && (act.inputs.size() < 2 || is_constant(g, act.inputs[1])) &&
      (act.inputs.size() < 3 || is_constant(g, act.inputs[2])))
    return readers[0];
  return -1;
}

QuantLayer describe_layer(const Graph& g, const Node& n) {
  QuantLayer l;
  l.node = n.name;
  l.op = n.op;
  l.output = n.outputs.at(0);
  if (n.inputs.size() < 2 || n.inputs[0].empty() || n.inputs[1].empty()) cannot_quantize(n, "missing inputs");
  l.input = n.inputs[0];
  l.weight = n.inputs[1];
  const Value& w = g.value(l.weight);
  if (!w.is_initializer() || w.dtype != DType::kF32)
    cannot_quantize(n, "its weight '" + l.weight + "' is not a constant float tensor");
  if (g.value(l.input).is_initializer()) cannot_quantize(n, "its first input is a constant");
  if (n.op == OpType::kConv) {
    l.weight_axis = 0;
  } else if (n.op == OpType::kGemm) {
    if (n.attr_int("transA", 0) != 0) cannot_quantize(n, "transA=1 is not supported");
    l.weight_axis = n.attr_int("transB", 0) != 0 ? 0 : 1;
  } else {
    if (w.shape.size() != 2) cannot_quantize(n, "MatMul weight must be 2-D");
    l.weight_axis = 1;
  }
  if (w.shape.size() < 2) cannot_quantize(n, "weight '" + l.weight + "' has fewer than 2 dims");
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const Value& b = g.value(n.inputs[2]);
    const int64_t channels = w.shape[static_cast<size_t>(l.weight_axis)];
    if (!b.is_initializer() || b.dtype != DType::kF32 || shape_numel(b.shape) != channels)
      cannot_quantize(n, "its bias '" + n.inputs[2] + "' is not a constant float vector of " + std::to_string(channels) +
                             " entries");
    l.bias = n.inputs[2];
  }
  return l;
}

}  // namespace

QuantSites find_quant_sites(const Graph& g) {
  QuantSites s;
  auto add_site = [&](const std::string& value, const std::string& node, SiteKind kind, const std::string& source) {
    s.activations.push_back({value, node, kind, source});
    s.site_of[value] = kind == SiteKind::kSameAsInput ? s.site_of.at(source) : value;
  };
  for (const std::string& in : g.inputs)
    if (g.value(in).dtype == DType::kF32) add_site(in, "", SiteKind::kCalibrated, "");

  std::set<int> fused;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (fused.count(static_cast<int>(i))) continue;
    const Node& n = g.nodes[i];
    const Role role = role_of(n.op);
    if (n.op == OpType::kQuantizeLinear || n.op == OpType::kDequantizeLinear)
      cannot_quantize(n, "the model is already quantized");
    if (n.op == OpType::kBatchNormalization)
      cannot_quantize(n, "fold it into the Conv/Gemm before it first (it follows no foldable layer)");
    if (role == Role::kUnsupported)
      cannot_quantize(n, "the integer kernels cover Conv, Gemm, MatMul, Add, pooling, Relu/Clip, HardSwish, "
                         "Softmax, Concat and shape ops");
    // Every activation the node reads must already be quantized (a site or a value sharing one).
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const std::string& in = n.inputs[k];
      if (in.empty() || is_constant(g, in)) {
        const bool data_input = k == 0 || n.op == OpType::kAdd || n.op == OpType::kConcat;
        if (data_input && !in.empty() && g.value(in).dtype == DType::kF32 && role != Role::kLayer)
          cannot_quantize(n, "input '" + in + "' is a constant");
        continue;
      }
      if (g.value(in).dtype != DType::kF32) continue;
      if (!s.site_of.count(in)) cannot_quantize(n, "its input '" + in + "' is not quantized");
    }
    if (n.outputs.empty() || n.outputs[0].empty()) continue;
    const std::string& out = n.outputs[0];
    if (role == Role::kPassThrough) {
      add_site(out, n.name, SiteKind::kSameAsInput, s.site_of.at(n.inputs.at(0)));
      continue;
    }
    if (role == Role::kFixed) {
      add_site(out, n.name, SiteKind::kFixed, "");
      continue;
    }
    std::string site = out, site_node = n.name;
    if (role == Role::kLayer || n.op == OpType::kAdd) {
      const int act = fused_activation(g, n);
      if (act >= 0) {
        fused.insert(act);
        site = g.nodes[static_cast<size_t>(act)].outputs.at(0);
        site_node = g.nodes[static_cast<size_t>(act)].name;
      }
    }
    if (role == Role::kLayer) {
      QuantLayer l = describe_layer(g, n);
      l.site = site;
      s.layers.push_back(std::move(l));
    }
    add_site(site, site_node, SiteKind::kCalibrated, "");
  }
  return s;
}

}  // namespace tinyopt::quant
