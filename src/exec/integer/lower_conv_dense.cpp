// Lowering of the weighted layers: Conv (general, 1x1 and depthwise) and Gemm / MatMul (dense), int8 or
// int4 weights, int8 or int16 activations, bias and fused Relu / Clip. Weights are re-laid out here, once:
// OIHW -> OHWI (conv), (O, 1, KH, KW) -> (1, KH, KW, O) (depthwise), and a dense layer reading flattened
// channels-last data gets its weight columns permuted from NCHW to NHWC order. int4 weights are packed for
// the *_s8w4 kernels, or widened to int8 for the int16-activation kernels (exact: same values).
#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "exec/integer/lowering_context.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::exec {
namespace {

struct LayerWeights {
  std::vector<int32_t> values;  // in the kernel's layout
  std::vector<float> scale;     // per output channel
  bool int4 = false;
  std::string name;
};

// Checks the weight DequantizeLinear: symmetric, per-tensor or per-channel along `channel_axis`.
LayerWeights check_weights(const LoweringContext& c, const Node& n, const ConstDq& w, int channel_axis,
                           int64_t channels) {
  if (w.dtype != DType::kI8 && w.dtype != DType::kI4)
    c.fail(n, fmt::format("weights '{}' are {}; the integer kernels take int8 or int4 weights", w.name,
                          dtype_name(w.dtype)));
  for (int32_t z : w.zero_point)
    if (z != 0)
      c.fail(n, fmt::format("weights '{}' are not symmetric (zero point {}); the integer kernels need zero point 0",
                            w.name, z));
  if (w.scale.size() > 1 && w.axis != channel_axis)
    c.fail(n, fmt::format("weights '{}' are quantized along axis {}; the integer kernels need per-output-channel "
                          "scales (axis {}) or one scale",
                          w.name, w.axis, channel_axis));
  LayerWeights lw;
  lw.name = w.name;
  lw.int4 = w.dtype == DType::kI4;
  lw.scale.resize(static_cast<size_t>(channels));
  for (int64_t oc = 0; oc < channels; ++oc)
    lw.scale[static_cast<size_t>(oc)] = w.scale.size() == 1 ? w.scale[0] : w.scale[static_cast<size_t>(oc)];
  return lw;
}

// Bytes of weights in the kernel's layout: int8, or int4 packed two per byte, low nibble first.
std::vector<uint8_t> weight_bytes(const std::vector<int32_t>& values, bool int4) {
  if (!int4) {
    std::vector<uint8_t> b(values.size());
    for (size_t i = 0; i < values.size(); ++i) b[i] = static_cast<uint8_t>(static_cast<int8_t>(values[i]));
    return b;
  }
  std::vector<uint8_t> b((values.size() + 1) / 2, 0);
  for (size_t i = 0; i < values.size(); ++i)
    b[i / 2] |= static_cast<uint8_t>((values[i] & 0xF) << ((i % 2) * 4));
  return b;
}

// The bias in units of s_in * s_w[oc] (rescaled when the bias DequantizeLinear's scale differs), or empty.
std::vector<int64_t> layer_bias(const LoweringContext& c, const Node& n, size_t input, double s_in,
                                const std::vector<float>& s_w, int64_t max_abs) {
  if (!c.has_input(n, input)) return {};
  const ConstDq b = c.constant_input(n, input);
  const size_t channels = s_w.size();
  if (b.values.size() != channels)
    c.fail(n, fmt::format("bias '{}' has {} values for {} output channels", b.name, b.values.size(), channels));
  if (b.dtype != DType::kI32 && b.dtype != DType::kI64)
    c.fail(n, fmt::format("bias '{}' is {}; the integer kernels take an int32 bias", b.name, dtype_name(b.dtype)));
  std::vector<int64_t> out(channels);
  for (size_t oc = 0; oc < channels; ++oc) {
    if (b.zero_point[b.scale.size() == 1 ? 0 : oc] != 0)
      c.fail(n, fmt::format("bias '{}' has a nonzero zero point", b.name));
    const double s_b = b.scale.size() == 1 ? b.scale[0] : b.scale[oc];
    const double s_acc = s_in * s_w[oc];
    const double v = static_cast<double>(b.values[oc]);
    // The QDQ convention sets s_b = s_in * s_w exactly (up to float rounding); otherwise rescale.
    out[oc] = std::fabs(s_b - s_acc) <= 1e-6 * s_acc ? b.values[oc] : std::llround(v * s_b / s_acc);
    if (std::llabs(out[oc]) > max_abs)
      c.fail(n, fmt::format("bias '{}' value {} exceeds the integer kernels' bias range (|bias| <= {})", b.name,
                            out[oc], max_abs));
  }
  return out;
}

std::vector<uint8_t> bias_bytes(const std::vector<int64_t>& bias, bool int64) {
  std::vector<uint8_t> b(bias.size() * (int64 ? 8 : 4));
  for (size_t i = 0; i < bias.size(); ++i) {
    if (int64) {
      const int64_t v = bias[i];
      std::memcpy(b.data() + 8 * i, &v, 8);
    } else {
      const int32_t v = static_cast<int32_t>(bias[i]);
      std::memcpy(b.data() + 4 * i, &v, 4);
    }
  }
  return b;
}

// Everything the conv and dense lowerings share once the weights are in the kernel's layout: dtype
// handling (int8, or int16 with conversions at the boundary), multipliers, bias, output, step.
struct WeightedLayer {
  topt_family family_s8, family_s8w4, family_s16;
  Shape weight_shape;  // in the kernel's layout
  int64_t macs = 0;
  bool depthwise = false;
};

template <class Params>
void finish_layer(LoweringContext& c, const Node& n, const ActView& x, const LayerWeights& w,
                  const WeightedLayer& layer, Params params) {
  const IntTensor xt = c.program.tensors.at(static_cast<size_t>(x.tensor));
  const OutputChain chain = c.output_chain(n, true);
  const bool s16 = xt.dtype == DType::kI16 || chain.dtype == DType::kI16;
  const size_t channels = w.scale.size();
  IntegerStep step;
  step.multiplier.resize(channels);
  step.shift.resize(channels);
  for (size_t oc = 0; oc < channels; ++oc) {
    const topt_requant r = quantize_multiplier(c, n, static_cast<double>(x.scale) * w.scale[oc] / chain.scale,
                                               s16 ? 14 : 30);
    step.multiplier[oc] = r.multiplier;
    step.shift[oc] = r.shift;
  }
  const std::vector<int64_t> bias =
      layer_bias(c, n, 2, x.scale, w.scale, s16 ? (int64_t{1} << 46) - 1 : int64_t{1} << 30);
  int input = x.tensor;
  if (s16 && xt.dtype == DType::kI8)  // exact widening at the int8 scale (docs/numerics.md section 5)
    input = c.convert(x.tensor, DType::kI16, xt.scale, 0, -32768, 32767, c.temp_name(n, "int16_input"), n);
  const bool int4_kernel = w.int4 && !s16;  // int16 kernels take int8 weights: int4 values widen exactly
  const int filter = c.add_constant(w.name, int4_kernel ? DType::kI4 : DType::kI8, layer.weight_shape,
                                    weight_bytes(w.values, int4_kernel));
  step.inputs = {input, filter};
  if (!bias.empty())
    step.inputs.push_back(c.add_constant(n.inputs[2] + "/int", s16 ? DType::kI64 : DType::kI32,
                                         Shape{static_cast<int64_t>(channels)}, bias_bytes(bias, s16)));
  params.quant.input_zero_point = s16 ? 0 : xt.zero_point;
  int output;
  if (s16 && chain.dtype == DType::kI8) {
    // int16 result at the int8 output's scale, then an exact narrowing that applies zero point and clamp.
    output = c.add_activation(c.temp_name(n, "int16_output"), DType::kI16, c.shape_of(chain.value), chain.scale, 0);
    params.quant.output_zero_point = 0;
    params.quant.act_min = -32768;
    params.quant.act_max = 32767;
  } else {
    output = c.chain_output(chain);
    params.quant.output_zero_point = chain.zero_point;
    params.quant.act_min = chain.act_min;
    params.quant.act_max = chain.act_max;
  }
  step.family = s16 ? layer.family_s16 : (int4_kernel ? layer.family_s8w4 : layer.family_s8);
  step.params = params;
  step.outputs = {output};
  step.macs = layer.macs;
  c.add_step(std::move(step), {&n, chain.activation, chain.quantize});
  if (s16 && chain.dtype == DType::kI8) {
    const int narrowed = c.convert(output, DType::kI8, chain.scale, chain.zero_point, chain.act_min, chain.act_max,
                                   chain.value, n);
    c.int_value[chain.value] = narrowed;
  }
}

}  // namespace

void lower_conv(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor xt = c.program.tensors.at(static_cast<size_t>(x.tensor));
  if (!xt.channels_last || xt.shape.size() != 4)
    c.fail(n, "the integer kernels do 2-D convolution of (N, C, H, W) data; input has shape " + shape_str(xt.shape));
  const ConstDq wq = c.constant_input(n, 1);
  if (wq.shape.size() != 4) c.fail(n, "weights must be (C_out, C_in/group, KH, KW), have " + shape_str(wq.shape));
  const int64_t C = xt.shape[1], H = xt.shape[2], W = xt.shape[3];
  const int64_t O = wq.shape[0], I = wq.shape[1], KH = wq.shape[2], KW = wq.shape[3];
  const int64_t group = n.attr_int("group", 1);
  const bool depthwise = group > 1 && group == C && I == 1 && O % C == 0;
  if (!depthwise && group != 1)
    c.fail(n, fmt::format("grouped convolution (group {}, not depthwise) has no integer kernel in tinyopt's runtime "
                          "(supported: group 1 and depthwise, group = C_in)",
                          group));
  if (!depthwise && I != C) c.fail(n, fmt::format("weights expect {} input channels, input has {}", I, C));
  const WindowGeometry g = resolve_window(n, {H, W}, {KH, KW});
  for (int64_t p : g.pad_begin)
    if (p < 0) c.fail(n, "negative pads have no integer kernel");
  LayerWeights w = check_weights(c, n, wq, 0, O);
  WeightedLayer layer;
  layer.depthwise = depthwise;
  w.values.resize(wq.values.size());
  if (depthwise) {  // (O, 1, KH, KW) -> (1, KH, KW, O)
    for (int64_t oc = 0; oc < O; ++oc)
      for (int64_t k = 0; k < KH * KW; ++k) w.values[static_cast<size_t>(k * O + oc)] = wq.values[static_cast<size_t>(oc * KH * KW + k)];
    layer.weight_shape = {1, KH, KW, O};
  } else {  // OIHW -> OHWI
    for (int64_t oc = 0; oc < O; ++oc)
      for (int64_t ic = 0; ic < I; ++ic)
        for (int64_t k = 0; k < KH * KW; ++k)
          w.values[static_cast<size_t>((oc * KH * KW + k) * I + ic)] =
              wq.values[static_cast<size_t>((oc * I + ic) * KH * KW + k)];
    layer.weight_shape = {O, KH, KW, I};
  }
  const Shape& out_shape = c.shape_of(n.outputs[0]);
  if (out_shape.size() != 4 || out_shape[2] != g.out[0] || out_shape[3] != g.out[1])
    c.fail(n, "output shape " + shape_str(out_shape) + " does not match the window geometry");
  topt_window2d win{};
  win.input = {1, static_cast<int32_t>(H), static_cast<int32_t>(W), static_cast<int32_t>(C)};
  win.output = {1, static_cast<int32_t>(g.out[0]), static_cast<int32_t>(g.out[1]), static_cast<int32_t>(O)};
  win.kernel_h = static_cast<int32_t>(KH);
  win.kernel_w = static_cast<int32_t>(KW);
  win.stride_h = static_cast<int32_t>(g.strides[0]);
  win.stride_w = static_cast<int32_t>(g.strides[1]);
  win.dilation_h = static_cast<int32_t>(g.dilations[0]);
  win.dilation_w = static_cast<int32_t>(g.dilations[1]);
  win.pad_top = static_cast<int32_t>(g.pad_begin[0]);
  win.pad_left = static_cast<int32_t>(g.pad_begin[1]);
  layer.macs = g.out[0] * g.out[1] * O * I * KH * KW;
  if (depthwise) {
    layer.family_s8 = TOPT_FAMILY_dwconv2d_s8;
    layer.family_s8w4 = TOPT_FAMILY_dwconv2d_s8w4;
    layer.family_s16 = TOPT_FAMILY_dwconv2d_s16;
    topt_dwconv2d_params p{};
    p.win = win;
    p.depth_multiplier = static_cast<int32_t>(O / C);
    finish_layer(c, n, x, w, layer, p);
  } else {
    layer.family_s8 = TOPT_FAMILY_conv2d_s8;
    layer.family_s8w4 = TOPT_FAMILY_conv2d_s8w4;
    layer.family_s16 = TOPT_FAMILY_conv2d_s16;
    topt_conv2d_params p{};
    p.win = win;
    finish_layer(c, n, x, w, layer, p);
  }
}

void lower_dense(LoweringContext& c, const Node& n) {
  const ActView x = c.activation_input(n, 0);
  const IntTensor xt = c.program.tensors.at(static_cast<size_t>(x.tensor));
  if (xt.shape.size() != 2)
    c.fail(n, "the integer dense kernel takes (N, K) input; input has shape " + shape_str(xt.shape) +
                  " (Flatten it first)");
  const bool gemm = n.op == OpType::kGemm;
  if (gemm && n.attr_int("transA", 0) != 0) c.fail(n, "transA = 1 has no integer kernel");
  if (gemm && (n.attr_float("alpha", 1.0f) != 1.0f || (c.has_input(n, 2) && n.attr_float("beta", 1.0f) != 1.0f)))
    c.fail(n, "alpha / beta other than 1 have no integer kernel");
  const bool trans_b = gemm && n.attr_int("transB", 0) != 0;
  const ConstDq wq = c.constant_input(n, 1);
  if (wq.shape.size() != 2) c.fail(n, "weights must be 2-D, have " + shape_str(wq.shape));
  const int64_t K = xt.shape[1];
  const int64_t O = trans_b ? wq.shape[0] : wq.shape[1];
  if ((trans_b ? wq.shape[1] : wq.shape[0]) != K)
    c.fail(n, fmt::format("weights {} do not match {} input features", shape_str(wq.shape), K));
  LayerWeights w = check_weights(c, n, wq, trans_b ? 0 : 1, O);
  // Column k_mem of the kernel's (O, K) weights multiplies input element k_mem as stored; for flattened
  // channels-last data that is NHWC position (h, w, c), i.e. logical (NCHW) feature (c * H + h) * W + w.
  std::vector<int64_t> logical(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) logical[static_cast<size_t>(k)] = k;
  if (xt.channels_last) {
    const int64_t C = xt.nchw[1], H = xt.nchw[2], W = xt.nchw[3];
    if (C * H * W != K) throw_internal("flattened channels-last tensor with a wrong size");
    for (int64_t h = 0; h < H; ++h)
      for (int64_t ww = 0; ww < W; ++ww)
        for (int64_t ch = 0; ch < C; ++ch) logical[static_cast<size_t>((h * W + ww) * C + ch)] = (ch * H + h) * W + ww;
  }
  w.values.resize(static_cast<size_t>(O * K));
  for (int64_t o = 0; o < O; ++o)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t l = logical[static_cast<size_t>(k)];
      w.values[static_cast<size_t>(o * K + k)] = wq.values[static_cast<size_t>(trans_b ? o * K + l : l * O + o)];
    }
  WeightedLayer layer;
  layer.family_s8 = TOPT_FAMILY_dense_s8;
  layer.family_s8w4 = TOPT_FAMILY_dense_s8w4;
  layer.family_s16 = TOPT_FAMILY_dense_s16;
  layer.weight_shape = {O, K};
  layer.macs = O * K;
  topt_dense_params p{};
  p.batches = 1;
  p.in_features = static_cast<int32_t>(K);
  p.out_features = static_cast<int32_t>(O);
  finish_layer(c, n, x, w, layer, p);
}

}  // namespace tinyopt::exec
