/* topt_dsp_gemm_s8.c: the int8 matrix product with the int8 output stage that the Cortex-M DSP conv,
 * pointwise and dense kernels (int8 and int4 weights) run on, the activation widening that feeds it, and the
 * int4 unpacker. Declared in topt_dsp_internal.h.
 *
 * Register blocking: 2 output channels x 2 rows (pixels) per step. Per 4 k-elements: 2 LDR of weights,
 * 4 SXTB16 (ROR #8 folded in), 2 LDRD of the two rows' pair-ordered activations (interleaved in one buffer,
 * so one pointer walks both rows), 8 SMLAD = 16 MACs, plus the loop's SUBS/BNE: ~1.1 instructions per MAC.
 * The 14 live values (4 accumulators, 3 pointers, a counter, 2 unpacked weight words, 4 activation words)
 * fit Cortex-M's 14 allocatable registers, so the accumulators go to an int32 tile and the output stage
 * (requantize, clamp; scalar) runs afterwards as its own tight loop over prepared per-channel parameters.
 */
#if defined(__ARM_FEATURE_DSP)

#include "tinyopt_rt_fixedpoint.h"
#include "topt_dsp_internal.h"

/* One block (1 or 2 rows; row1 NULL for 1) of topt_dsp_widen's layout. */
static void widen_block(const int8_t* row0, const int8_t* row1, int32_t k, int32_t zero_point, int16_t* dst) {
  const int32_t neg_zp2 = topt_dsp_neg_zp2(zero_point);
  const int32_t k4 = k & ~3, step = row1 != NULL ? 4 : 2;
  uint32_t* words = (uint32_t*)(void*)dst;
  int16_t* tail = dst + (row1 != NULL ? 2 : 1) * k4;
  int32_t t;
  topt_dsp_widen_run(row0, k4, neg_zp2, words, step);
  if (row1 != NULL) topt_dsp_widen_run(row1, k4, neg_zp2, words + 2, step);
  for (t = k4; t < k; ++t) *tail++ = (int16_t)(row0[t] - zero_point);
  if (row1 != NULL)
    for (t = k4; t < k; ++t) *tail++ = (int16_t)(row1[t] - zero_point);
}

void topt_dsp_widen(const int8_t* rows, int32_t count, int32_t row_stride, int32_t k, int32_t zero_point,
                    int16_t* dst) {
  int32_t r;
  for (r = 0; r < count; r += 2)
    widen_block(rows + r * row_stride, r + 1 < count ? rows + (r + 1) * row_stride : NULL, k, zero_point, dst + r * k);
}

/* acc[r][j] += row r . weight row j over k, rows = 2, channels = 2 (the hot loop). */
static inline __attribute__((always_inline)) void dot_2x2(const int16_t* a, const int8_t* w0, const int8_t* w1,
                                                          int32_t k, int32_t acc[4]) {
  int32_t s00 = acc[0], s01 = acc[1], s10 = acc[2], s11 = acc[3];
  const uint32_t* x = (const uint32_t*)(const void*)a;
  int32_t n, t;
  const int16_t* tail;
  n = k >> 2;
  if (n > 0) {
    /* gcc 12 spills in this loop (15 live values in C); written out it needs exactly the 14 allocatable
     * registers and 18 instructions per 16 MACs */
    uint32_t wa, t, x0, x1, y0, y1;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[wa], [%[w0]], #4\n\t"
        "ldrd   %[y0], %[y1], [%[x], #8]\n\t"
        "ldrd   %[x0], %[x1], [%[x]], #16\n\t"
        "sxtb16 %[t], %[wa]\n\t"
        "sxtb16 %[wa], %[wa], ror #8\n\t"
        "smlad  %[s00], %[t], %[x0], %[s00]\n\t"
        "smlad  %[s10], %[t], %[y0], %[s10]\n\t"
        "smlad  %[s00], %[wa], %[x1], %[s00]\n\t"
        "smlad  %[s10], %[wa], %[y1], %[s10]\n\t"
        "ldr    %[t], [%[w1]], #4\n\t"
        "sxtb16 %[wa], %[t]\n\t"
        "sxtb16 %[t], %[t], ror #8\n\t"
        "smlad  %[s01], %[wa], %[x0], %[s01]\n\t"
        "smlad  %[s11], %[wa], %[y0], %[s11]\n\t"
        "smlad  %[s01], %[t], %[x1], %[s01]\n\t"
        "smlad  %[s11], %[t], %[y1], %[s11]\n\t"
        "subs   %[n], %[n], #1\n\t"
        "bne    1b\n\t"
        : [s00] "+r"(s00), [s01] "+r"(s01), [s10] "+r"(s10), [s11] "+r"(s11), [w0] "+r"(w0), [w1] "+r"(w1), [x] "+r"(x),
          [n] "+r"(n), [wa] "=&r"(wa), [t] "=&r"(t), [x0] "=&r"(x0), [x1] "=&r"(x1), [y0] "=&r"(y0), [y1] "=&r"(y1)
        :
        : "cc", "memory");
  }
  tail = (const int16_t*)(const void*)x;
  for (t = 0; t < (k & 3); ++t) {
    s00 += tail[t] * w0[t];
    s01 += tail[t] * w1[t];
    s10 += tail[(k & 3) + t] * w0[t];
    s11 += tail[(k & 3) + t] * w1[t];
  }
  acc[0] = s00;
  acc[1] = s01;
  acc[2] = s10;
  acc[3] = s11;
}

/* acc[j] += row . weight row j over k for one row and 2 channels (the same one twice for an odd last). */
static void dot_1xn(const int16_t* a, const int8_t* w0, const int8_t* w1, int32_t k, int32_t acc[2]) {
  int32_t s0 = acc[0], s1 = acc[1];
  const uint32_t* x = (const uint32_t*)(const void*)a;
  int32_t n, t;
  const int16_t* tail;
  for (n = k >> 2; n > 0; --n) {
    const uint32_t wa = topt_dsp_load32(w0), wb = topt_dsp_load32(w1);
    const int32_t x0 = (int32_t)x[0], x1 = (int32_t)x[1];
    s0 = __smlad(__sxtb16((int32_t)wa), x0, s0);
    s0 = __smlad(topt_dsp_sxtb16_ror8(wa), x1, s0);
    s1 = __smlad(__sxtb16((int32_t)wb), x0, s1);
    s1 = __smlad(topt_dsp_sxtb16_ror8(wb), x1, s1);
    w0 += 4;
    w1 += 4;
    x += 2;
  }
  tail = (const int16_t*)(const void*)x;
  for (t = 0; t < (k & 3); ++t) {
    s0 += tail[t] * w0[t];
    s1 += tail[t] * w1[t];
  }
  acc[0] = s0;
  acc[1] = s1;
}

topt_dsp_gemm_work topt_dsp_gemm_setup(void* scratch, int32_t k, int32_t channels, const int32_t* bias,
                                       const topt_channel_quant* q) {
  topt_dsp_gemm_work work;
  int32_t c;
  (void)k;
  work.channels = (topt_dsp_channel*)topt_dsp_align8(scratch);
  work.tile = (int32_t*)(void*)(work.channels + channels);
  work.rows = (int16_t*)(void*)(work.tile + TOPT_DSP_ROWS * channels);
  work.plain = topt_dsp_all_plain(q, channels);
  for (c = 0; c < channels; ++c)
    work.channels[c] = topt_dsp_channel_of(bias != NULL ? bias[c] : 0, q->multiplier[c], q->shift[c]);
  return work;
}

void topt_dsp_gemm_s8(const topt_dsp_gemm_work* work, int32_t rows, const int8_t* w, int32_t k, int32_t c0, int32_t n,
                      const topt_channel_quant* q, int8_t* out, int32_t out_stride) {
  const int16_t* a = work->rows;
  int32_t* tile = work->tile; /* (rows, n) */
  int32_t c, r;
  for (c = 0; c < n; c += 2) {
    /* an odd last channel runs as a pair with itself; its second column is not kept */
    const int32_t c1 = c + 1 < n ? c + 1 : c;
    const int8_t* w0 = w + c * k;
    const int8_t* w1 = w + c1 * k;
    for (r = 0; r + 2 <= rows; r += 2) { /* the 2-row block of rows r, r + 1 starts at a + r * k */
      int32_t acc[4] = {0, 0, 0, 0};
      dot_2x2(a + r * k, w0, w1, k, acc);
      tile[r * n + c] = acc[0];
      tile[(r + 1) * n + c] = acc[2];
      tile[r * n + c1] = acc[1]; /* c1 == c: overwritten by the same value */
      tile[(r + 1) * n + c1] = acc[3];
    }
    if (r < rows) { /* a last single row: a 1-row block */
      int32_t acc[2] = {0, 0};
      dot_1xn(a + r * k, w0, w1, k, acc);
      tile[r * n + c] = acc[0];
      tile[r * n + c1] = acc[1];
    }
  }
  for (r = 0; r < rows; ++r)
    topt_dsp_output_row(tile + r * n, work->channels + c0, n, work->plain, q, out + r * out_stride);
}

void topt_dsp_unpack_int4(const uint8_t* packed, int32_t first, int32_t count, int8_t* out) {
  const uint8_t* src = packed + first / 2;
  int32_t i;
  /* a byte holds elements 2j (low nibble) and 2j + 1; each sign extension is one SBFX */
  for (i = 0; i + 2 <= count; i += 2) {
    const uint32_t b = src[i / 2];
    out[i] = (int8_t)((int32_t)(b << 28) >> 28);
    out[i + 1] = (int8_t)((int32_t)(b << 24) >> 28);
  }
  if (i < count) out[i] = (int8_t)topt_int4_at(packed, first + i);
}

#else
typedef int topt_dsp_gemm_s8_requires_dsp; /* keeps the translation unit non-empty */
#endif
