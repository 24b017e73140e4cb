// Lowering of the unweighted integer ops: requantizing Add, max / average pool, global average pool
// (GlobalAveragePool or ReduceMean over H, W), Concat, constant Pad, standalone Relu / Clip, HardSwish and
// Softmax. Ops whose kernel keeps the input's quantization (pools, pad, clamp) write a tensor at the input's
// parameters and are followed by a requantize when the graph's QuantizeLinear asks for other ones.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "exec/integer/lowering_context.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::exec {
namespace {

const IntTensor& int8_input(const LoweringContext& c, const Node& n, const ActView& x) {
  const IntTensor& t = c.program.tensors.at(static_cast<size_t>(x.tensor));
  if (t.dtype != DType::kI8)
    c.fail(n, fmt::format("{} with int16 activations has no integer kernel in tinyopt's runtime (int16: Conv, "
                          "depthwise Conv, Gemm, MatMul, Add, pooling, global average pooling); quantize its input "
                          "to int8",
                          op_name(n.op)));
  return t;
}

// An int8 or int16 (N, C, H, W) input stored channels-last.
const IntTensor& spatial_input(const LoweringContext& c, const Node& n, const ActView& x) {
  const IntTensor& t = c.program.tensors.at(static_cast<size_t>(x.tensor));
  if (!t.channels_last || t.shape.size() != 4)
    c.fail(n, "the integer kernel takes (N, C, H, W) input; input has shape " + shape_str(t.shape));
  return t;
}

// A step writing at the input's quantization (temporary when the QuantizeLinear differs), then the
// requantize into the chain's tensor.
int same_quant_output(LoweringContext& c, const Node& n, const IntTensor& in, const OutputChain& chain,
                      bool* needs_requantize) {
  *needs_requantize = chain.dtype != in.dtype || chain.scale != in.scale || chain.zero_point != in.zero_point;
  if (!*needs_requantize) return c.chain_output(chain);
  return c.add_activation(c.temp_name(n, "out"), in.dtype, c.shape_of(n.outputs[0]), in.scale, in.zero_point);
}

void finish_same_quant(LoweringContext& c, const Node& n, int out, const OutputChain& chain, bool needs_requantize) {
  if (!needs_requantize) return;
  OutputChain plain = chain;  // the clamp was applied by the kernel at the input's quantization
  plain.act_min = chain.dtype == DType::kI16 ? -32768 : -128;
  plain.act_max = chain.dtype == DType::kI16 ? 32767 : 127;
  c.requantize_into(out, plain, n);
}

void step_from(LoweringContext& c, const Node& n, const OutputChain& chain, topt_family family, StepParams params,
               std::vector<int> inputs, int output) {
  IntegerStep step;
  step.family = family;
  step.params = params;
  step.inputs = std::move(inputs);
  step.outputs = {output};
  c.add_step(std::move(step), {&n, chain.activation, chain.quantize});
}

// `t` as int16 at its own scale: itself, or an exact widening of int8 (docs/numerics.md section 5).
int as_int16(LoweringContext& c, const Node& n, int t, const std::string& what) {
  const IntTensor& s = c.program.tensors.at(static_cast<size_t>(t));
  if (s.dtype == DType::kI16) return t;
  return c.convert(t, DType::kI16, s.scale, 0, -32768, 32767, c.temp_name(n, what), n);
}

// Where an int16 kernel writes a chain's result: the chain's tensor when it is int16, else an int16
// temporary at the chain's scale that narrow_to_chain() then narrows exactly (zero point and clamp).
int int16_output(LoweringContext& c, const Node& n, const OutputChain& chain, int32_t* act_min, int32_t* act_max) {
  if (chain.dtype == DType::kI16) {
    *act_min = chain.act_min;
    *act_max = chain.act_max;
    return c.chain_output(chain);
  }
  *act_min = -32768;
  *act_max = 32767;
  return c.add_activation(c.temp_name(n, "int16_output"), DType::kI16, c.shape_of(chain.value), chain.scale, 0);
}

void narrow_to_chain(LoweringContext& c, const Node& n, int out, const OutputChain& chain) {
  if (chain.dtype == DType::kI16) return;
  c.int_value[chain.value] =
      c.convert(out, DType::kI8, chain.scale, chain.zero_point, chain.act_min, chain.act_max, chain.value, n);
}

}  // namespace

void lower_add(LoweringContext& c, const Node& n) {
  const ActView a = c.activation_input(n, 0), b = c.activation_input(n, 1);
  const IntTensor& ta = c.program.tensors.at(static_cast<size_t>(a.tensor));
  const IntTensor& tb = c.program.tensors.at(static_cast<size_t>(b.tensor));
  if (ta.shape != tb.shape || ta.channels_last != tb.channels_last || ta.nchw != tb.nchw)
    c.fail(n, "integer Add takes two tensors of the same shape (no broadcasting); inputs have " + shape_str(ta.shape) +
                  " and " + shape_str(tb.shape));
  const int32_t count = static_cast<int32_t>(ta.numel());
  const bool s8 = ta.dtype == DType::kI8 && tb.dtype == DType::kI8;  // (ta, tb die when tensors are added)
  const OutputChain chain = c.output_chain(n, true);
  topt_add_params p{};
  if (s8 && chain.dtype == DType::kI8) {
    if (topt_add_prepare(a.scale, a.zero_point, b.scale, b.zero_point, chain.scale, chain.zero_point, &p) != TOPT_OK)
      c.fail(n, "input / output scales out of the add kernel's range");
    p.count = count;
    p.act_min = chain.act_min;
    p.act_max = chain.act_max;
    step_from(c, n, chain, TOPT_FAMILY_add_s8, p, {a.tensor, b.tensor}, c.chain_output(chain));
    return;
  }
  // int16 on either side: both inputs as int16 at their own scales, an int16 add, the result narrowed
  // exactly when the output is int8.
  const int ia = as_int16(c, n, a.tensor, "int16_input1"), ib = as_int16(c, n, b.tensor, "int16_input2");
  if (topt_add_prepare_s16(a.scale, b.scale, chain.scale, &p) != TOPT_OK)
    c.fail(n, "input / output scales out of the add kernel's range");
  p.count = count;
  const int out = int16_output(c, n, chain, &p.act_min, &p.act_max);
  step_from(c, n, chain, TOPT_FAMILY_add_s16, p, {ia, ib}, out);
  narrow_to_chain(c, n, out, chain);
}

void lower_pool(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor in = spatial_input(c, n, x);
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) c.fail(n, "the Indices output has no integer kernel");
  const WindowGeometry g = resolve_window(n, {in.shape[2], in.shape[3]});
  if (n.op == OpType::kMaxPool) {
    for (int64_t d : g.dilations)
      if (d != 1) c.fail(n, "dilated max pooling has no integer kernel");
  } else if (n.attr_int("count_include_pad", 0) != 0 &&
             std::any_of(g.pad_begin.begin(), g.pad_begin.end(), [](int64_t p) { return p != 0; })) {
    c.fail(n, "average pooling with count_include_pad = 1 and padding has no integer kernel (it averages valid taps "
              "only)");
  }
  const OutputChain chain = c.output_chain(n, true);
  topt_pool2d_params p{};
  p.win.input = {1, static_cast<int32_t>(in.shape[2]), static_cast<int32_t>(in.shape[3]),
                 static_cast<int32_t>(in.shape[1])};
  p.win.output = {1, static_cast<int32_t>(g.out[0]), static_cast<int32_t>(g.out[1]), static_cast<int32_t>(in.shape[1])};
  p.win.kernel_h = static_cast<int32_t>(g.kernel[0]);
  p.win.kernel_w = static_cast<int32_t>(g.kernel[1]);
  p.win.stride_h = static_cast<int32_t>(g.strides[0]);
  p.win.stride_w = static_cast<int32_t>(g.strides[1]);
  p.win.dilation_h = p.win.dilation_w = 1;
  p.win.pad_top = static_cast<int32_t>(g.pad_begin[0]);
  p.win.pad_left = static_cast<int32_t>(g.pad_begin[1]);
  bool requantize = false;
  const int out = same_quant_output(c, n, in, chain, &requantize);
  // the fused clamp in the input's units (same as the output's when no requantize follows)
  const bool s16 = in.dtype == DType::kI16;
  p.act_min = s16 ? -32768 : -128;
  p.act_max = s16 ? 32767 : 127;
  if (chain.activation != nullptr) c.activation_range(*chain.activation, in.scale, in.zero_point, in.dtype, &p.act_min, &p.act_max);
  const topt_family family = n.op == OpType::kMaxPool ? (s16 ? TOPT_FAMILY_maxpool2d_s16 : TOPT_FAMILY_maxpool2d_s8)
                                                      : (s16 ? TOPT_FAMILY_avgpool2d_s16 : TOPT_FAMILY_avgpool2d_s8);
  step_from(c, n, chain, family, p, {x.tensor}, out);
  finish_same_quant(c, n, out, chain, requantize);
}

void lower_global_pool(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor in = spatial_input(c, n, x);
  if (n.op == OpType::kReduceMean) {
    std::vector<int64_t> axes = c.has_input(n, 1) ? c.int_list_input(n, 1) : n.attr_ints("axes");
    for (int64_t& a : axes) a = a < 0 ? a + 4 : a;
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<int64_t>{2, 3})
      c.fail(n, "ReduceMean has an integer kernel only over the spatial axes (2, 3) of (N, C, H, W) data");
  }
  const OutputChain chain = c.output_chain(n, true);
  // int16 on either side: the input as int16 at its own scale, an int16 mean, narrowed exactly when the
  // output is int8
  const bool s16 = in.dtype == DType::kI16 || chain.dtype == DType::kI16;
  topt_global_pool_params p{};
  p.input = {1, static_cast<int32_t>(in.shape[2]), static_cast<int32_t>(in.shape[3]), static_cast<int32_t>(in.shape[1])};
  p.input_zero_point = s16 ? 0 : in.zero_point;
  p.output_zero_point = s16 ? 0 : chain.zero_point;
  p.requant = quantize_multiplier(c, n, static_cast<double>(in.scale) /
                                            (static_cast<double>(chain.scale) * static_cast<double>(in.shape[2] * in.shape[3])));
  p.act_min = chain.act_min;
  p.act_max = chain.act_max;
  const int input = s16 ? as_int16(c, n, x.tensor, "int16_input") : x.tensor;
  const int out = s16 ? int16_output(c, n, chain, &p.act_min, &p.act_max) : c.chain_output(chain);
  // (1, C, 1, 1) and (1, C) store the same bytes in NCHW and NHWC order
  IntTensor& o = c.program.tensors[static_cast<size_t>(out)];
  o.channels_last = o.shape.size() == 4;
  o.nchw = o.channels_last ? o.shape : Shape{};
  step_from(c, n, chain, s16 ? TOPT_FAMILY_global_avgpool2d_s16 : TOPT_FAMILY_global_avgpool2d_s8, p, {input}, out);
  if (s16) narrow_to_chain(c, n, out, chain);
}

void lower_concat(LoweringContext& c, const Node& n) {
  if (n.inputs.empty()) c.fail(n, "has no inputs");
  std::vector<ActView> xs;
  for (size_t i = 0; i < n.inputs.size(); ++i) xs.push_back(c.activation_input(n, i));
  const IntTensor first = int8_input(c, n, xs[0]);
  const int64_t rank = static_cast<int64_t>(first.shape.size());
  int64_t axis = n.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis <= 0 || axis >= rank) c.fail(n, "integer Concat joins along a non-batch axis; axis is " + std::to_string(axis));
  // the axis in memory order: channels-last (N, C, H, W) is stored (N, H, W, C)
  const bool cl = first.channels_last;
  if (cl && first.shape.size() != 4)
    c.fail(n, "Concat of flattened channels-last data has no integer kernel (concatenate before Flatten)");
  static constexpr int64_t kNhwcAxis[4] = {0, 3, 1, 2};
  const int64_t mem_axis = cl ? kNhwcAxis[axis] : axis;
  const OutputChain chain = c.output_chain(n, false);
  if (chain.dtype != DType::kI8) c.fail(n, "Concat with an int16 output has no integer kernel");
  IntegerStep step;
  topt_concat_params p{};
  p.outer = 1;
  p.inner = 1;
  for (size_t i = 0; i < xs.size(); ++i) {
    const IntTensor& t = int8_input(c, n, xs[i]);
    if (t.channels_last != cl || t.shape.size() != first.shape.size())
      c.fail(n, "inputs of different layouts or ranks have no integer Concat");
    const Shape mem = cl ? Shape{1, t.shape[2], t.shape[3], t.shape[1]} : t.shape;
    const Shape mem0 = cl ? Shape{1, first.shape[2], first.shape[3], first.shape[1]} : first.shape;
    for (size_t d = 0; d < mem.size(); ++d)
      if (static_cast<int64_t>(d) != mem_axis && mem[d] != mem0[d])
        c.fail(n, "inputs " + shape_str(first.shape) + " and " + shape_str(t.shape) + " differ off the concat axis");
    step.axis_sizes.push_back(static_cast<int32_t>(mem[static_cast<size_t>(mem_axis)]));
    step.input_zero_points.push_back(xs[i].zero_point);
    step.input_requant.push_back(quantize_multiplier(c, n, static_cast<double>(xs[i].scale) / chain.scale));
    step.inputs.push_back(xs[i].tensor);
    if (i == 0) {
      for (int64_t d = 0; d < mem_axis; ++d) p.outer *= static_cast<int32_t>(mem[static_cast<size_t>(d)]);
      for (size_t d = static_cast<size_t>(mem_axis) + 1; d < mem.size(); ++d) p.inner *= static_cast<int32_t>(mem[d]);
    }
  }
  p.num_inputs = static_cast<int32_t>(xs.size());
  p.output_zero_point = chain.zero_point;
  step.family = TOPT_FAMILY_concat_s8;
  step.params = p;
  step.outputs = {c.chain_output(chain)};
  c.add_step(std::move(step), {&n, chain.quantize});
}

void lower_pad(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor in = spatial_input(c, n, x);
  int8_input(c, n, x);
  if (n.attr_string("mode", "constant") != "constant") c.fail(n, "only constant padding has an integer kernel");
  if (c.has_input(n, 3)) c.fail(n, "Pad with explicit axes has no integer kernel");
  const std::vector<int64_t> pads = c.int_list_input(n, 1);
  if (pads.size() != 8) c.fail(n, "pads must have 8 entries for (N, C, H, W) data");
  if (pads[0] != 0 || pads[4] != 0) c.fail(n, "padding the batch axis has no integer kernel");
  for (int64_t v : pads)
    if (v < 0) c.fail(n, "negative pads (cropping) have no integer kernel");
  float value = 0.0f;
  if (c.has_input(n, 2)) {
    const int p = c.graph.producer(n.inputs[2]);
    if (p >= 0 && c.graph.nodes[static_cast<size_t>(p)].op == OpType::kDequantizeLinear) {
      const ConstDq v = c.constant_input(n, 2);
      if (v.values.size() != 1) c.fail(n, "constant_value must be a scalar");
      value = v.scale[0] * static_cast<float>(v.values[0] - v.zero_point[0]);
    } else {
      value = c.float_scalar_input(n, 2, 0.0f);
    }
  }
  const OutputChain chain = c.output_chain(n, false);
  topt_pad_params p{};
  p.input = {1, static_cast<int32_t>(in.shape[2]), static_cast<int32_t>(in.shape[3]), static_cast<int32_t>(in.shape[1])};
  // ONNX pads (N, C, H, W) begins then ends -> NHWC order
  const int32_t order[4] = {0, 2, 3, 1};
  for (int d = 0; d < 4; ++d) {
    p.pad_before[d] = static_cast<int32_t>(pads[static_cast<size_t>(order[d])]);
    p.pad_after[d] = static_cast<int32_t>(pads[static_cast<size_t>(order[d] + 4)]);
  }
  p.pad_value = static_cast<int32_t>(
      std::clamp<int64_t>(std::llround(static_cast<double>(value) / in.scale) + in.zero_point, -128, 127));
  bool requantize = false;
  const int out = same_quant_output(c, n, in, chain, &requantize);
  step_from(c, n, chain, TOPT_FAMILY_pad_s8, p, {x.tensor}, out);
  finish_same_quant(c, n, out, chain, requantize);
}

void lower_clamp(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor in = int8_input(c, n, x);
  const OutputChain chain = c.output_chain(n, false);
  topt_clamp_params p{};
  p.count = static_cast<int32_t>(in.numel());
  c.activation_range(n, in.scale, in.zero_point, DType::kI8, &p.act_min, &p.act_max);
  bool requantize = false;
  const int out = same_quant_output(c, n, in, chain, &requantize);
  step_from(c, n, chain, TOPT_FAMILY_clamp_s8, p, {x.tensor}, out);
  finish_same_quant(c, n, out, chain, requantize);
}

void lower_hardswish(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor in = int8_input(c, n, x);
  const OutputChain chain = c.output_chain(n, false);
  if (chain.dtype != DType::kI8) c.fail(n, "HardSwish with an int16 output has no integer kernel");
  topt_hardswish_params p{};
  if (topt_hardswish_prepare(x.scale, x.zero_point, chain.scale, chain.zero_point, &p) != TOPT_OK)
    c.fail(n, "input / output scales out of the hard-swish kernel's range");
  p.count = static_cast<int32_t>(in.numel());
  step_from(c, n, chain, TOPT_FAMILY_hardswish_s8, p, {x.tensor}, c.chain_output(chain));
}

void lower_softmax(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor in = int8_input(c, n, x);
  const int64_t rank = static_cast<int64_t>(in.shape.size());
  int64_t axis = n.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis != rank - 1 || (in.channels_last && in.numel() != in.shape[static_cast<size_t>(axis)]))
    c.fail(n, "the integer softmax runs over the last axis of (N, features) data");
  const OutputChain chain = c.output_chain(n, false);
  topt_softmax_params p{};
  if (topt_softmax_prepare(1.0, x.scale, &p) != TOPT_OK) c.fail(n, "input scale out of the softmax kernel's range");
  p.row_size = static_cast<int32_t>(in.shape.back());
  p.rows = static_cast<int32_t>(in.numel() / in.shape.back());
  // the kernel's output quantization is fixed: scale 1/256, zero point -128 (docs/numerics.md section 8)
  IntTensor fixed = in;
  fixed.scale = 1.0f / 256.0f;
  fixed.zero_point = -128;
  bool requantize = false;
  const int out = same_quant_output(c, n, fixed, chain, &requantize);
  step_from(c, n, chain, TOPT_FAMILY_softmax_s8, p, {x.tensor}, out);
  finish_same_quant(c, n, out, chain, requantize);
}

}  // namespace tinyopt::exec
