// Float 2-D convolution: geometry, im2col / col2im, the epilogue and the choice of
// variant (see conv2d_f32.h).
#include "exec/kernels/conv2d_f32.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "exec/kernels/blas_threads.h"
#include "exec/kernels/sgemm_rows_f32__avx512.h"

namespace tinyopt::kernels {
namespace {

// Output positions o in [0, out) whose input index o*stride + offset lies in [0, in): returns [lo, hi).
void valid_range(int64_t out, int64_t stride, int64_t offset, int64_t in, int64_t* lo, int64_t* hi) {
  // o*stride + offset >= 0  <=>  o >= ceil(-offset / stride)
  int64_t l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  // o*stride + offset <= in - 1  <=>  o <= floor((in - 1 - offset) / stride)
  int64_t h = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  l = std::min(l, out);
  h = std::clamp(h, l, out);
  *lo = l;
  *hi = h;
}

}  // namespace

int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end,
                      int64_t dilation, bool ceil_mode) {
  const int64_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
  if (span < 0 || stride <= 0) return 0;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // ceil_mode: the last window must start inside the input or the begin padding (ONNX / PyTorch rule).
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
  return out;
}

int64_t Conv2dParams::out_h() const {
  return conv_out_size(in_h, kernel_h, stride_h, pad_top, pad_bottom, dilation_h);
}
int64_t Conv2dParams::out_w() const {
  return conv_out_size(in_w, kernel_w, stride_w, pad_left, pad_right, dilation_w);
}

bool conv2d_is_pointwise(const Conv2dParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
         p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
}

bool conv2d_is_depthwise(const Conv2dParams& p) { return p.group > 1 && p.group == p.in_channels; }

void im2col_f32(const Conv2dParams& p, const float* x, float* col) {
  const int64_t oh = p.out_h(), ow = p.out_w(), cg = p.in_channels_per_group();
  for (int64_t c = 0; c < cg; ++c) {
    const float* x_c = x + c * p.in_h * p.in_w;
    for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
      int64_t oy_lo, oy_hi;
      valid_range(oh, p.stride_h, ky * p.dilation_h - p.pad_top, p.in_h, &oy_lo, &oy_hi);
      for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
        float* row = col + ((c * p.kernel_h + ky) * p.kernel_w + kx) * oh * ow;
        const int64_t x_off = kx * p.dilation_w - p.pad_left;
        int64_t ox_lo, ox_hi;
        valid_range(ow, p.stride_w, x_off, p.in_w, &ox_lo, &ox_hi);
        std::fill(row, row + oy_lo * ow, 0.0f);
        for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
          float* out = row + oy * ow;
          const float* in = x_c + (oy * p.stride_h + ky * p.dilation_h - p.pad_top) * p.in_w + x_off;
          std::fill(out, out + ox_lo, 0.0f);
          if (p.stride_w == 1) {
            std::memcpy(out + ox_lo, in + ox_lo, static_cast<size_t>(ox_hi - ox_lo) * sizeof(float));
          } else {
            for (int64_t ox = ox_lo; ox < ox_hi; ++ox) out[ox] = in[ox * p.stride_w];
          }
          std::fill(out + ox_hi, out + ow, 0.0f);
        }
        std::fill(row + oy_hi * ow, row + oh * ow, 0.0f);
      }
    }
  }
}

void col2im_f32(const Conv2dParams& p, const float* col, float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w(), cg = p.in_channels_per_group();
  for (int64_t c = 0; c < cg; ++c) {
    float* dx_c = dx + c * p.in_h * p.in_w;
    for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
      int64_t oy_lo, oy_hi;
      valid_range(oh, p.stride_h, ky * p.dilation_h - p.pad_top, p.in_h, &oy_lo, &oy_hi);
      for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
        const float* row = col + ((c * p.kernel_h + ky) * p.kernel_w + kx) * oh * ow;
        const int64_t x_off = kx * p.dilation_w - p.pad_left;
        int64_t ox_lo, ox_hi;
        valid_range(ow, p.stride_w, x_off, p.in_w, &ox_lo, &ox_hi);
        for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
          const float* in = row + oy * ow;
          float* out = dx_c + (oy * p.stride_h + ky * p.dilation_h - p.pad_top) * p.in_w + x_off;
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) out[ox * p.stride_w] += in[ox];
        }
      }
    }
  }
}

namespace detail {

namespace {

// One output row of the epilogue; the flags are template parameters so each combination is one
// vectorised pass. Multiply and add stay separate operations (no FMA contraction in this build), exactly
// as in the unfused bias, BatchNormalization and clamp kernels.
template <bool kBias, bool kScale, bool kClamp>
void epilogue_row(const float* in, float* out, int64_t n, float bias, float scale, float shift, float lo, float hi) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float v = in[i];
    if constexpr (kBias) v = v + bias;
    if constexpr (kScale) v = v * scale + shift;
    if constexpr (kClamp) v = std::min(std::max(v, lo), hi);
    out[i] = v;
  }
}

template <bool kBias, bool kScale, bool kClamp>
void epilogue_planes(const ConvEpilogue& ep, int64_t channels, int64_t oh, int64_t ow, const float* src,
                     int64_t src_channel_stride, int64_t src_row_stride, float* y) {
  for (int64_t k = 0; k < channels; ++k) {
    const float bias = kBias ? ep.bias[k] : 0.0f;
    const float scale = kScale ? ep.scale[k] : 1.0f, shift = kScale ? ep.shift[k] : 0.0f;
    const float* in = src + k * src_channel_stride;
    float* out = y + k * oh * ow;
    if (src_row_stride == ow) {  // dense rows: one run per channel
      epilogue_row<kBias, kScale, kClamp>(in, out, oh * ow, bias, scale, shift, ep.clamp.min, ep.clamp.max);
    } else {
      for (int64_t r = 0; r < oh; ++r)
        epilogue_row<kBias, kScale, kClamp>(in + r * src_row_stride, out + r * ow, ow, bias, scale, shift,
                                            ep.clamp.min, ep.clamp.max);
    }
  }
}

}  // namespace

void conv_epilogue_f32(const ConvEpilogue& ep, int64_t channels, int64_t oh, int64_t ow, const float* src,
                       int64_t src_channel_stride, int64_t src_row_stride, float* y) {
  using Fn = void (*)(const ConvEpilogue&, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, float*);
  static constexpr Fn kVariants[8] = {
      epilogue_planes<false, false, false>, epilogue_planes<false, false, true>, epilogue_planes<false, true, false>,
      epilogue_planes<false, true, true>,   epilogue_planes<true, false, false>, epilogue_planes<true, false, true>,
      epilogue_planes<true, true, false>,   epilogue_planes<true, true, true>};
  const int index = (ep.bias != nullptr ? 4 : 0) + (ep.scale != nullptr ? 2 : 0) + (ep.clamp.is_identity() ? 0 : 1);
  if (index == 0 && src == y && src_row_stride == ow && src_channel_stride == oh * ow) return;  // nothing to do
  kVariants[index](ep, channels, oh, ow, src, src_channel_stride, src_row_stride, y);
}

int conv_workers(const Conv2dParams& p, int threads) {
  const int64_t macs = p.batch * p.out_channels * p.col_rows() * p.out_h() * p.out_w();
  return threads > 1 && p.batch >= threads && threads_for_work(threads, macs) > 1 ? threads : 1;
}

}  // namespace detail

size_t conv2d_f32_scratch_floats(const Conv2dParams& p, int threads) {
  if (conv2d_is_depthwise(p)) return depthwise_conv2d_f32_scratch_floats(p, threads);
  return sgemm_rows_avx512_supported() ? conv2d_f32__avx512_scratch_floats(p, threads)
                                       : conv2d_f32__blas_scratch_floats(p, threads);
}

void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* packed_w,
                const ConvEpilogue& epilogue, float* y, float* scratch, int threads) {
  threads = std::max(threads, 1);
  if (conv2d_is_depthwise(p)) {
    depthwise_conv2d_f32(p, x, w, epilogue, y, scratch, threads);
    return;
  }
  if (sgemm_rows_avx512_supported()) {
    conv2d_f32__avx512(p, x, w, packed_w, epilogue, y, scratch, threads);
  } else {
    conv2d_f32__blas(p, x, w, packed_w, epilogue, y, scratch, threads);
  }
}

void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                ActivationClamp act, float* scratch, int threads) {
  ConvEpilogue ep;
  ep.bias = bias;
  ep.clamp = act;
  conv2d_f32(p, x, w, nullptr, ep, y, scratch, threads);
}

}  // namespace tinyopt::kernels
