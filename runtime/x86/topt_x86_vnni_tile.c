/* topt_x86_vnni_tile.c: the micro-kernel and output stage of the AVX-512 VNNI convolution
 * (topt_x86_vnni_conv.h; the method is described in topt_conv2d_vnni_s8__x86.c): a tile of 8 (or 7) output
 * pixels x 32 channels summed by vpdpbusd in 16 (14) accumulators, then requantized 16 channels at a time.
 */
#if defined(__AVX2__)

#include "topt_x86_vnni_conv.h"


/* Output stage of channels c .. c+31 of nrows rows, from their int32 sums. Deliberately not compiled for
 * AVX-512 (no target attribute, not inlined into the VNNI code): GCC 12 at -O2 miscompiles the AVX2
 * requantization helpers when they are inlined into an AVX-512 function. */
__attribute__((noinline)) static void store_rows(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts,
                                                 const int32_t* sums, int32_t nrows, int32_t c, int8_t* out,
                                                 int32_t out_stride) {
  int32_t i, g;
  for (i = 0; i < nrows; ++i) {
    int8_t* out_row = out + (size_t)i * (size_t)out_stride;
    for (g = 0; g < 4; ++g) {
      const int32_t base = c + 8 * g, n = pk->channels - base;
      __m256i acc;
      __m128i bytes;
      if (n <= 0) break;
      acc = _mm256_add_epi32(_mm256_load_si256((const __m256i*)(sums + i * 32 + 8 * g)),
                             _mm256_load_si256((const __m256i*)(pk->constant + base)));
      bytes = topt_x86_output_s8x8(acc, _mm256_load_si256((const __m256i*)(pk->multiplier + base)),
                                   _mm256_load_si256((const __m256i*)(pk->shift + base)), left_shifts,
                                   q->output_zero_point, q->act_min, q->act_max);
      if (n >= 8)
        topt_x86_store_s8x8(out_row + base, bytes);
      else
        topt_x86_store_s8_partial(out_row + base, bytes, n);
    }
  }
}

/* Requantization of 8 int32 sums in the even (odd) lanes of 16 channels whose shift is <= 0, with one
 * rounding: SRDHM is floor((acc * M + 2^30) / 2^31) (docs/numerics.md 2.3; equal to gemmlowp's
 * nudge-and-truncate) and RDBPOT by r >= 1 rounds half away from zero, floor((x + 2^(r-1) - [x < 0]) / 2^r),
 * where x < 0 exactly when acc * M + 2^30 < 0. Since floor((floor(a / 2^31) + k) / 2^r) =
 * floor((a + k 2^31) / 2^(31 + r)) for an integer k, the two steps are one 64-bit add and one arithmetic
 * shift: (acc * M + add) >> (31 + r), add = 2^30 + 2^(30 + r), minus 2^31 when acc * M < -2^30 (r = 0:
 * add = 2^30, nothing subtracted). |acc * M| < 2^62 and add < 2^62, so nothing overflows; the result is the
 * int32 requantized value in the low half of each 64-bit lane. When the clamp's lower bound act_min - zp is
 * >= 0 (a fused ReLU) the subtraction can be left out: for x < 0 both the exact result and the one without
 * it are <= 0 (the numerator stays below 2^(30 + r)), and the clamp raises both to the same bound. */
typedef struct {
  __m512i multiplier, shift, add, adjust; /* per 64-bit lane: M, 31 + r, add, 2^31 or 0 */
} requant_half;

/* The constants of the even (odd: the upper halves of) 64-bit lanes of multiplier and right shift r. */
TOPT_VNNI static inline requant_half requant_half_of(__m512i multiplier, __m512i right, int odd) {
  const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
  const __m512i r = odd ? _mm512_srli_epi64(right, 32) : _mm512_and_si512(right, low);
  const __mmask8 rounds = _mm512_test_epi64_mask(r, r); /* r >= 1 */
  requant_half h;
  h.multiplier = odd ? _mm512_srli_epi64(multiplier, 32) : multiplier; /* vpmuldq reads the low halves */
  h.shift = _mm512_add_epi64(r, _mm512_set1_epi64(31));
  h.add = _mm512_add_epi64(_mm512_set1_epi64((int64_t)1 << 30),
                           _mm512_maskz_sllv_epi64(rounds, _mm512_set1_epi64((int64_t)1 << 30), r));
  h.adjust = _mm512_maskz_mov_epi64(rounds, _mm512_set1_epi64((int64_t)1 << 31));
  return h;
}

/* The requantized values of the low halves of acc's 64-bit lanes (sign-extended products by vpmuldq);
 * clamped_below: the caller clamps to a lower bound >= 0, so negative results need not be exact (above). */
TOPT_VNNI static inline __m512i requantize_half(__m512i acc, requant_half h, int clamped_below) {
  const __m512i product = _mm512_mul_epi32(acc, h.multiplier);
  const __m512i t = _mm512_add_epi64(product, h.add);
  __mmask8 negative;
  if (clamped_below) return _mm512_srav_epi64(t, h.shift);
  negative = _mm512_cmplt_epi64_mask(product, _mm512_set1_epi64(-((int64_t)1 << 30)));
  return _mm512_srav_epi64(_mm512_mask_sub_epi64(t, negative, t, h.adjust), h.shift);
}

/* The output stage of store_rows for 16 channels at once, when no lane's shift is > 0 (the common case):
 * requantize (above), clamp to [act_min - zp, act_max - zp], add zp, narrow to int8 in lane order.
 * Written with AVX-512 intrinsics only (see store_rows). */
TOPT_VNNI static inline __m128i output_s8x16(__m512i acc, requant_half even, requant_half odd, __m512i lo, __m512i hi,
                                             __m512i zp, int clamped_below) {
  /* lane 2j from the even result's dword 2j, lane 2j + 1 from the odd result's dword 2j */
  const __m512i interleave = _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  const __m512i v = _mm512_permutex2var_epi32(requantize_half(acc, even, clamped_below), interleave,
                                              requantize_half(_mm512_srli_epi64(acc, 32), odd, clamped_below));
  return _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zp));
}

/* The per-channel constants of the 16 channels from `base` (pk->channels - base > 0 of them valid). */
typedef struct {
  __m512i constant;
  requant_half even, odd;
  __mmask16 valid; /* the channels to store */
} channels16;

TOPT_VNNI static inline channels16 channels16_of(const vnni_pack* pk, int32_t base) {
  const int32_t n = pk->channels - base;
  const __m512i multiplier = _mm512_load_si512((const void*)(pk->multiplier + base));
  const __m512i right = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_load_si512((const void*)(pk->shift + base)));
  channels16 g;
  g.constant = _mm512_load_si512((const void*)(pk->constant + base));
  g.even = requant_half_of(multiplier, right, 0);
  g.odd = requant_half_of(multiplier, right, 1);
  g.valid = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
  return g;
}

/* store_rows for tiles whose channels all have shift <= 0: both blocks of 16 channels of a row per step
 * (two independent chains for the out-of-order core), the last block's missing channels masked off.
 * clamped_below: act_min - zp >= 0 (a constant at each call, so each case compiles to its own loop). */
TOPT_VNNI static inline __attribute__((always_inline)) void store_rows_right_as(
    const vnni_pack* pk, const topt_channel_quant* q, const int32_t* sums, int32_t nrows, int32_t c, int8_t* out,
    int32_t out_stride, int clamped_below) {
  const __m512i lo = _mm512_set1_epi32(q->act_min - q->output_zero_point);
  const __m512i hi = _mm512_set1_epi32(q->act_max - q->output_zero_point);
  const __m512i zp = _mm512_set1_epi32(q->output_zero_point);
  const int two = pk->channels - c > 16;
  const channels16 g0 = channels16_of(pk, c), g1 = two ? channels16_of(pk, c + 16) : g0;
  int32_t i;
  for (i = 0; i < nrows; ++i) {
    int8_t* dst = out + (size_t)i * (size_t)out_stride + c;
    const __m512i acc0 = _mm512_add_epi32(_mm512_load_si512((const void*)(sums + i * 32)), g0.constant);
    _mm_mask_storeu_epi8(dst, g0.valid, output_s8x16(acc0, g0.even, g0.odd, lo, hi, zp, clamped_below));
    if (two) {
      const __m512i acc1 = _mm512_add_epi32(_mm512_load_si512((const void*)(sums + i * 32 + 16)), g1.constant);
      _mm_mask_storeu_epi8(dst + 16, g1.valid, output_s8x16(acc1, g1.even, g1.odd, lo, hi, zp, clamped_below));
    }
  }
}

TOPT_VNNI static void store_rows_right(const vnni_pack* pk, const topt_channel_quant* q, const int32_t* sums,
                                       int32_t nrows, int32_t c, int8_t* out, int32_t out_stride) {
  if (q->act_min - q->output_zero_point >= 0)
    store_rows_right_as(pk, q, sums, nrows, c, out, out_stride, 1);
  else
    store_rows_right_as(pk, q, sums, nrows, c, out, out_stride, 0);
}

static inline int32_t load_quad(const uint8_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

#define TOPT_DP(acc, x, w) acc = _mm512_dpbusd_epi32(acc, x, w)
#define TOPT_ROW_DP(i)                        \
  if ((i) < rows) {                           \
    x = _mm512_set1_epi32(load_quad(r[i] + j)); \
    TOPT_DP(a##i##0, x, w0);                  \
    TOPT_DP(a##i##1, x, w1);                  \
  }
#define TOPT_ROW_STORE(i)                                    \
  if ((i) < rows) {                                          \
    _mm512_store_si512((void*)(sums + 32 * (i)), a##i##0);      \
    _mm512_store_si512((void*)(sums + 32 * (i) + 16), a##i##1); \
  }

/* The (row, channel) int32 sums of `rows` tile rows (a constant: 7 or 8) x channels c .. c+31. A skipped
 * filter row would have added (z + 128) * (its weights' sum) per channel, the border's u times the
 * weights, which the packed constant subtracts for every row: the accumulators start from those sums
 * instead, so the result is the one of computing them. */
TOPT_VNNI static inline __attribute__((always_inline)) void tile_sums(const vnni_pack* pk, const topt_window2d* w,
                                                                       int32_t c4, int32_t wp, const tile* t, int32_t c,
                                                                       int32_t rows, int32_t* sums) {
  const size_t row_bytes = (size_t)w->kernel_w * (size_t)c4 * 16; /* packed bytes of one filter row (16 ch) */
  /* with dilation_w 1 the kernel_w taps of a filter row read one contiguous run of kernel_w * c4 bytes,
   * as the packed k index runs, so one loop covers them */
  const int32_t runs = w->dilation_w == 1 ? 1 : w->kernel_w, run = w->dilation_w == 1 ? w->kernel_w * c4 : c4;
  const uint8_t* b0 = pk->weights + (size_t)c * (size_t)pk->k4 + (size_t)t->ky0 * row_bytes;
  const uint8_t* b1 = b0 + (size_t)16 * (size_t)pk->k4;
  __m512i init0 = _mm512_setzero_si512(), init1 = init0;
  int32_t ky, kx, j, i;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    if (ky >= t->ky0 && ky < t->ky1) continue;
    init0 = _mm512_add_epi32(init0, _mm512_load_si512((const void*)(pk->row_sums + (size_t)ky * pk->c32 + c)));
    init1 = _mm512_add_epi32(init1, _mm512_load_si512((const void*)(pk->row_sums + (size_t)ky * pk->c32 + c + 16)));
  }
  {
    __m512i a00 = init0, a01 = init1, a10 = init0, a11 = init1, a20 = init0, a21 = init1, a30 = init0, a31 = init1;
    __m512i a40 = init0, a41 = init1, a50 = init0, a51 = init1, a60 = init0, a61 = init1, a70 = init0, a71 = init1;
    for (ky = t->ky0; ky < t->ky1; ++ky) {
      for (kx = 0; kx < runs; ++kx) {
        const size_t off = ((size_t)ky * (size_t)w->dilation_h * (size_t)wp + (size_t)kx * (size_t)w->dilation_w) * (size_t)c4;
        const uint8_t* r[TILE_ROWS];
        for (i = 0; i < TILE_ROWS; ++i) r[i] = t->base[i] + off;
        for (j = 0; j < run; j += 4) {
          const __m512i w0 = _mm512_load_si512((const void*)b0);
          const __m512i w1 = _mm512_load_si512((const void*)b1);
          __m512i x;
          b0 += 64;
          b1 += 64;
          TOPT_ROW_DP(0)
          TOPT_ROW_DP(1)
          TOPT_ROW_DP(2)
          TOPT_ROW_DP(3)
          TOPT_ROW_DP(4)
          TOPT_ROW_DP(5)
          TOPT_ROW_DP(6)
          TOPT_ROW_DP(7)
        }
      }
    }
    TOPT_ROW_STORE(0)
    TOPT_ROW_STORE(1)
    TOPT_ROW_STORE(2)
    TOPT_ROW_STORE(3)
    TOPT_ROW_STORE(4)
    TOPT_ROW_STORE(5)
    TOPT_ROW_STORE(6)
    TOPT_ROW_STORE(7)
  }
}

/* tile_sums compiled for 8 and for 7 rows (rows is a constant in each, so the unused row vanishes). */
TOPT_VNNI static void tile_sums8(const vnni_pack* pk, const topt_window2d* w, int32_t c4, int32_t wp, const tile* t,
                                 int32_t c, int32_t* sums) {
  tile_sums(pk, w, c4, wp, t, c, 8, sums);
}
TOPT_VNNI static void tile_sums7(const vnni_pack* pk, const topt_window2d* w, int32_t c4, int32_t wp, const tile* t,
                                 int32_t c, int32_t* sums) {
  tile_sums(pk, w, c4, wp, t, c, 7, sums);
}

/* Filter rows of output row oy that read input rows, [*ky0, *ky1) (empty when none does). */
void topt_x86_vnni_real_filter_rows(const topt_window2d* w, int32_t oy, int32_t* ky0, int32_t* ky1) {
  int32_t ky;
  *ky0 = w->kernel_h;
  *ky1 = 0;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    const int32_t iy = oy * w->stride_h + ky * w->dilation_h - w->pad_top;
    if (iy < 0 || iy >= w->input.h) continue;
    if (*ky0 > ky) *ky0 = ky;
    *ky1 = ky + 1;
  }
  if (*ky0 >= *ky1) *ky0 = *ky1 = 0;
}

/* Sums and output stage of tile t (its first pixel m) for every block of 32 channels. */
TOPT_VNNI void topt_x86_vnni_run_tile(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts,
                                      const topt_window2d* w, padded_image g, const tile* t, int32_t m, int8_t* out) {
  int32_t sums[TILE_ROWS * 32] __attribute__((aligned(64))); /* (row, channel) sums of one tile */
  int32_t c;
  int8_t* dst = out + (size_t)m * (size_t)w->output.c;
  for (c = 0; c < pk->channels; c += 32) {
    if (t->nrows == 7)
      tile_sums7(pk, w, g.c4, g.wp, t, c, sums);
    else
      tile_sums8(pk, w, g.c4, g.wp, t, c, sums);
    if (left_shifts)
      store_rows(pk, q, left_shifts, sums, t->nrows, c, dst, w->output.c);
    else
      store_rows_right(pk, q, sums, t->nrows, c, dst, w->output.c);
  }
}

TOPT_VNNI void topt_x86_vnni_tile_sums(const vnni_pack* pk, const topt_window2d* w, padded_image g, const tile* t,
                                       int32_t c, int32_t* sums) {
  if (t->nrows == 7)
    tile_sums7(pk, w, g.c4, g.wp, t, c, sums);
  else
    tile_sums8(pk, w, g.c4, g.wp, t, c, sums);
}

TOPT_VNNI void topt_x86_vnni_store(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts,
                                   const int32_t* sums, int32_t nrows, int32_t c, int8_t* out, int32_t out_stride) {
  if (left_shifts)
    store_rows(pk, q, left_shifts, sums, nrows, c, out, out_stride);
  else
    store_rows_right(pk, q, sums, nrows, c, out, out_stride);
}

#else
typedef int topt_x86_vnni_tile_requires_avx2; /* keeps the translation unit non-empty */
#endif
