/* topt_x86_gemm_s8.c: the AVX2 matrix-product core behind the x86 pointwise conv, general conv and dense
 * kernels (declared in topt_x86_internal.h; not a public kernel).
 *
 * Activations arrive widened to int16 with the zero point already subtracted (|a| <= 255), weights stay
 * int8 and are widened 16 at a time. _mm256_madd_epi16 multiplies 16 pairs and adds adjacent products into
 * int32 lanes exactly (|a*w| <= 32640), so every partial sum is an exact integer and, with the accumulator
 * bound of docs/numerics.md section 3, the result equals the reference whatever the summation order.
 * Micro-kernel: 2 rows x 4 output channels, 8 accumulators reduced with horizontal adds, then the vector
 * output stage on the 8 sums. What it is not: a packed-weight GEMM (weights are read in their OHWI order,
 * so nothing has to be prepared per layer).
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

void topt_x86_gemm_tail(const int8_t* w, int32_t k, int32_t channels, int16_t* w_tail) {
  const int32_t k16 = k & ~15;
  int32_t c, i;
  for (c = 0; c < channels; ++c) {
    for (i = 0; i < 16; ++i) w_tail[c * 16 + i] = (int16_t)(k16 + i < k ? w[c * k + k16 + i] : 0);
  }
}

/* Sums of acc[r][j] (8 lanes each) as one vector [r0c0 r0c1 r0c2 r0c3 r1c0 r1c1 r1c2 r1c3]. */
static inline __m256i reduce_2x4(__m256i a00, __m256i a01, __m256i a02, __m256i a03, __m256i a10, __m256i a11,
                                 __m256i a12, __m256i a13) {
  const __m256i r0 = _mm256_hadd_epi32(_mm256_hadd_epi32(a00, a01), _mm256_hadd_epi32(a02, a03));
  const __m256i r1 = _mm256_hadd_epi32(_mm256_hadd_epi32(a10, a11), _mm256_hadd_epi32(a12, a13));
  /* r0 holds row 0's four sums once per 128-bit half (low-half and high-half partials); likewise r1 */
  return _mm256_add_epi32(_mm256_permute2x128_si256(r0, r1, 0x20), _mm256_permute2x128_si256(r0, r1, 0x31));
}

/* Per-channel values of channels c..c+3 (clamped to the last channel) in both 128-bit halves. */
static inline __m256i channel_vec(const int32_t* v, int32_t c, int32_t channels) {
  if (c + 4 <= channels) return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)(v + c)));
  {
    int32_t tmp[4], j;
    for (j = 0; j < 4; ++j) tmp[j] = v[c + j < channels ? c + j : channels - 1];
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i*)tmp));
  }
}

/* Accumulates one 16-deep step of the 2x4 block into the eight named accumulators of block_2x4 (kept as
 * named variables, not an array, so the compiler keeps them in registers). */
#define TOPT_MADD_2X4(x0, x1, v0, v1, v2, v3)                 \
  do {                                                        \
    a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(x0, v0));   \
    a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(x0, v1));   \
    a02 = _mm256_add_epi32(a02, _mm256_madd_epi16(x0, v2));   \
    a03 = _mm256_add_epi32(a03, _mm256_madd_epi16(x0, v3));   \
    if (two_rows) {                                           \
      a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(x1, v0)); \
      a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(x1, v1)); \
      a12 = _mm256_add_epi32(a12, _mm256_madd_epi16(x1, v2)); \
      a13 = _mm256_add_epi32(a13, _mm256_madd_epi16(x1, v3)); \
    }                                                         \
  } while (0)

/* One 2x4 block. two_rows is a compile-time constant at both call sites, so the second row's work
 * disappears from the single-row instance. */
static inline __attribute__((always_inline)) void block_2x4(const int16_t* a0, const int16_t* a1, const int8_t* w,
                                                            const int16_t* w_tail, int32_t k, int32_t c,
                                                            int32_t channels, const int32_t* bias,
                                                            const topt_channel_quant* q, int left_shifts, int8_t* out0,
                                                            int8_t* out1, const int two_rows) {
  const int32_t k16 = k & ~15;
  const int32_t n = channels - c < 4 ? channels - c : 4;
  /* channels past the end repeat the last one; their results are not stored */
  const int32_t c1 = c + 1 < channels ? c + 1 : channels - 1;
  const int32_t c2 = c + 2 < channels ? c + 2 : channels - 1;
  const int32_t c3 = c + 3 < channels ? c + 3 : channels - 1;
  const int8_t *w0 = w + c * k, *w1 = w + c1 * k, *w2 = w + c2 * k, *w3 = w + c3 * k;
  __m256i a00 = _mm256_setzero_si256(), a01 = a00, a02 = a00, a03 = a00;
  __m256i a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  __m256i sums;
  __m128i bytes;
  int32_t kk;
  for (kk = 0; kk < k16; kk += 16) {
    const __m256i x0 = _mm256_loadu_si256((const __m256i*)(a0 + kk));
    const __m256i x1 = two_rows ? _mm256_loadu_si256((const __m256i*)(a1 + kk)) : x0;
    TOPT_MADD_2X4(x0, x1, _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w0 + kk))),
                  _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w1 + kk))),
                  _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w2 + kk))),
                  _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w3 + kk))));
  }
  if (k16 < k) {
    const __m256i x0 = _mm256_loadu_si256((const __m256i*)(a0 + k16));
    const __m256i x1 = two_rows ? _mm256_loadu_si256((const __m256i*)(a1 + k16)) : x0;
    TOPT_MADD_2X4(x0, x1, _mm256_loadu_si256((const __m256i*)(w_tail + c * 16)),
                  _mm256_loadu_si256((const __m256i*)(w_tail + c1 * 16)),
                  _mm256_loadu_si256((const __m256i*)(w_tail + c2 * 16)),
                  _mm256_loadu_si256((const __m256i*)(w_tail + c3 * 16)));
  }
  sums = reduce_2x4(a00, a01, a02, a03, a10, a11, a12, a13);
  if (bias != NULL) sums = _mm256_add_epi32(sums, channel_vec(bias, c, channels));
  bytes = topt_x86_output_s8x8(sums, channel_vec(q->multiplier, c, channels), channel_vec(q->shift, c, channels),
                               left_shifts, q->output_zero_point, q->act_min, q->act_max);
  if (n == 4) {
    const int32_t lo = _mm_cvtsi128_si32(bytes);
    memcpy(out0 + c, &lo, 4);
    if (two_rows) {
      const int32_t hi = _mm_extract_epi32(bytes, 1);
      memcpy(out1 + c, &hi, 4);
    }
  } else {
    int8_t tmp[16];
    _mm_storeu_si128((__m128i*)tmp, bytes);
    memcpy(out0 + c, tmp, (size_t)n);
    if (two_rows) memcpy(out1 + c, tmp + 4, (size_t)n);
  }
}

void topt_x86_gemm_s8(const int16_t* a, int32_t rows, int32_t k_padded, const int8_t* w, const int16_t* w_tail,
                      int32_t k, int32_t channels, const int32_t* bias, const topt_channel_quant* q, int8_t* out,
                      int32_t out_stride) {
  const int left_shifts = topt_x86_any_left_shift(q->shift, channels);
  int32_t m, c;
  for (m = 0; m + 2 <= rows; m += 2) {
    const int16_t* a0 = a + m * k_padded;
    for (c = 0; c < channels; c += 4)
      block_2x4(a0, a0 + k_padded, w, w_tail, k, c, channels, bias, q, left_shifts, out + m * out_stride,
                out + (m + 1) * out_stride, 1);
  }
  if (m < rows) {
    const int16_t* a0 = a + m * k_padded;
    for (c = 0; c < channels; c += 4)
      block_2x4(a0, a0, w, w_tail, k, c, channels, bias, q, left_shifts, out + m * out_stride, out + m * out_stride, 0);
  }
}

#undef TOPT_MADD_2X4

#else
typedef int topt_x86_gemm_s8_requires_avx2; /* keeps the translation unit non-empty */
#endif
