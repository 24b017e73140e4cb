// conv2d_f32__blas: im2col (skipped for 1x1 stride-1 convolutions) + OpenBLAS SGEMM, then the epilogue in
// place. The portable variant; see conv2d_f32.h.
#include <algorithm>

#include <omp.h>

#include "exec/kernels/conv2d_f32.h"
#include "exec/kernels/gemm_f32.h"

namespace tinyopt::kernels {

size_t conv2d_f32__blas_scratch_floats(const Conv2dParams& p, int threads) {
  if (conv2d_is_pointwise(p)) return 0;
  return static_cast<size_t>(p.col_rows() * p.col_cols()) * static_cast<size_t>(detail::conv_workers(p, threads));
}

void conv2d_f32__blas(const Conv2dParams& p, const float* x, const float* w, const float* /*packed_w*/,
                      const ConvEpilogue& epilogue, float* y, float* scratch, int threads) {
  threads = std::max(threads, 1);
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t x_image = p.in_channels * p.in_h * p.in_w, y_image = p.out_channels * oh * ow;
  const int64_t cg = p.in_channels_per_group(), kg = p.out_channels_per_group();
  const int64_t rows = p.col_rows(), cols = p.col_cols(), w_group = kg * rows;
  const size_t col_floats = static_cast<size_t>(rows * cols);

  // One image, all groups: B is the input itself (pointwise) or its im2col in `col`.
  auto image = [&](int64_t n, float* col, int gemm_threads) {
    for (int64_t g = 0; g < p.group; ++g) {
      const float* xg = x + n * x_image + g * cg * p.in_h * p.in_w;
      float* yg = y + n * y_image + g * kg * oh * ow;
      const float* b = xg;
      if (!conv2d_is_pointwise(p)) {
        im2col_f32(p, xg, col);
        b = col;
      }
      sgemm_f32(false, false, kg, cols, rows, 1.0f, w + g * w_group, rows, b, cols, 0.0f, yg, cols, gemm_threads);
      ConvEpilogue ep = epilogue;
      if (ep.bias != nullptr) ep.bias += g * kg;
      if (ep.scale != nullptr) {
        ep.scale += g * kg;
        ep.shift += g * kg;
      }
      detail::conv_epilogue_f32(ep, kg, oh, ow, yg, oh * ow, ow, yg);
    }
  };
  if (detail::conv_workers(p, threads) > 1) {
#pragma omp parallel num_threads(threads)
    {
      float* col = scratch != nullptr ? scratch + col_floats * static_cast<size_t>(omp_get_thread_num()) : nullptr;
#pragma omp for schedule(static)
      for (int64_t n = 0; n < p.batch; ++n) image(n, col, 1);
    }
  } else {
    for (int64_t n = 0; n < p.batch; ++n) image(n, scratch, threads);
  }
}

}  // namespace tinyopt::kernels
