/* topt_neon_gemm_s8.c: the int8 matrix product with the int8 output stage that the NEON conv, pointwise
 * and dense kernels (int8 and int4 weights) run on, plus its two setup helpers (effective bias, int4
 * unpacking). Declared in topt_neon_internal.h.
 *
 * Register blocking: 4 output channels x up to 4 rows per step, 16 accumulators; every 16-byte weight
 * vector is loaded once per 4 rows and every row vector once per 4 channels, so one k-step of 16 costs
 * 8 loads and 16 topt_neon_dot16 for 256 MACs. A missing 4th channel (channels % 4) reuses a valid weight
 * row and is simply not stored, so one code path handles every channel count. The k tail (k % 16) runs an
 * 8-wide step and then scalar products added to lane 0.
 */
#if defined(__ARM_NEON)

#include <string.h>

#include "tinyopt_rt_fixedpoint.h"
#include "topt_neon_internal.h"

#define MAX_ROWS 4
/* the row and channel loops below must unroll completely so the 16 accumulators live in registers */
#define UNROLL _Pragma("GCC unroll 4")

/* acc[r][j] += the products of row r and weight row j over the whole of k. */
static inline __attribute__((always_inline)) void dot_block(const int8_t* const* a, int32_t rows,
                                                            const int8_t* const* w, int32_t k,
                                                            int32x4_t acc[MAX_ROWS][4]) {
  int32_t kk = 0, r, j;
  for (; kk + 16 <= k; kk += 16) {
    int8x16_t wv[4];
    UNROLL for (j = 0; j < 4; ++j) wv[j] = vld1q_s8(w[j] + kk);
    UNROLL for (r = 0; r < rows; ++r) {
      const int8x16_t av = vld1q_s8(a[r] + kk);
      UNROLL for (j = 0; j < 4; ++j) acc[r][j] = topt_neon_dot16(acc[r][j], av, wv[j]);
    }
  }
  if (kk + 8 <= k) {
    int8x16_t wv[4];
    UNROLL for (j = 0; j < 4; ++j) wv[j] = vcombine_s8(vld1_s8(w[j] + kk), vdup_n_s8(0));
    UNROLL for (r = 0; r < rows; ++r) {
      const int8x16_t av = vcombine_s8(vld1_s8(a[r] + kk), vdup_n_s8(0));
      UNROLL for (j = 0; j < 4; ++j) acc[r][j] = topt_neon_dot16(acc[r][j], av, wv[j]);
    }
    kk += 8;
  }
  if (kk < k) {
    for (r = 0; r < rows; ++r) {
      for (j = 0; j < 4; ++j) {
        int32_t s = 0, t;
        for (t = kk; t < k; ++t) s += a[r][t] * w[j][t];
        acc[r][j] = vaddq_s32(acc[r][j], vsetq_lane_s32(s, vdupq_n_s32(0), 0));
      }
    }
  }
}

/* rows (1..4, a constant after inlining) x 4 channels: products, horizontal sums, output stage, store n. */
static inline __attribute__((always_inline)) void rows_block(const int8_t* a, int32_t rows, int32_t a_stride,
                                                             const int8_t* const* w, int32_t k, int32x4_t bias,
                                                             int32x4_t multiplier, int32x4_t left, int32x4_t right_neg,
                                                             const topt_channel_quant* q, int8_t* out,
                                                             int32_t out_stride, int32_t n) {
  int32x4_t acc[MAX_ROWS][4];
  const int8_t* rp[MAX_ROWS];
  int32_t r, j;
  UNROLL for (r = 0; r < rows; ++r) {
    rp[r] = a + r * a_stride;
    UNROLL for (j = 0; j < 4; ++j) acc[r][j] = vdupq_n_s32(0);
  }
  dot_block(rp, rows, w, k, acc);
  UNROLL for (r = 0; r < rows; ++r) {
    /* lane j of sums = all 4 lanes of acc[r][j] added */
    const int32x4_t sums = vpaddq_s32(vpaddq_s32(acc[r][0], acc[r][1]), vpaddq_s32(acc[r][2], acc[r][3]));
    const uint32_t bytes = topt_neon_output_s8x4(vaddq_s32(sums, bias), multiplier, left, right_neg, q);
    int8_t* dst = out + r * out_stride;
    if (n == 4) {
      memcpy(dst, &bytes, 4);
    } else {
      for (j = 0; j < n; ++j) dst[j] = (int8_t)(bytes >> (8 * j));
    }
  }
}

void topt_neon_gemm_s8(const int8_t* a, int32_t rows, int32_t a_stride, const int8_t* w, int32_t k, int32_t channels,
                       const int32_t* bias_eff, const int32_t* multiplier, const int32_t* shift,
                       const topt_channel_quant* q, int8_t* out, int32_t out_stride) {
  int32_t c0, r, j;
  for (c0 = 0; c0 < channels; c0 += 4) {
    const int32_t n = channels - c0 < 4 ? channels - c0 : 4;
    const int8_t* wr[4];
    int32_t b4[4] = {0, 0, 0, 0}, m4[4] = {0, 0, 0, 0}, s4[4] = {0, 0, 0, 0};
    int32x4_t bias, mult, sh, left, right_neg;
    for (j = 0; j < 4; ++j) {
      const int32_t c = c0 + (j < n ? j : 0); /* a missing channel repeats the block's first */
      wr[j] = w + c * k;
      b4[j] = bias_eff[c];
      m4[j] = multiplier[c];
      s4[j] = shift[c];
    }
    bias = vld1q_s32(b4);
    mult = vld1q_s32(m4);
    sh = vld1q_s32(s4);
    left = vmaxq_s32(sh, vdupq_n_s32(0));
    right_neg = vminq_s32(sh, vdupq_n_s32(0));
    for (r = 0; r + 4 <= rows; r += 4)
      rows_block(a + r * a_stride, 4, a_stride, wr, k, bias, mult, left, right_neg, q, out + r * out_stride + c0,
                 out_stride, n);
    for (; r < rows; ++r)
      rows_block(a + r * a_stride, 1, a_stride, wr, k, bias, mult, left, right_neg, q, out + r * out_stride + c0,
                 out_stride, n);
  }
}

void topt_neon_effective_bias(const int8_t* w, int32_t k, int32_t channels, const int32_t* bias, int32_t zero_point,
                              int32_t* bias_eff) {
  int32_t c, kk;
  for (c = 0; c < channels; ++c) {
    const int8_t* row = w + c * k;
    int32x4_t acc = vdupq_n_s32(0);
    int32_t sum;
    for (kk = 0; kk + 16 <= k; kk += 16) acc = vpadalq_s16(acc, vpaddlq_s8(vld1q_s8(row + kk)));
    sum = vaddvq_s32(acc);
    for (; kk < k; ++kk) sum += row[kk];
    /* unsigned arithmetic: wraps instead of overflowing, and the final sum is what the reference gets */
    bias_eff[c] = (int32_t)((uint32_t)(bias != NULL ? bias[c] : 0) - (uint32_t)zero_point * (uint32_t)sum);
  }
}

void topt_neon_unpack_int4(const uint8_t* packed, int32_t first, int32_t count, int8_t* out) {
  const uint8_t* src = packed + first / 2;
  int32_t i = 0;
  for (; i + 32 <= count; i += 32) {
    const int8x16_t v = vreinterpretq_s8_u8(vld1q_u8(src + i / 2));
    const int8x16_t lo = vshrq_n_s8(vshlq_n_s8(v, 4), 4); /* elements 0, 2, 4, ... sign-extended */
    const int8x16_t hi = vshrq_n_s8(v, 4);                /* elements 1, 3, 5, ... */
    vst1q_s8(out + i, vzip1q_s8(lo, hi));
    vst1q_s8(out + i + 16, vzip2q_s8(lo, hi));
  }
  for (; i < count; ++i) out[i] = (int8_t)topt_int4_at(packed, first + i);
}

#else
typedef int topt_neon_gemm_s8_requires_neon; /* keeps the translation unit non-empty */
#endif
