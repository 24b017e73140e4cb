// Transposed convolution through SGEMM + col2im (see conv_transpose2d_f32.h).
#include "exec/kernels/conv_transpose2d_f32.h"

#include <algorithm>

#include "exec/kernels/gemm_f32.h"

namespace tinyopt::kernels {

size_t conv_transpose2d_f32_scratch_floats(const Conv2dParams& p) {
  return static_cast<size_t>(p.col_rows() * p.col_cols());
}

void conv_transpose2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                          float* scratch, int threads) {
  const int64_t cg = p.in_channels_per_group(), kg = p.out_channels_per_group();
  const int64_t rows = p.col_rows(), cols = p.col_cols(), plane = p.in_h * p.in_w;
  for (int64_t n = 0; n < p.batch; ++n) {
    float* yn = y + n * p.in_channels * plane;
    std::fill(yn, yn + p.in_channels * plane, 0.0f);  // col2im accumulates
    for (int64_t g = 0; g < p.group; ++g) {
      // col (C/g*kh*kw, OH*OW) = W_g^T (C/g*kh*kw, K/g) x x_g (K/g, OH*OW)
      sgemm_f32(true, false, rows, cols, kg, 1.0f, w + g * kg * rows, rows, x + (n * p.out_channels + g * kg) * cols,
                cols, 0.0f, scratch, cols, threads);
      col2im_f32(p, scratch, yn + g * cg * plane);
    }
    if (bias != nullptr)
      for (int64_t c = 0; c < p.in_channels; ++c)
        for (int64_t i = 0; i < plane; ++i) yn[c * plane + i] += bias[c];
  }
}

}  // namespace tinyopt::kernels
