// Runners for Conv, ConvTranspose, MaxPool, AveragePool and GlobalAveragePool: ONNX attributes -> kernel params. The
// window geometry (auto_pad, pads, strides, dilations, ceil_mode) comes from core's resolve_window(), the
// same code that shape inference uses, so executed and inferred shapes cannot disagree.
#include <algorithm>
#include <array>

#include "exec/kernels/batchnorm_f32.h"
#include "exec/kernels/conv2d_f32.h"
#include "exec/kernels/conv3d_f32.h"
#include "exec/kernels/conv_transpose2d_f32.h"
#include "exec/kernels/pool_f32.h"
#include "exec/runners/runners.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::exec {
namespace {

std::vector<int64_t> spatial_dims(const Shape& s) { return {s.begin() + 2, s.end()}; }

// Params of a 3-D convolution (rank-5 input).
kernels::Conv3dParams conv3d_params(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  const WindowGeometry g = resolve_window(ctx.node(), spatial_dims(x.shape()), spatial_dims(w.shape()));
  kernels::Conv3dParams p;
  p.batch = x.dim(0);
  p.in_channels = x.dim(1);
  p.out_channels = w.dim(0);
  p.group = ctx.node().attr_int("group", 1);
  for (size_t i = 0; i < 3; ++i) {
    p.in[i] = x.dim(static_cast<int>(i) + 2);
    p.kernel[i] = g.kernel[i];
    p.stride[i] = g.strides[i];
    p.pad_begin[i] = g.pad_begin[i];
    p.pad_end[i] = g.pad_end[i];
    p.dilation[i] = g.dilations[i];
  }
  if (ctx.has_input(2) && ctx.input(2).numel() != p.out_channels)
    ctx.fail("bias has shape " + shape_str(ctx.input(2).shape()) + ", expected [" + std::to_string(p.out_channels) + "]");
  return p;
}

struct ConvState {
  kernels::Conv2dParams p;
  kernels::Conv3dParams p3;  // rank-5 input
  std::vector<float> packed_w;      // weights packed for the GEMM, when they are an initializer
  const float* packed_from = nullptr;  // the weight data packed_w was made from
  std::vector<float> bn_a, bn_b;    // fused BatchNormalization folded per channel
  std::array<const float*, 4> bn_from{};  // the parameter data bn_a, bn_b were folded from
};

kernels::Conv2dParams conv_params(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  const WindowGeometry g = resolve_window(ctx.node(), spatial_dims(x.shape()), spatial_dims(w.shape()));
  kernels::Conv2dParams p;
  p.batch = x.dim(0);
  p.in_channels = x.dim(1);
  p.out_channels = w.dim(0);
  p.group = ctx.node().attr_int("group", 1);
  const size_t h = g.kernel.size() == 2 ? 0 : 1;  // index of the H entry; 1-D conv has W only
  if (g.kernel.size() == 2) {
    p.in_h = x.dim(2);
    p.kernel_h = g.kernel[0];
    p.stride_h = g.strides[0];
    p.dilation_h = g.dilations[0];
    p.pad_top = g.pad_begin[0];
    p.pad_bottom = g.pad_end[0];
  }
  const size_t wi = 1 - h;
  p.in_w = x.dim(-1);
  p.kernel_w = g.kernel[wi];
  p.stride_w = g.strides[wi];
  p.dilation_w = g.dilations[wi];
  p.pad_left = g.pad_begin[wi];
  p.pad_right = g.pad_end[wi];
  if (ctx.has_input(2) && ctx.input(2).numel() != p.out_channels)
    ctx.fail("bias has shape " + shape_str(ctx.input(2).shape()) + ", expected [" + std::to_string(p.out_channels) + "]");
  return p;
}

struct PoolState {
  kernels::PoolParams p;
};

kernels::PoolParams pool_params(const OpContext& ctx, const Tensor& x, bool count_include_pad) {
  if (x.rank() < 3 || x.rank() > 5)
    ctx.fail("input " + shape_str(x.shape()) + ": only 1-, 2- and 3-D pooling is supported");
  const WindowGeometry g = resolve_window(ctx.node(), spatial_dims(x.shape()));
  const int rank = x.rank() - 2;
  std::vector<int64_t> pads = g.pad_begin;
  pads.insert(pads.end(), g.pad_end.begin(), g.pad_end.end());
  const auto in = spatial_dims(x.shape());
  return kernels::make_pool_params(x.dim(0), x.dim(1), rank, in.data(), g.kernel.data(), g.strides.data(),
                                   pads.data(), g.dilations.data(), ctx.node().attr_int("ceil_mode", 0) != 0,
                                   count_include_pad);
}

// Converts in-plane argmax indices to ONNX MaxPool Indices: offsets over the whole (N, C, ...) tensor,
// the in-plane part in column-major order when storage_order = 1 (2-D only).
void finish_indices(const OpContext& ctx, const kernels::PoolParams& p, int64_t* idx, int64_t count) {
  const bool column_major = ctx.node().attr_int("storage_order", 0) != 0;
  const int64_t plane_out = p.out_plane(), plane_in = p.in_plane();
  for (int64_t i = 0; i < count; ++i) {
    int64_t in_plane = idx[i];
    if (column_major) {
      const int64_t hh = in_plane / p.in[2], ww = in_plane % p.in[2];
      in_plane = ww * p.in[1] + hh;
    }
    idx[i] = (i / plane_out) * plane_in + in_plane;
  }
}

}  // namespace

void run_conv(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  auto& st = ctx.state<ConvState>();
  const float* xd = ctx.input_data<float>(0);
  const float* wd = ctx.input_data<float>(1);
  const bool is_3d = x.rank() == 5;
  if (x.rank() < 3 || x.rank() > 5)
    ctx.fail("input " + shape_str(x.shape()) + ": only 1-D, 2-D and 3-D convolutions are supported");
  if (ctx.reshaped()) {
    if (is_3d) {
      st.p3 = conv3d_params(ctx, x, w);
      st.p.out_channels = st.p3.out_channels;  // the channel count the fused epilogue checks
    } else {
      st.p = conv_params(ctx, x, w);
    }
    st.packed_from = nullptr;
  }
  kernels::ConvEpilogue ep;
  ep.bias = ctx.has_input(2) ? ctx.input_data<float>(2) : nullptr;
  ep.clamp = ctx.fused().clamp;
  if (const Node* bn = ctx.fused().batch_norm) {
    const auto& prm = ctx.fused().batch_norm_params;  // scale, B, mean, var: initializers of C floats
    const auto channels = static_cast<size_t>(st.p.out_channels);
    for (const Tensor* t : prm)
      if (static_cast<size_t>(t->numel()) != channels)
        throw_bad_input(bn->describe() + ": parameters must have " + std::to_string(channels) + " entries");
    const std::array<const float*, 4> from = {prm[0]->data<float>(), prm[1]->data<float>(),
                                              prm[2]->data<float>(), prm[3]->data<float>()};
    if (ctx.reshaped() || st.bn_from != from) {  // parameters are initializers: fold once
      st.bn_a.resize(channels);
      st.bn_b.resize(channels);
      kernels::batchnorm_fold_f32(st.p.out_channels, from[0], from[1], from[2], from[3],
                                  bn->attr_float("epsilon", 1e-5f), st.bn_a.data(), st.bn_b.data());
      st.bn_from = from;
    }
    ep.scale = st.bn_a.data();
    ep.shift = st.bn_b.data();
  }
  if (is_3d) {
    kernels::conv3d_f32(st.p3, xd, wd, ep, ctx.output(0, DType::kF32).data<float>(), ctx.threads());
    return;
  }
  const float* packed = nullptr;
  if (ctx.input_is_constant(1) && kernels::conv2d_f32_packed_weight_floats(st.p) > 0) {
    if (st.packed_from != wd) {
      st.packed_w.resize(kernels::conv2d_f32_packed_weight_floats(st.p));
      kernels::conv2d_f32_pack_weights(st.p, wd, st.packed_w.data());
      st.packed_from = wd;
    }
    packed = st.packed_w.data();
  }
  Tensor& y = ctx.output(0, DType::kF32);
  float* scratch = ctx.scratch(kernels::conv2d_f32_scratch_floats(st.p, ctx.threads()));
  kernels::conv2d_f32(st.p, xd, wd, packed, ep, y.data<float>(), scratch, ctx.threads());
}

void run_conv_transpose(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() != 3 && x.rank() != 4)
    ctx.fail("input " + shape_str(x.shape()) + ": only 1-D and 2-D transposed convolutions are supported");
  auto& p = ctx.state<kernels::Conv2dParams>();
  if (ctx.reshaped()) {
    const TransposeWindowGeometry g =
        resolve_transpose_window(ctx.node(), spatial_dims(x.shape()), spatial_dims(w.shape()));
    const size_t h = g.kernel.size() == 2 ? 0 : 1, wi = 1 - h;  // 1-D: W only
    p = kernels::Conv2dParams{};
    p.batch = x.dim(0);
    p.group = ctx.node().attr_int("group", 1);
    p.out_channels = x.dim(1);                 // the forward convolution's output is our input
    p.in_channels = w.dim(1) * p.group;        // and its input our output
    const Shape& y_shape = ctx.output_shape(0);
    if (h == 0) {
      p.in_h = y_shape[2];
      p.kernel_h = g.kernel[0], p.stride_h = g.strides[0], p.dilation_h = g.dilations[0];
      p.pad_top = g.pad_begin[0], p.pad_bottom = g.pad_end[0];
    }
    p.in_w = y_shape.back();
    p.kernel_w = g.kernel[wi], p.stride_w = g.strides[wi], p.dilation_w = g.dilations[wi];
    p.pad_left = g.pad_begin[wi], p.pad_right = g.pad_end[wi];
    if (x.dim(1) != w.dim(0) || p.group <= 0 || x.dim(1) % p.group != 0)
      ctx.fail("input channels " + std::to_string(x.dim(1)) + ", weight " + shape_str(w.shape()) + " and group " +
               std::to_string(p.group) + " are inconsistent");
    // A negative end pad (output_shape beyond what the kernels cover) just leaves zeros at the end.
    for (int64_t pad : {p.pad_top, p.pad_left})
      if (pad < 0) ctx.fail("output_shape / auto_pad ask for a negative leading pad, which is not supported");
    // The forward convolution over the output must give back the input extent (output_padding < stride).
    if (p.out_h() != (h == 0 ? x.dim(2) : 1) || p.out_w() != x.dim(-1))
      ctx.fail("output_padding must be smaller than the stride");
    if (ctx.has_input(2) && ctx.input(2).numel() != p.in_channels)
      ctx.fail("bias has shape " + shape_str(ctx.input(2).shape()) + ", expected [" + std::to_string(p.in_channels) + "]");
  }
  const float* bias = ctx.has_input(2) ? ctx.input_data<float>(2) : nullptr;
  const float* xd = ctx.input_data<float>(0);
  const float* wd = ctx.input_data<float>(1);
  float* scratch = ctx.scratch(kernels::conv_transpose2d_f32_scratch_floats(p));
  kernels::conv_transpose2d_f32(p, xd, wd, bias, ctx.output(0, DType::kF32).data<float>(), scratch, ctx.threads());
}

void run_max_pool(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto& st = ctx.state<PoolState>();
  if (ctx.reshaped()) st.p = pool_params(ctx, x, false);
  Tensor& y = ctx.output(0, x.dtype());
  int64_t* indices = nullptr;
  if (ctx.wants_output(1)) {
    if (x.dtype() != DType::kF32) ctx.fail("Indices output is supported for float input only");
    indices = ctx.output(1, DType::kI64).data<int64_t>();
  }
  switch (x.dtype()) {
    case DType::kF32: kernels::maxpool_f32(st.p, x.data<float>(), y.data<float>(), indices, ctx.threads()); break;
    case DType::kU8: kernels::maxpool_u8(st.p, x.data<uint8_t>(), y.data<uint8_t>(), ctx.threads()); break;
    case DType::kI8: kernels::maxpool_i8(st.p, x.data<int8_t>(), y.data<int8_t>(), ctx.threads()); break;
    default: ctx.fail("unsupported input dtype " + std::string(dtype_name(x.dtype())));
  }
  if (indices != nullptr) finish_indices(ctx, st.p, indices, y.numel());
}

void run_average_pool(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto& st = ctx.state<PoolState>();
  if (ctx.reshaped()) st.p = pool_params(ctx, x, ctx.node().attr_int("count_include_pad", 0) != 0);
  const float* xd = ctx.input_data<float>(0);
  kernels::avgpool_f32(st.p, xd, ctx.output(0, DType::kF32).data<float>(), ctx.threads());
}

void run_global_average_pool(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const float* xd = ctx.input_data<float>(0);
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t plane = planes == 0 ? 0 : x.numel() / planes;
  kernels::global_avgpool_f32(planes, plane, xd, ctx.output(0, DType::kF32).data<float>(), ctx.threads());
}

}  // namespace tinyopt::exec
