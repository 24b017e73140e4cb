// Float 2-D convolution: im2col + SGEMM, direct pointwise GEMM, direct depthwise loop (see conv2d_f32.h).
#include "exec/kernels/conv2d_f32.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <omp.h>

#include "exec/kernels/gemm_f32.h"

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

// y[k, :] = clamp(y[k, :] + bias[k]) over `channels` rows of `plane` floats.
void bias_clamp(float* y, const float* bias, int64_t channels, int64_t plane, ActivationClamp act) {
  const bool clamp = act.min != -std::numeric_limits<float>::infinity() ||
                     act.max != std::numeric_limits<float>::infinity();
  if (bias == nullptr && !clamp) return;
  for (int64_t k = 0; k < channels; ++k) {
    float* row = y + k * plane;
    const float b = bias != nullptr ? bias[k] : 0.0f;
    if (clamp) {
      for (int64_t i = 0; i < plane; ++i) row[i] = std::min(std::max(row[i] + b, act.min), act.max);
    } else {
      for (int64_t i = 0; i < plane; ++i) row[i] += b;
    }
  }
}

// Depthwise convolution of one input plane into one output plane (group == C).
//   x: (H, W)   w: (kh, kw)   y: (OH, OW)
void depthwise_plane(const Conv2dParams& p, const float* x, const float* w, float bias, float* y,
                     ActivationClamp act) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  std::fill(y, y + oh * ow, bias);
  for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
    int64_t oy_lo, oy_hi;
    valid_range(oh, p.stride_h, ky * p.dilation_h - p.pad_top, p.in_h, &oy_lo, &oy_hi);
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const float wv = w[ky * p.kernel_w + kx];
      const int64_t x_off = kx * p.dilation_w - p.pad_left;
      int64_t ox_lo, ox_hi;
      valid_range(ow, p.stride_w, x_off, p.in_w, &ox_lo, &ox_hi);
      for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
        const float* x_row = x + (oy * p.stride_h + ky * p.dilation_h - p.pad_top) * p.in_w + x_off;
        float* y_row = y + oy * ow;
        if (p.stride_w == 1) {
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) y_row[ox] += wv * x_row[ox];
        } else {
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) y_row[ox] += wv * x_row[ox * p.stride_w];
        }
      }
    }
  }
  for (int64_t i = 0; i < oh * ow; ++i) y[i] = std::min(std::max(y[i], act.min), act.max);
}

// One image, one group, through im2col (or directly for pointwise) and SGEMM, then the epilogue.
//   x: (C/group, H, W)   w: (K/group, C/group, kh, kw)   y: (K/group, OH, OW)
void gemm_conv_group(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                     ActivationClamp act, float* col, int threads) {
  const int64_t kg = p.out_channels_per_group(), rows = p.col_rows(), cols = p.col_cols();
  const float* b_matrix = x;
  if (!conv2d_is_pointwise(p)) {
    im2col_f32(p, x, col);
    b_matrix = col;
  }
  sgemm_f32(false, false, kg, cols, rows, 1.0f, w, rows, b_matrix, cols, 0.0f, y, cols, threads);
  bias_clamp(y, bias, kg, cols, act);
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

size_t conv2d_f32_scratch_floats(const Conv2dParams& p, int threads) {
  if (conv2d_is_pointwise(p) || conv2d_is_depthwise(p)) return 0;
  const int workers = p.batch >= threads ? std::max(threads, 1) : 1;
  return static_cast<size_t>(p.col_rows() * p.col_cols()) * static_cast<size_t>(workers);
}

void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                ActivationClamp act, float* scratch, int threads) {
  threads = std::max(threads, 1);
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t x_image = p.in_channels * p.in_h * p.in_w, y_image = p.out_channels * oh * ow;
  const int64_t cg = p.in_channels_per_group(), kg = p.out_channels_per_group();
  const int64_t w_group = kg * p.col_rows();
  const size_t col_floats = static_cast<size_t>(p.col_rows() * p.col_cols());

  if (conv2d_is_depthwise(p)) {
    const int64_t planes = p.batch * p.out_channels;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < planes; ++i) {
      const int64_t n = i / p.out_channels, k = i % p.out_channels;
      const int64_t c = k / kg;  // input channel of output channel k's group
      depthwise_plane(p, x + n * x_image + c * p.in_h * p.in_w, w + k * p.kernel_h * p.kernel_w,
                      bias != nullptr ? bias[k] : 0.0f, y + n * y_image + k * oh * ow, act);
    }
    return;
  }

  auto image = [&](int64_t n, float* col, int gemm_threads) {
    for (int64_t g = 0; g < p.group; ++g) {
      gemm_conv_group(p, x + n * x_image + g * cg * p.in_h * p.in_w, w + g * w_group,
                      bias != nullptr ? bias + g * kg : nullptr, y + n * y_image + g * kg * oh * ow, act,
                      col, gemm_threads);
    }
  };
  if (threads > 1 && p.batch >= threads) {
#pragma omp parallel num_threads(threads)
    {
      // Each thread keeps its own im2col buffer (conv2d_f32_scratch_floats sized one per thread).
      float* col = scratch != nullptr ? scratch + col_floats * static_cast<size_t>(omp_get_thread_num()) : nullptr;
#pragma omp for schedule(static)
      for (int64_t n = 0; n < p.batch; ++n) image(n, col, 1);
    }
  } else {
    for (int64_t n = 0; n < p.batch; ++n) image(n, scratch, threads);
  }
}

}  // namespace tinyopt::kernels
