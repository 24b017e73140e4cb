// lower_qdq_graph: QDQ Graph -> IntegerProgram (integer_program.h).
//
// Algorithm:
//  1. Copy the graph and infer shapes at batch 1 (every tensor of the program describes one sample).
//  2. Walk the nodes in topological order, skipping those already lowered as part of a chain:
//     - QuantizeLinear of a float graph input: a float input tensor and a quantize step (NCHW -> NHWC);
//       of a dequantized integer tensor: an alias (same parameters) or a requantize step.
//     - DequantizeLinear of an integer initializer: nothing (read by the op that uses it); of an integer
//       tensor: records the float value as a view of that tensor (the op reading it gets the integer one).
//     - Flatten / Reshape / Squeeze / Unsqueeze / Identity / Dropout of a view: a new view aliasing the same
//       bytes (channels-last data stays in NHWC order; see integer_program.h).
//     - Any other op: its lowering (lower_conv_dense.cpp, lower_elementwise_pool.cpp) reads its inputs as
//       views, consumes the following Relu/Clip and QuantizeLinear, and appends one or more steps.
//  3. Each graph output that is a dequantized integer tensor gets a dequantize step (NHWC -> NCHW) into a
//     float output tensor; an integer graph output is returned as is.
// A node with no integer lowering fails with the list of supported ops.
#include <fmt/format.h>

#include <algorithm>

#include "exec/integer/lowering_context.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt {
namespace {

using exec::ActView;
using exec::LoweringContext;

constexpr const char* kSupported =
    "supported: Conv (group 1 or depthwise), Gemm, MatMul, Add, MaxPool, AveragePool, GlobalAveragePool, "
    "ReduceMean over H and W, Concat, Pad (constant), Relu, Clip, HardSwish, Softmax, Flatten, Reshape, Squeeze, "
    "Unsqueeze, Identity, Dropout, QuantizeLinear, DequantizeLinear";

bool is_view_op(OpType op) {
  return op == OpType::kFlatten || op == OpType::kReshape || op == OpType::kSqueeze || op == OpType::kUnsqueeze ||
         op == OpType::kIdentity || op == OpType::kDropout;
}

void lower_graph_input_quantize(LoweringContext& c, const Node& q) {
  const std::string& name = q.inputs.at(0);
  const Value& v = c.graph.value(name);
  if (v.dtype != DType::kF32) c.fail(q, "graph input '" + name + "' must be float");
  float scale;
  int32_t zp;
  DType dtype;
  c.quantize_params(q, &scale, &zp, &dtype);
  int in = -1;
  for (size_t i = 0; i < c.program.tensors.size(); ++i)
    if (c.program.tensors[i].kind == IntTensorKind::kInput && c.program.tensors[i].name == name) in = static_cast<int>(i);
  if (in < 0) {
    IntTensor t;
    t.name = name;
    t.kind = IntTensorKind::kInput;
    t.dtype = DType::kF32;
    t.shape = v.shape;
    if (!t.shape.empty()) t.shape[0] = 1;
    c.program.tensors.push_back(t);
    in = static_cast<int>(c.program.tensors.size()) - 1;
  }
  const int out = c.add_activation(q.outputs.at(0), dtype, c.shape_of(q.outputs[0]), scale, zp);
  c.int_value[q.outputs[0]] = out;
  IntegerStep step;
  step.family = dtype == DType::kI16 ? TOPT_FAMILY_quantize_s16 : TOPT_FAMILY_quantize_s8;
  topt_quantize_params p{};
  p.count = static_cast<int32_t>(c.program.tensors[static_cast<size_t>(out)].numel());
  p.scale = scale;
  p.zero_point = zp;
  step.params = p;
  step.inputs = {in};
  step.outputs = {out};
  c.add_step(std::move(step), {&q});
}

void lower_quantize(LoweringContext& c, const Node& q) {
  const std::string& x = q.inputs.at(0);
  if (std::find(c.graph.inputs.begin(), c.graph.inputs.end(), x) != c.graph.inputs.end())
    return lower_graph_input_quantize(c, q);
  const auto it = c.float_view.find(x);
  if (it == c.float_view.end()) {
    const int p = c.graph.producer(x);
    c.fail(q, "quantizes '" + x + "', which " +
                  (p >= 0 ? "is computed in float by " + c.graph.nodes[static_cast<size_t>(p)].describe()
                          : std::string("is not an integer value")) +
                  "; the integer executor needs every op between QuantizeLinear and DequantizeLinear to have an "
                  "integer kernel");
  }
  exec::OutputChain chain;
  chain.quantize = &q;
  chain.value = q.outputs.at(0);
  c.quantize_params(q, &chain.scale, &chain.zero_point, &chain.dtype);
  chain.act_min = chain.dtype == DType::kI16 ? -32768 : -128;
  chain.act_max = chain.dtype == DType::kI16 ? 32767 : 127;
  c.requantize_into(it->second.tensor, chain, q);
}

void lower_dequantize(LoweringContext& c, const Node& dq) {
  const std::string& x = dq.inputs.at(0);
  if (c.graph.value(x).is_initializer()) return;  // weights / bias: read by the op using them
  const auto it = c.int_value.find(x);
  if (it == c.int_value.end())
    c.fail(dq, "dequantizes '" + x + "', which is not produced by a QuantizeLinear (graph inputs must be float)");
  float scale;
  int32_t zp;
  DType dtype;
  c.quantize_params(dq, &scale, &zp, &dtype);
  const IntTensor& t = c.program.tensors.at(static_cast<size_t>(it->second));
  if (t.dtype != dtype || t.scale != scale || t.zero_point != zp)
    c.fail(dq, fmt::format("its parameters (scale {}, zero point {}) differ from the QuantizeLinear's of '{}' "
                           "(scale {}, zero point {})",
                           scale, zp, x, t.scale, t.zero_point));
  c.float_view[dq.outputs.at(0)] = ActView{it->second, scale, zp};
}

void lower_view(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor src = c.program.tensors.at(static_cast<size_t>(x.tensor));
  const Shape& out_shape = c.shape_of(n.outputs.at(0));
  Shape shape = out_shape;
  if (!shape.empty()) shape[0] = 1;
  if (shape_numel(shape) != src.numel() || shape.empty() || out_shape[0] > 1)
    c.fail(n, "changes the batch dimension; the integer executor runs one sample at a time");
  IntTensor v = src;
  v.name = n.outputs[0];
  v.kind = IntTensorKind::kActivation;
  v.shape = shape;
  v.alias_of = x.tensor;
  const bool trivial_spatial = src.channels_last && src.nchw[2] * src.nchw[3] == 1;
  if (src.channels_last && shape.size() == 4 && shape == src.shape) {
    // same 4-D shape (Identity, Dropout): stays channels-last
  } else if (src.channels_last && !trivial_spatial) {
    if (shape.size() != 2)
      c.fail(n, "reshaping (N, C, H, W) data with H*W > 1 to " + shape_str(out_shape) +
                    " has no integer kernel (the integer runtime stores it NHWC); only Flatten to (N, C*H*W) is free");
    // stays in NHWC element order; the dense layer reading it permutes its weights
  } else {
    v.channels_last = shape.size() == 4;  // (N, C, 1, 1) and plain data: NCHW and NHWC orders coincide
    v.nchw = v.channels_last ? shape : Shape{};
  }
  c.program.tensors.push_back(v);
  c.float_view[n.outputs[0]] = ActView{static_cast<int>(c.program.tensors.size()) - 1, x.scale, x.zero_point};
}

void lower_node(LoweringContext& c, const Node& n) {
  switch (n.op) {
    case OpType::kQuantizeLinear: return lower_quantize(c, n);
    case OpType::kDequantizeLinear: return lower_dequantize(c, n);
    case OpType::kConv: return exec::lower_conv(c, n);
    case OpType::kGemm:
    case OpType::kMatMul: return exec::lower_dense(c, n);
    case OpType::kAdd: return exec::lower_add(c, n);
    case OpType::kMaxPool:
    case OpType::kAveragePool: return exec::lower_pool(c, n);
    case OpType::kGlobalAveragePool:
    case OpType::kReduceMean: return exec::lower_global_pool(c, n);
    case OpType::kConcat: return exec::lower_concat(c, n);
    case OpType::kPad: return exec::lower_pad(c, n);
    case OpType::kRelu:
    case OpType::kClip: return exec::lower_clamp(c, n);
    case OpType::kHardSwish: return exec::lower_hardswish(c, n);
    case OpType::kSoftmax: return exec::lower_softmax(c, n);
    default:
      if (is_view_op(n.op)) return lower_view(c, n);
      throw_bad_input(n.describe() + " has no integer kernel in tinyopt's runtime; " + kSupported +
                      ". Keep this op out of the quantized part of the model");
  }
}

void lower_graph_output(LoweringContext& c, const std::string& name) {
  const auto iv = c.int_value.find(name);
  if (iv != c.int_value.end()) {  // an integer graph output
    c.program.outputs.push_back(iv->second);
    c.program.integer_outputs.push_back(iv->second);
    return;
  }
  const auto fv = c.float_view.find(name);
  const int p = c.graph.producer(name);
  if (fv == c.float_view.end() || p < 0 || c.graph.nodes[static_cast<size_t>(p)].op != OpType::kDequantizeLinear)
    throw_bad_input("graph output '" + name +
                    "' is not produced by a DequantizeLinear of an integer tensor; the integer executor needs the "
                    "model's outputs dequantized (QDQ convention)");
  const Node& dq = c.graph.nodes[static_cast<size_t>(p)];
  const IntTensor src = c.program.tensors.at(static_cast<size_t>(fv->second.tensor));
  IntTensor t;
  t.name = name;
  t.kind = IntTensorKind::kOutput;
  t.dtype = DType::kF32;
  t.shape = src.shape;
  c.program.tensors.push_back(t);
  const int out = static_cast<int>(c.program.tensors.size()) - 1;
  IntegerStep step;
  step.family = src.dtype == DType::kI16 ? TOPT_FAMILY_dequantize_s16 : TOPT_FAMILY_dequantize_s8;
  topt_quantize_params q{};
  q.count = static_cast<int32_t>(src.numel());
  q.scale = fv->second.scale;
  q.zero_point = fv->second.zero_point;
  step.params = q;
  step.inputs = {fv->second.tensor};
  step.outputs = {out};
  c.add_step(std::move(step), {&dq});
  c.program.outputs.push_back(out);
  c.program.integer_outputs.push_back(fv->second.tensor);
}

}  // namespace

IntegerProgram lower_qdq_graph(const Graph& graph_in) {
  Graph graph = graph_in;
  infer_shapes(graph, 1);
  LoweringContext c(graph);
  for (const Node& n : graph.nodes)
    if (c.lowered.count(&n) == 0) lower_node(c, n);
  for (const std::string& in : graph.inputs) {
    int id = -1;
    for (size_t i = 0; i < c.program.tensors.size(); ++i)
      if (c.program.tensors[i].kind == IntTensorKind::kInput && c.program.tensors[i].name == in) id = static_cast<int>(i);
    if (id < 0)
      throw_bad_input("graph input '" + in + "' is not quantized by a QuantizeLinear; the integer executor needs " +
                      "every graph input quantized");
    c.program.inputs.push_back(id);
  }
  for (const std::string& out : graph.outputs) lower_graph_output(c, out);
  return std::move(c.program);
}

}  // namespace tinyopt
