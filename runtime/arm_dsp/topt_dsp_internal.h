/* topt_dsp_internal.h: what the Cortex-M DSP-extension kernel variants (runtime/arm_dsp/) share; not public.
 *
 * The top half is portable C (block sizes, scratch layout arithmetic), because the host compiles
 * topt_dsp_shapes.c — the _supports() / _scratch_bytes() companions — to choose kernels and plan memory for
 * a Cortex-M target. The bottom half (inside __ARM_FEATURE_DSP, Armv7E-M: Cortex-M4/M7/M33 with DSP) holds
 * the ACLE building blocks and the shared cores' declarations.
 *
 * The activation layout every conv / dense DSP kernel multiplies with is the "pair-ordered int16 row":
 * x - z_in as int16 (|.| <= 255), each group of 4 elements k..k+3 stored as (k, k+2, k+1, k+3), the k % 4
 * tail in natural order. That is exactly the order SXTB16 produces from 4 weight bytes (SXTB16 w gives
 * elements 0 and 2, SXTB16 (w ROR 8) gives 1 and 3), so one SMLAD multiplies two weight/activation pairs
 * without any shuffling of the weights, which stay int8 in flash. Building the row costs one LDR and two
 * SXTAB16 (which add -z_in to both halves for free) per 4 elements, and is shared by all output channels.
 */
#ifndef TOPT_DSP_INTERNAL_H
#define TOPT_DSP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tinyopt_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output channels whose int4 weights are unpacked to int8 at a time (even, so a block starts on a byte). */
#define TOPT_DSP_W4_CHANNELS 16

/* Pixels (activation rows) per matrix-product call: each channel pair's weights are read once for them. */
#define TOPT_DSP_ROWS 4

/* One output channel's bias and requantization (docs/numerics.md section 2.3), prepared once per call:
 * multiplier M, left = max(shift, 0), right = max(-shift, 0), and the two 64-bit rounding constants that
 * fold SRDHM and RDBPOT into one multiply-accumulate (requantize in topt_dsp_output.c explains them). */
typedef struct {
  int64_t round[2]; /* [acc >= 0, acc < 0]; right > 0: 2^30 + 2^(30+right), minus 2^31 for acc < 0; else 2^30 */
  int32_t bias, multiplier, left, right;
} topt_dsp_channel;

/* Scratch of the matrix product for k-element rows and `channels` outputs: 7 bytes to 8-byte-align, the
 * per-channel parameters, the int32 accumulator tile (TOPT_DSP_ROWS x channels), the activation rows
 * (TOPT_DSP_ROWS x k int16, topt_dsp_widen's layout). */
static inline size_t topt_dsp_gemm_bytes(int32_t k, int32_t channels) {
  return 7u + (size_t)channels * sizeof(topt_dsp_channel) + (size_t)TOPT_DSP_ROWS * (size_t)channels * sizeof(int32_t) +
         (size_t)TOPT_DSP_ROWS * (size_t)k * sizeof(int16_t);
}

/* Whether every channel has left = 0 and right > 0 (shift < 0, as real layers have): then the output stage
 * reduces to one SMLAL and one shift (topt_dsp_output_row). */
static inline int topt_dsp_all_plain(const topt_channel_quant* q, int32_t channels) {
  int32_t c;
  for (c = 0; c < channels; ++c)
    if (q->shift[c] >= 0) return 0;
  return 1;
}

/* K = KH * KW * C_in rounded up to a multiple of 4: topt_conv2d_c1x4_s8__dsp's padded row length (the
 * kernel computes it inline). */
static inline int32_t topt_dsp_c1x4_k4(const topt_conv2d_params* p) {
  return (p->win.kernel_h * p->win.kernel_w * p->win.input.c + 3) & ~3;
}

/* Scratch of topt_conv2d_c1x4_s8__dsp: the matrix product's working memory for K4-element rows (channel
 * parameters; its rows are the interleaved int16 block of TOPT_DSP_ROWS pixels), one int8 im2col row of K4,
 * and when K % 4 != 0 the zero-padded (C_out, K4) filter copy. */
static inline size_t topt_dsp_c1x4_bytes(const topt_conv2d_params* p) {
  const size_t k4 = (size_t)topt_dsp_c1x4_k4(p), channels = (size_t)p->win.output.c;
  const int padded = (p->win.kernel_h * p->win.kernel_w * p->win.input.c) % 4 != 0;
  return topt_dsp_gemm_bytes((int32_t)k4, p->win.output.c) + k4 + (padded ? channels * k4 : 0u);
}

/* Scratch of the depthwise core: every channel's parameters, 8-byte aligned. */
static inline size_t topt_dsp_dwconv_bytes(int32_t channels) {
  return 7u + (size_t)channels * sizeof(topt_dsp_channel);
}

#if defined(__ARM_FEATURE_DSP)

#include <arm_acle.h>

#include "tinyopt_rt_window.h"

/* x rotated right by 8 (gcc 12's arm_acle.h has no __ror). */
static inline uint32_t topt_dsp_ror8(uint32_t x) { return (x >> 8) | (x << 24); }

/* SXTB16 of x ROR 8: bytes 1 and 3 sign-extended to two int16. One instruction; gcc 12 does not fold the
 * rotation of __sxtb16(topt_dsp_ror8(x)) into SXTB16's operand, hence this one-line asm. */
static inline int32_t topt_dsp_sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* SXTAB16 of (a, x ROR 8): a + bytes 1 and 3 of x sign-extended, per int16 half; one instruction (as above). */
static inline int32_t topt_dsp_sxtab16_ror8(int32_t a, uint32_t x) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}

/* Four bytes from any address (Cortex-M4/M7 LDR allows unaligned addresses). */
static inline uint32_t topt_dsp_load32(const void* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

/* Word / 8-byte aligned pointers into scratch (scratch needs only byte alignment; _scratch_bytes include the
 * slack). */
static inline void* topt_dsp_align4(void* p) { return (void*)(((uintptr_t)p + 3u) & ~(uintptr_t)3u); }
static inline void* topt_dsp_align8(void* p) { return (void*)(((uintptr_t)p + 7u) & ~(uintptr_t)7u); }

static inline topt_dsp_channel topt_dsp_channel_of(int32_t bias, int32_t multiplier, int32_t shift) {
  topt_dsp_channel r;
  r.bias = bias;
  r.multiplier = multiplier;
  r.left = shift > 0 ? shift : 0;
  r.right = shift > 0 ? 0 : -shift;
  r.round[0] = r.right > 0 ? ((int64_t)1 << 30) + ((int64_t)1 << (30 + r.right)) : ((int64_t)1 << 30);
  r.round[1] = r.right > 0 ? r.round[0] - ((int64_t)1 << 31) : r.round[0];
  return r;
}

/* out[c] = the int8 output of acc[c] (+ bias, requantized, clamped to [act_min, act_max], + z_out) with
 * channel ch[c]'s parameters, for c < n; `plain` (topt_dsp_all_plain) selects the one-SMLAL path. Shared by
 * the matrix product and the depthwise core, and called once per row or block of channels
 * (topt_dsp_output.c). */
void topt_dsp_output_row(const int32_t* acc, const topt_dsp_channel* ch, int32_t n, int plain,
                         const topt_channel_quant* q, int8_t* out);

/* Both int16 halves of the word hold -zero_point (SXTAB16 adds it to two sign-extended bytes at once). */
static inline int32_t topt_dsp_neg_zp2(int32_t zero_point) {
  return (int32_t)(((uint32_t)(-zero_point) & 0xFFFFu) * 0x10001u);
}

/* The pair-ordered words of src[0..n) minus z_in, n a multiple of 4: per 4 elements 2 words, written to
 * dst[0..1], then dst advances by `step` words (2: a 1-row block, 4: a row of a 2-row block). */
static inline void topt_dsp_widen_run(const int8_t* src, int32_t n, int32_t neg_zp2, uint32_t* dst, int32_t step) {
  int32_t i;
  for (i = 0; i < n; i += 4) {
    const uint32_t x = topt_dsp_load32(src + i);
    dst[0] = (uint32_t)__sxtab16(neg_zp2, (int32_t)x);
    dst[1] = (uint32_t)topt_dsp_sxtab16_ror8(neg_zp2, x);
    dst += step;
  }
}

/* n / 4 groups of 2 zero words, `step` words apart (a padded tap: x - z_in = 0). */
static inline void topt_dsp_zero_run(int32_t n, uint32_t* dst, int32_t step) {
  int32_t i;
  for (i = 0; i < n; i += 4) {
    dst[0] = 0;
    dst[1] = 0;
    dst += step;
  }
}

/* The window of output pixel (b, oy, ox) widened tap by tap straight from the input (C_in % 4 == 0, so every
 * tap is whole pair-order groups): groups of 2 words `step` words apart from dst, padded taps 0. */
static inline void topt_dsp_window_widen(const topt_window2d* w, const int8_t* input, int32_t b, int32_t oy,
                                         int32_t ox, int32_t neg_zp2, uint32_t* dst, int32_t step) {
  int32_t ky, kx;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    for (kx = 0; kx < w->kernel_w; ++kx) {
      const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
      if (in0 >= 0)
        topt_dsp_widen_run(input + in0, w->input.c, neg_zp2, dst, step);
      else
        topt_dsp_zero_run(w->input.c, dst, step);
      dst += step * (w->input.c / 4);
    }
  }
}

/* Activation rows for topt_dsp_gemm_s8, as consecutive blocks. A 2-row block: for each group of 4
 * elements, row 0's two pair-ordered words then row 1's (so one pointer walks both rows), then row 0's
 * k % 4 tail, then row 1's, natural order: 2k int16. A 1-row block: one row's words, then its tail: k int16.
 * Rows r, r+1 are the block at r * k; an odd last row is a 1-row block. dst must be word aligned.
 * topt_dsp_widen fills it from `count` int8 rows of k elements, row_stride apart, minus zero_point. */
void topt_dsp_widen(const int8_t* rows, int32_t count, int32_t row_stride, int32_t k, int32_t zero_point, int16_t* dst);

/* The matrix product's working memory, carved from scratch by topt_dsp_gemm_setup. */
typedef struct {
  topt_dsp_channel* channels; /* [C_out] */
  int32_t* tile;              /* (TOPT_DSP_ROWS, C_out) accumulators */
  int16_t* rows;              /* TOPT_DSP_ROWS activation rows of k (topt_dsp_widen's layout) */
  int plain;                  /* every channel has left = 0 and right > 0: the output pass's fast loop */
} topt_dsp_gemm_work;

/* Carves topt_dsp_gemm_bytes(k, C_out) of scratch and prepares every channel's parameters (bias may be
 * NULL; multiplier and shift from q). */
topt_dsp_gemm_work topt_dsp_gemm_setup(void* scratch, int32_t k, int32_t channels, const int32_t* bias,
                                       const topt_channel_quant* q);

/* out[r * out_stride + c] = output_s8(sum_k a_r[k] * w[c * k + k], channel c0 + c) for r < rows
 * (<= TOPT_DSP_ROWS), c < n. a: work->rows; w: (n, k) int8, the weights of channels c0..c0+n-1; z_out and
 * the clamp from q. First every accumulator goes to the tile (2 channels x 2 rows per step, the SMLAD
 * loop alone in the registers), then one tight pass requantizes the tile. */
void topt_dsp_gemm_s8(const topt_dsp_gemm_work* work, int32_t rows, const int8_t* w, int32_t k, int32_t c0, int32_t n,
                      const topt_channel_quant* q, int8_t* out, int32_t out_stride);

/* out[i] = int4 element first + i of the packed array, for i < count; first must be even. */
void topt_dsp_unpack_int4(const uint8_t* packed, int32_t first, int32_t count, int8_t* out);

/* The depthwise convolution with int8 weights (1, KH, KW, C), depth multiplier 1 (topt_dsp_dwconv_s8.c);
 * scratch: topt_dsp_dwconv_bytes(C). */
void topt_dsp_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                        int8_t* output, void* scratch);

#endif /* __ARM_FEATURE_DSP */

#ifdef __cplusplus
}
#endif

#endif /* TOPT_DSP_INTERNAL_H */
