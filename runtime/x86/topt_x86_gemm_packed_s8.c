/* topt_x86_gemm_packed_s8.c: the AVX2 broadcast matrix product over packed weights, used where many rows
 * share one filter (pointwise and general conv: every output pixel is a row). Not a public kernel.
 *
 * Packing (once per call, vectorized): output channels in blocks of 8; for each pair of k indices (2j,
 * 2j+1) a block holds 16 int16 (w[c][2j], w[c][2j+1]) for its 8 channels. A row's pair (a[2j], a[2j+1]) is
 * broadcast to all lanes, so one _mm256_madd_epi16 adds a[2j]*w[c][2j] + a[2j+1]*w[c][2j+1] into channel
 * c's lane exactly: no horizontal reduction, and the accumulators are already in output-channel order for
 * the vector output stage. Micro-kernel: 4 rows x 16 channels (8 accumulators). Padded channels and the
 * odd k carry zero weights, so they add nothing; their outputs are never stored.
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

static int32_t k2_of(int32_t k) { return (k + 1) & ~1; }

size_t topt_x86_packed_bytes(int32_t k, int32_t channels) {
  const size_t c16 = (size_t)topt_x86_round_up(channels, 16);
  return 32 + c16 * (size_t)k2_of(k) * sizeof(int16_t) + 3 * c16 * sizeof(int32_t);
}

/* Pair-rows j0.. of one block of 8 channels (rows[c] = weights of channel c, NULL for padding), 16 k at a
 * time: an 8x8 transpose of 16-bit (k pair) units, then widened to int16. */
static void pack_block(const int8_t* const rows[8], int32_t k, int16_t* dst) {
  const int32_t pairs = k2_of(k) / 2;
  int32_t kk = 0, j, c;
  for (; kk + 16 <= k; kk += 16) {
    __m128i r[8], t[8], u[8], v[8];
    for (c = 0; c < 8; ++c) r[c] = rows[c] ? _mm_loadu_si128((const __m128i*)(rows[c] + kk)) : _mm_setzero_si128();
    for (c = 0; c < 4; ++c) {
      t[2 * c] = _mm_unpacklo_epi16(r[2 * c], r[2 * c + 1]);
      t[2 * c + 1] = _mm_unpackhi_epi16(r[2 * c], r[2 * c + 1]);
    }
    u[0] = _mm_unpacklo_epi32(t[0], t[2]);
    u[1] = _mm_unpackhi_epi32(t[0], t[2]);
    u[2] = _mm_unpacklo_epi32(t[1], t[3]);
    u[3] = _mm_unpackhi_epi32(t[1], t[3]);
    u[4] = _mm_unpacklo_epi32(t[4], t[6]);
    u[5] = _mm_unpackhi_epi32(t[4], t[6]);
    u[6] = _mm_unpacklo_epi32(t[5], t[7]);
    u[7] = _mm_unpackhi_epi32(t[5], t[7]);
    for (c = 0; c < 4; ++c) {
      v[2 * c] = _mm_unpacklo_epi64(u[c], u[c + 4]);
      v[2 * c + 1] = _mm_unpackhi_epi64(u[c], u[c + 4]);
    }
    for (j = 0; j < 8; ++j) _mm256_store_si256((__m256i*)(dst + (kk / 2 + j) * 16), _mm256_cvtepi8_epi16(v[j]));
  }
  for (j = kk / 2; j < pairs; ++j) {
    for (c = 0; c < 8; ++c) {
      dst[j * 16 + 2 * c] = (int16_t)(rows[c] ? rows[c][2 * j] : 0);
      dst[j * 16 + 2 * c + 1] = (int16_t)(rows[c] && 2 * j + 1 < k ? rows[c][2 * j + 1] : 0);
    }
  }
}

void topt_x86_pack_s8(const int8_t* w, int32_t k, int32_t channels, const int32_t* bias, const topt_channel_quant* q,
                      void* mem, topt_x86_packed_s8* out) {
  const int32_t c16 = topt_x86_round_up(channels, 16), k2 = k2_of(k);
  int16_t* packed = (int16_t*)topt_x86_align32(mem);
  int32_t* bias_p = (int32_t*)(packed + (size_t)c16 * k2);
  int32_t* mult_p = bias_p + c16;
  int32_t* shift_p = mult_p + c16;
  int32_t b, c;
  for (b = 0; b < c16 / 8; ++b) {
    const int8_t* rows[8];
    for (c = 0; c < 8; ++c) rows[c] = b * 8 + c < channels ? w + (size_t)(b * 8 + c) * k : NULL;
    pack_block(rows, k, packed + (size_t)b * 8 * k2);
  }
  for (c = 0; c < c16; ++c) {
    bias_p[c] = c < channels && bias != NULL ? bias[c] : 0;
    mult_p[c] = c < channels ? q->multiplier[c] : 0;
    shift_p[c] = c < channels ? q->shift[c] : 0;
  }
  out->weights = packed;
  out->bias = bias_p;
  out->multiplier = mult_p;
  out->shift = shift_p;
  out->k2 = k2;
  out->channels = channels;
  out->left_shifts = topt_x86_any_left_shift(q->shift, channels);
  out->output_zero_point = q->output_zero_point;
  out->act_min = q->act_min;
  out->act_max = q->act_max;
}

static inline __m256i broadcast_pair(const int16_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

/* Output stage of one row's 8 channels c..c+7 (n of them real). */
static inline void store_block(const topt_x86_packed_s8* pk, __m256i acc, int32_t c, int8_t* out_row) {
  const int32_t n = pk->channels - c;
  __m128i bytes;
  if (n <= 0) return;
  acc = _mm256_add_epi32(acc, _mm256_load_si256((const __m256i*)(pk->bias + c)));
  bytes = topt_x86_output_s8x8(acc, _mm256_load_si256((const __m256i*)(pk->multiplier + c)),
                               _mm256_load_si256((const __m256i*)(pk->shift + c)), pk->left_shifts,
                               pk->output_zero_point, pk->act_min, pk->act_max);
  if (n >= 8)
    topt_x86_store_s8x8(out_row + c, bytes);
  else
    topt_x86_store_s8_partial(out_row + c, bytes, n);
}

#define TOPT_MADD(acc, x, wv) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, wv))

void topt_x86_gemm_packed_s8(const topt_x86_packed_s8* pk, const int16_t* a, int32_t rows, int8_t* out,
                             int32_t out_stride) {
  const int32_t k2 = pk->k2, pairs = k2 / 2;
  int32_t m, c, j, i;
  for (m = 0; m < rows; m += 4) {
    const int32_t nrows = rows - m < 4 ? rows - m : 4;
    const int16_t* r0 = a + (size_t)m * k2;
    const int16_t* r1 = nrows > 1 ? r0 + k2 : r0;
    const int16_t* r2 = nrows > 2 ? r0 + 2 * (size_t)k2 : r0;
    const int16_t* r3 = nrows > 3 ? r0 + 3 * (size_t)k2 : r0;
    for (c = 0; c < pk->channels; c += 16) {
      const int16_t* b0 = pk->weights + (size_t)c * k2; /* block c / 8 */
      const int16_t* b1 = b0 + (size_t)8 * k2;          /* block c / 8 + 1 (zero when padding) */
      __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00;
      __m256i a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      for (j = 0; j < pairs; ++j) {
        const __m256i w0 = _mm256_load_si256((const __m256i*)(b0 + 16 * j));
        const __m256i w1 = _mm256_load_si256((const __m256i*)(b1 + 16 * j));
        __m256i x = broadcast_pair(r0 + 2 * j);
        TOPT_MADD(a00, x, w0);
        TOPT_MADD(a01, x, w1);
        x = broadcast_pair(r1 + 2 * j);
        TOPT_MADD(a10, x, w0);
        TOPT_MADD(a11, x, w1);
        x = broadcast_pair(r2 + 2 * j);
        TOPT_MADD(a20, x, w0);
        TOPT_MADD(a21, x, w1);
        x = broadcast_pair(r3 + 2 * j);
        TOPT_MADD(a30, x, w0);
        TOPT_MADD(a31, x, w1);
      }
      {
        const __m256i acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
        for (i = 0; i < nrows; ++i) {
          int8_t* out_row = out + (size_t)(m + i) * out_stride;
          store_block(pk, acc[i][0], c, out_row);
          store_block(pk, acc[i][1], c + 8, out_row);
        }
      }
    }
  }
}

#else
typedef int topt_x86_gemm_packed_s8_requires_avx2; /* keeps the translation unit non-empty */
#endif
