// AVX-512F row-pointer SGEMM (see sgemm_rows_f32__avx512.h). Compiled for AVX-512 with a target pragma
// (the rest of the build is x86-64-v3); callers check sgemm_rows_avx512_supported() first.
#include "exec/kernels/sgemm_rows_f32__avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace tinyopt::kernels {

bool sgemm_rows_avx512_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f") != 0;
  return supported;
}

namespace {

// Row panels: as many 12-row panels as leave a multiple of 8 rows, then 8-row panels, so channel counts
// like 32, 64, 128 need no zero rows (a 12-only split computes 36 rows for 32). Counts with no such split
// use 12-row panels, the last zero-padded.
struct PanelPlan {
  int64_t tall;   // number of 12-row panels (first)
  bool exact;     // the panels cover m exactly (else all panels are 12 rows, the last padded)
};

PanelPlan panel_plan(int64_t m) {
  for (int64_t tall = m / kSgemmMr; tall >= 0; --tall)
    if ((m - tall * kSgemmMr) % 8 == 0) return {tall, true};
  return {(m + kSgemmMr - 1) / kSgemmMr, false};
}

// Height of the panel starting at row m0 (panels start at multiples of 12, then of 8).
int64_t panel_rows(const PanelPlan& plan, int64_t m0) { return plan.exact && m0 >= plan.tall * kSgemmMr ? 8 : kSgemmMr; }

}  // namespace

size_t sgemm_rows_packed_a_floats(int64_t m, int64_t k) {
  const PanelPlan plan = panel_plan(m);
  return static_cast<size_t>((plan.exact ? m : plan.tall * kSgemmMr) * k);
}

void sgemm_rows_pack_a(int64_t m, int64_t k, const float* a, int64_t lda, float* packed) {
  const PanelPlan plan = panel_plan(m);
  for (int64_t m0 = 0; m0 < m;) {
    const int64_t height = panel_rows(plan, m0), rows = std::min(height, m - m0);
    float* panel = packed + m0 * k;
    for (int64_t q = 0; q < k; ++q) {
      for (int64_t i = 0; i < rows; ++i) panel[q * height + i] = a[(m0 + i) * lda + q];
      for (int64_t i = rows; i < height; ++i) panel[q * height + i] = 0.0f;
    }
    m0 += height;
  }
}

#pragma GCC push_options
#pragma GCC target("avx512f")

namespace {

// One kMr x kSgemmNr tile: c[i, n0 + j] for i < rows, j < kSgemmNr; vector v of each row covers
// columns 16v..16v+15 under mask[v] (all ones except in the column tail).
constexpr int kVecs = static_cast<int>(kSgemmNr / 16);

template <int kMr, bool kFullWidth>
__attribute__((always_inline)) inline void micro_tile(int64_t k, const float* a, const float* const* b_rows,
                                                      int64_t n0, const __mmask16* mask, float* c, int64_t ldc,
                                                      int64_t rows) {
  __m512 acc[kMr][kVecs];
#pragma GCC unroll 16
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t q = 0; q < k; ++q) {
    const float* b = b_rows[q] + n0;
    __m512 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v)
      bv[v] = kFullWidth ? _mm512_loadu_ps(b + 16 * v) : _mm512_maskz_loadu_ps(mask[v], b + 16 * v);
    const float* aq = a + q * kMr;
#pragma GCC unroll 16
    for (int i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(aq[i]);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kMr; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc + n0;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) {
      if (kFullWidth) _mm512_storeu_ps(ci + 16 * v, acc[i][v]);
      else _mm512_mask_storeu_ps(ci + 16 * v, mask[v], acc[i][v]);
    }
  }
}

template <int kMr>
void panel_times_b(int64_t k, const float* panel, const float* const* b_rows, int64_t n_begin, int64_t n_end,
                   float* c_rows, int64_t ldc, int64_t rows) {
  const __mmask16 full[kVecs] = {};
  int64_t n0 = n_begin;
  for (; n0 + kSgemmNr <= n_end; n0 += kSgemmNr) micro_tile<kMr, true>(k, panel, b_rows, n0, full, c_rows, ldc, rows);
  if (n0 < n_end) {
    __mmask16 mask[kVecs];
    for (int v = 0; v < kVecs; ++v) {
      const int64_t left = std::clamp<int64_t>(n_end - n0 - 16 * v, 0, 16);
      mask[v] = static_cast<__mmask16>((1u << left) - 1);
    }
    micro_tile<kMr, false>(k, panel, b_rows, n0, mask, c_rows, ldc, rows);
  }
}

}  // namespace

void sgemm_rows_f32__avx512(int64_t m, int64_t k, const float* packed_a, const float* const* b_rows, int64_t n_begin,
                            int64_t n_end, float* c, int64_t ldc) {
  const PanelPlan plan = panel_plan(m);
  for (int64_t m0 = 0; m0 < m;) {
    const int64_t height = panel_rows(plan, m0), rows = std::min(height, m - m0);
    if (height == kSgemmMr) {
      panel_times_b<kSgemmMr>(k, packed_a + m0 * k, b_rows, n_begin, n_end, c + m0 * ldc, ldc, rows);
    } else {
      panel_times_b<8>(k, packed_a + m0 * k, b_rows, n_begin, n_end, c + m0 * ldc, ldc, rows);
    }
    m0 += height;
  }
}

#pragma GCC pop_options

}  // namespace tinyopt::kernels
