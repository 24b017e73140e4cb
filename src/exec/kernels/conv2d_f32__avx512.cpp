// conv2d_f32__avx512: convolution through the AVX-512 row-pointer SGEMM (sgemm_rows_f32__avx512.h).
// B, the GEMM's right-hand matrix, is given row by row without copying where possible:
//   pointwise (1x1, stride 1, no pad): row c is input channel c;
//   stride 1:  the input is copied once into a zero-padded buffer (C/g, Hp, Wp) and row (c, ky, kx) is the
//              view starting at (c, ky*dh, kx*dw): column oy*Wp + ox of that view is exactly the input
//              under output (oy, ox). The GEMM thus computes Wp columns per output row, of which OW are
//              real; the epilogue keeps those (waste (kw-1)*dw / Wp, far cheaper than an im2col);
//   otherwise: im2col rows.
// See conv2d_f32.h for the contract.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "exec/kernels/blas_threads.h"
#include "exec/kernels/conv2d_f32.h"
#include "exec/kernels/sgemm_rows_f32__avx512.h"

namespace tinyopt::kernels {
namespace {

enum class BMode { kPointwise, kShifted, kIm2col };

struct Plan {
  BMode mode;
  int64_t cols;           // GEMM columns
  int64_t row_stride;     // GEMM columns per output row (OW, or Wp when shifted)
  int64_t hp = 0, wp = 0;  // padded input extent (shifted)
  size_t input_floats;    // per worker: padded input or im2col buffer
  size_t result_floats;   // per worker: GEMM result before compaction (shifted only)
  size_t packed_floats;   // all groups' packed weights
};

Plan plan_of(const Conv2dParams& p) {
  Plan pl{};
  const int64_t oh = p.out_h(), ow = p.out_w(), cg = p.in_channels_per_group(), kg = p.out_channels_per_group();
  pl.packed_floats = static_cast<size_t>(p.group) * sgemm_rows_packed_a_floats(kg, p.col_rows());
  if (conv2d_is_pointwise(p)) {
    pl.mode = BMode::kPointwise;
    pl.cols = oh * ow;
    pl.row_stride = ow;
  } else if (p.stride_h == 1 && p.stride_w == 1) {
    pl.mode = BMode::kShifted;
    pl.hp = p.in_h + p.pad_top + p.pad_bottom;
    pl.wp = p.in_w + p.pad_left + p.pad_right;
    pl.cols = oh * pl.wp;
    pl.row_stride = pl.wp;
    // The last views run (kw-1)*dw floats past the padded planes (into columns the epilogue drops).
    pl.input_floats = static_cast<size_t>(cg * pl.hp * pl.wp + (p.kernel_w - 1) * p.dilation_w);
    pl.result_floats = static_cast<size_t>(kg * pl.cols);
  } else {
    pl.mode = BMode::kIm2col;
    pl.cols = oh * ow;
    pl.row_stride = ow;
    pl.input_floats = static_cast<size_t>(p.col_rows() * p.col_cols());
  }
  return pl;
}

// Copies the group's channels into the zero-padded buffer (C/g, Hp, Wp) plus the zeroed tail.
void pad_input(const Conv2dParams& p, const Plan& pl, const float* x, float* buf) {
  const int64_t cg = p.in_channels_per_group();
  for (int64_t c = 0; c < cg; ++c) {
    float* plane = buf + c * pl.hp * pl.wp;
    std::fill(plane, plane + p.pad_top * pl.wp, 0.0f);
    for (int64_t h = 0; h < p.in_h; ++h) {
      float* row = plane + (p.pad_top + h) * pl.wp;
      std::fill(row, row + p.pad_left, 0.0f);
      std::memcpy(row + p.pad_left, x + (c * p.in_h + h) * p.in_w, static_cast<size_t>(p.in_w) * sizeof(float));
      std::fill(row + p.pad_left + p.in_w, row + pl.wp, 0.0f);
    }
    std::fill(plane + (p.pad_top + p.in_h) * pl.wp, plane + pl.hp * pl.wp, 0.0f);
  }
  std::fill(buf + cg * pl.hp * pl.wp, buf + pl.input_floats, 0.0f);
}

// Per-thread B row pointers (grown once, then reused: no allocation in steady state).
std::vector<const float*>& row_pointers(size_t n) {
  thread_local std::vector<const float*> rows;
  if (rows.size() < n) rows.resize(n);
  return rows;
}

// Fills rows with B for one image and group; may write `buf` (padded input or im2col).
void build_b(const Conv2dParams& p, const Plan& pl, const float* xg, float* buf, const float** rows) {
  const int64_t cg = p.in_channels_per_group();
  switch (pl.mode) {
    case BMode::kPointwise:
      for (int64_t c = 0; c < cg; ++c) rows[c] = xg + c * p.in_h * p.in_w;
      return;
    case BMode::kShifted:
      pad_input(p, pl, xg, buf);
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t ky = 0; ky < p.kernel_h; ++ky)
          for (int64_t kx = 0; kx < p.kernel_w; ++kx)
            rows[(c * p.kernel_h + ky) * p.kernel_w + kx] =
                buf + c * pl.hp * pl.wp + ky * p.dilation_h * pl.wp + kx * p.dilation_w;
      return;
    case BMode::kIm2col:
      im2col_f32(p, xg, buf);
      for (int64_t q = 0; q < p.col_rows(); ++q) rows[q] = buf + q * pl.cols;
      return;
  }
}

ConvEpilogue group_epilogue(const ConvEpilogue& ep, int64_t first_channel) {
  ConvEpilogue g = ep;
  if (g.bias != nullptr) g.bias += first_channel;
  if (g.scale != nullptr) {
    g.scale += first_channel;
    g.shift += first_channel;
  }
  return g;
}

}  // namespace

size_t conv2d_f32__avx512_scratch_floats(const Conv2dParams& p, int threads) {
  const Plan pl = plan_of(p);
  return pl.packed_floats + (pl.input_floats + pl.result_floats) * static_cast<size_t>(detail::conv_workers(p, threads));
}

size_t conv2d_f32_packed_weight_floats(const Conv2dParams& p) {
  return sgemm_rows_avx512_supported() && !conv2d_is_depthwise(p) ? plan_of(p).packed_floats : 0;
}

void conv2d_f32_pack_weights(const Conv2dParams& p, const float* w, float* packed) {
  if (conv2d_f32_packed_weight_floats(p) == 0) return;
  const int64_t kg = p.out_channels_per_group(), rows = p.col_rows();
  const size_t per_group = sgemm_rows_packed_a_floats(kg, rows);
  for (int64_t g = 0; g < p.group; ++g)
    sgemm_rows_pack_a(kg, rows, w + g * kg * rows, rows, packed + static_cast<size_t>(g) * per_group);
}

void conv2d_f32__avx512(const Conv2dParams& p, const float* x, const float* w, const float* packed_w,
                        const ConvEpilogue& epilogue, float* y, float* scratch, int threads) {
  threads = std::max(threads, 1);
  const Plan pl = plan_of(p);
  const int64_t oh = p.out_h(), ow = p.out_w();
  const int64_t x_image = p.in_channels * p.in_h * p.in_w, y_image = p.out_channels * oh * ow;
  const int64_t cg = p.in_channels_per_group(), kg = p.out_channels_per_group(), k = p.col_rows();
  const size_t per_group = sgemm_rows_packed_a_floats(kg, k);
  if (packed_w == nullptr) {
    conv2d_f32_pack_weights(p, w, scratch);
    packed_w = scratch;
  }
  float* worker_base = scratch + pl.packed_floats;
  const size_t worker_floats = pl.input_floats + pl.result_floats;

  // GEMM + epilogue of one image and group; columns split over `gemm_threads` threads.
  auto group_conv = [&](int64_t n, int64_t g, float* buf, int gemm_threads) {
    const float** rows = row_pointers(static_cast<size_t>(k)).data();
    build_b(p, pl, x + n * x_image + g * cg * p.in_h * p.in_w, buf, rows);
    float* yg = y + n * y_image + g * kg * oh * ow;
    float* result = pl.mode == BMode::kShifted ? buf + pl.input_floats : yg;
    const float* a = packed_w + static_cast<size_t>(g) * per_group;
    gemm_threads = threads_for_work(gemm_threads, kg * k * pl.cols);
    if (gemm_threads <= 1) {
      sgemm_rows_f32__avx512(kg, k, a, rows, 0, pl.cols, result, pl.cols);
    } else {
      const int64_t chunk = (pl.cols + gemm_threads - 1) / gemm_threads / kSgemmNr * kSgemmNr + kSgemmNr;
#pragma omp parallel for num_threads(gemm_threads) schedule(static)
      for (int64_t c0 = 0; c0 < pl.cols; c0 += chunk)
        sgemm_rows_f32__avx512(kg, k, a, rows, c0, std::min(pl.cols, c0 + chunk), result, pl.cols);
    }
    detail::conv_epilogue_f32(group_epilogue(epilogue, g * kg), kg, oh, ow, result, pl.cols, pl.row_stride, yg);
  };

  if (detail::conv_workers(p, threads) > 1) {
#pragma omp parallel num_threads(threads)
    {
      float* buf = worker_base + worker_floats * static_cast<size_t>(omp_get_thread_num());
#pragma omp for schedule(static)
      for (int64_t n = 0; n < p.batch; ++n)
        for (int64_t g = 0; g < p.group; ++g) group_conv(n, g, buf, 1);
    }
  } else {
    for (int64_t n = 0; n < p.batch; ++n)
      for (int64_t g = 0; g < p.group; ++g) group_conv(n, g, worker_base, threads);
  }
}

}  // namespace tinyopt::kernels
