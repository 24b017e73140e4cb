/* topt_x86_internal.h: AVX2 building blocks shared by the x86 kernel variants (not public API).
 *
 * - topt_x86_requantize: the requantize() of docs/numerics.md section 2.3 on 8 int32 lanes, each lane with
 *   its own multiplier and shift; bit-exact to topt_requantize (tests/unit/runtime_fixedpoint_test.cpp
 *   checks it lane by lane on edge values and random ones).
 * - topt_x86_output_s8x8: requantize + zero point + clamp, packed to 8 int8.
 * - topt_x86_gemm_s8: the matrix-product core of the x86 pointwise conv, general conv (after im2col) and
 *   dense kernels (declared here, defined in topt_x86_gemm_s8.c).
 * Everything here requires AVX2; include it only inside `#if defined(__AVX2__)`.
 */
#ifndef TOPT_X86_INTERNAL_H
#define TOPT_X86_INTERNAL_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "tinyopt_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x * 2^left saturated to int32, per lane; left in [0, 30]. */
static inline __m256i topt_x86_sat_shl(__m256i x, __m256i left) {
  const __m256i shifted = _mm256_sllv_epi32(x, left);
  const __m256i lost = _mm256_xor_si256(_mm256_cmpeq_epi32(_mm256_srav_epi32(shifted, left), x), _mm256_set1_epi32(-1));
  const __m256i saturated = _mm256_xor_si256(_mm256_srai_epi32(x, 31), _mm256_set1_epi32(INT32_MAX));
  return _mm256_blendv_epi8(shifted, saturated, lost);
}

/* SRDHM per lane: floor((a*b + 2^30) / 2^31) (equal to gemmlowp's nudge-and-truncate), MIN*MIN -> MAX. */
static inline __m256i topt_x86_srdhm(__m256i a, __m256i b) {
  const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
  /* even lanes: the 64-bit products of lanes 0, 2, 4, 6; bits 31..62 of (p + 2^30) are the result */
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, b), nudge), 31);
  /* odd lanes: same for lanes 1, 3, 5, 7, moved so bits 31..62 land in the upper 32 bits */
  const __m256i odd = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)), nudge), 1);
  const __m256i result = _mm256_blend_epi32(even, odd, 0xAA);
  const __m256i min = _mm256_set1_epi32(INT32_MIN);
  const __m256i overflow = _mm256_and_si256(_mm256_cmpeq_epi32(a, min), _mm256_cmpeq_epi32(b, min));
  return _mm256_blendv_epi8(result, _mm256_set1_epi32(INT32_MAX), overflow);
}

/* RDBPOT per lane: round(x / 2^e), ties away from zero; e in [0, 31]. */
static inline __m256i topt_x86_rdbpot(__m256i x, __m256i e) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, e), one);
  const __m256i remainder = _mm256_and_si256(x, mask);
  const __m256i negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), x);
  const __m256i threshold = _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_and_si256(negative, one));
  const __m256i round_up = _mm256_and_si256(_mm256_cmpgt_epi32(remainder, threshold), one);
  return _mm256_add_epi32(_mm256_srav_epi32(x, e), round_up);
}

/* SRDHM for b >= 0 (every kernel multiplier is validated >= 0): MIN*MIN cannot occur, no blend needed. */
static inline __m256i topt_x86_srdhm_nonneg(__m256i a, __m256i b) {
  const __m256i nudge = _mm256_set1_epi64x((int64_t)1 << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, b), nudge), 31);
  const __m256i odd = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)), nudge), 1);
  return _mm256_blend_epi32(even, odd, 0xAA);
}

/* requantize(acc, M, shift) per lane (docs/numerics.md section 2.3), M >= 0. */
static inline __m256i topt_x86_requantize(__m256i acc, __m256i multiplier, __m256i shift) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i left = _mm256_max_epi32(shift, zero);
  const __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  return topt_x86_rdbpot(topt_x86_srdhm_nonneg(topt_x86_sat_shl(acc, left), multiplier), right);
}

/* requantize for lanes whose shift is <= 0 (right = -shift): the common case, without the left shift. */
static inline __m256i topt_x86_requantize_right(__m256i acc, __m256i multiplier, __m256i right) {
  return topt_x86_rdbpot(topt_x86_srdhm_nonneg(acc, multiplier), right);
}

/* 8 int32 lanes inside [-128, 127] as 8 int8 in lane order, in the low 64 bits (the saturating packs are
 * plain narrowing for such lanes). */
static inline __m128i topt_x86_pack_s8x8(__m256i v) {
  const __m256i w16 = _mm256_packs_epi32(v, v);    /* per 128-bit half: v0..v3 v0..v3 | v4..v7 v4..v7 */
  const __m256i w8 = _mm256_packs_epi16(w16, w16); /* bytes 0..3 of each half: v0..v3 | v4..v7 */
  return _mm_unpacklo_epi32(_mm256_castsi256_si128(w8), _mm256_extracti128_si256(w8, 1));
}

/* Output stage of 8 channels: requantize, clamp to [act_min - zp, act_max - zp], add zp (no overflow, as
 * topt_add_zp_clamp), then pack the 8 lanes to int8 in lane order. Returns the 8 bytes in the low 64 bits.
 * left_shifts: 0 when every lane's shift is <= 0, which selects the cheaper requantization. */
static inline __m128i topt_x86_output_s8x8(__m256i acc, __m256i multiplier, __m256i shift, int left_shifts,
                                           int32_t zero_point, int32_t act_min, int32_t act_max) {
  const __m256i v = left_shifts
                        ? topt_x86_requantize(acc, multiplier, shift)
                        : topt_x86_requantize_right(acc, multiplier, _mm256_sub_epi32(_mm256_setzero_si256(), shift));
  const __m256i clamped = _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(act_min - zero_point)),
                                           _mm256_set1_epi32(act_max - zero_point));
  return topt_x86_pack_s8x8(_mm256_add_epi32(clamped, _mm256_set1_epi32(zero_point)));
}

/* 1 when any of the n shifts is > 0 (then the output stage needs the saturating left shift). */
static inline int topt_x86_any_left_shift(const int32_t* shift, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i)
    if (shift[i] > 0) return 1;
  return 0;
}

static inline void topt_x86_store_s8x8(int8_t* dst, __m128i bytes) { _mm_storel_epi64((__m128i*)dst, bytes); }

/* Stores the first n (< 8) bytes of the low 64 bits. */
static inline void topt_x86_store_s8_partial(int8_t* dst, __m128i bytes, int32_t n) {
  int8_t tmp[16];
  _mm_storeu_si128((__m128i*)tmp, bytes);
  memcpy(dst, tmp, (size_t)n);
}

/* Rounds n up to a multiple of m (m a power of two). */
static inline int32_t topt_x86_round_up(int32_t n, int32_t m) { return (n + m - 1) & ~(m - 1); }

/* Converts n int8 values to int16 minus zero_point (|result| <= 255), then zero-fills dst up to n_padded. */
static inline void topt_x86_widen_s8(const int8_t* src, int32_t n, int32_t zero_point, int16_t* dst, int32_t n_padded) {
  const __m256i zp16 = _mm256_set1_epi16((int16_t)zero_point);
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(src + i)));
    _mm256_storeu_si256((__m256i*)(dst + i), _mm256_sub_epi16(v, zp16));
  }
  if (i + 8 <= n) {
    const __m128i v = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(src + i)));
    _mm_storeu_si128((__m128i*)(dst + i), _mm_sub_epi16(v, _mm256_castsi256_si128(zp16)));
    i += 8;
  }
  for (; i < n; ++i) dst[i] = (int16_t)(src[i] - zero_point);
  for (; i < n_padded; ++i) dst[i] = 0;
}

/* Matrix product with the int8 output stage of docs/numerics.md section 3:
 *   out[m * out_stride + c] = output_s8(bias[c] + sum_k a[m * k_padded + k] * w[c * k + k'], c)
 * a: (rows, k_padded) int16, input minus zero point, zero-filled from k to k_padded (a multiple of 16);
 * w: (channels, k) int8 weights; w_tail: (channels, 16) int16 holding w[c][k16..k) zero-padded (k16 = k
 * rounded down to 16), ignored when k is a multiple of 16; bias may be NULL. */
void topt_x86_gemm_s8(const int16_t* a, int32_t rows, int32_t k_padded, const int8_t* w, const int16_t* w_tail,
                      int32_t k, int32_t channels, const int32_t* bias, const topt_channel_quant* q, int8_t* out,
                      int32_t out_stride);

/* Fills w_tail for topt_x86_gemm_s8: (channels, 16) int16. */
void topt_x86_gemm_tail(const int8_t* w, int32_t k, int32_t channels, int16_t* w_tail);

/* ---- the broadcast matrix product over packed weights (topt_x86_gemm_packed_s8.c) ---- */

/* Weights of a layer packed for topt_x86_gemm_packed_s8, with per-channel values padded to 16 channels.
 * All pointers are 32-byte aligned inside the caller's scratch. */
typedef struct {
  const int16_t* weights;    /* round_up(channels, 16) / 8 blocks of (k2 / 2) x 16 int16 */
  const int32_t* bias;       /* [round_up(channels, 16)], 0 for padding or no bias */
  const int32_t* multiplier; /* [round_up(channels, 16)] */
  const int32_t* shift;      /* [round_up(channels, 16)] */
  int32_t k2;                /* k rounded up to even: the row length of the activations */
  int32_t channels;
  int left_shifts; /* some shift > 0 */
  int32_t output_zero_point, act_min, act_max;
} topt_x86_packed_s8;

/* Scratch bytes topt_x86_pack_s8 needs (alignment slack included). */
size_t topt_x86_packed_bytes(int32_t k, int32_t channels);
/* Packs (channels, k) int8 weights, bias (may be NULL) and q into mem. */
void topt_x86_pack_s8(const int8_t* w, int32_t k, int32_t channels, const int32_t* bias, const topt_channel_quant* q,
                      void* mem, topt_x86_packed_s8* out);
/* out[m * out_stride + c] = output_s8(bias[c] + sum_k a[m * k2 + k] * w[c][k]) for m < rows, c < channels;
 * a: (rows, k2) int16, input minus zero point, a[m][k] = 0 for k >= the weights' k. */
void topt_x86_gemm_packed_s8(const topt_x86_packed_s8* pk, const int16_t* a, int32_t rows, int8_t* out,
                             int32_t out_stride);

/* Scratch pointer rounded up to 32 bytes (scratch_bytes() include the slack). */
static inline void* topt_x86_align32(void* p) { return (void*)(((uintptr_t)p + 31u) & ~(uintptr_t)31u); }

#ifdef __cplusplus
}
#endif

#endif /* TOPT_X86_INTERNAL_H */
