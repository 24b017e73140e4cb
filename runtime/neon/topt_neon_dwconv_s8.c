/* topt_neon_dwconv_s8.c: the depthwise convolution core of the NEON variants (depth multiplier 1, int8
 * weights (1, KH, KW, C)), shared by topt_dwconv2d_s8__neon and topt_dwconv2d_s8w4__neon (which unpacks
 * its int4 weights first). Declared in topt_neon_internal.h.
 *
 * Channels are the SIMD axis (NHWC keeps them contiguous): for each output pixel, 8 channels at a time,
 * each valid tap widens input - z_in and the weights to int16 (|x - z| <= 255) and multiply-accumulates
 * into two int32x4 accumulators (SMLAL) that start at the bias; padded taps are skipped as in the
 * reference. Channel blocks are the outer loop so their output-stage vectors are set up once. The channel
 * tail (C % 8) pads a local copy with zeros so the same code and output stage handle it.
 */
#if defined(__ARM_NEON)

#include <string.h>

#include "tinyopt_rt_window.h"
#include "topt_neon_internal.h"

/* Per-channel output-stage vectors of channels [c0, c0 + 8) (zeros past the n real ones). */
typedef struct {
  int32x4_t bias[2], multiplier[2], left[2], right_neg[2];
} block_quant;

static block_quant prepare_block(const topt_channel_quant* q, const int32_t* bias, int32_t c0, int32_t n) {
  int32_t bs[8] = {0}, ms[8] = {0}, ss[8] = {0}, j;
  block_quant bq;
  for (j = 0; j < n; ++j) {
    bs[j] = bias != NULL ? bias[c0 + j] : 0;
    ms[j] = q->multiplier[c0 + j];
    ss[j] = q->shift[c0 + j];
  }
  for (j = 0; j < 2; ++j) {
    const int32x4_t sh = vld1q_s32(ss + 4 * j);
    bq.bias[j] = vld1q_s32(bs + 4 * j);
    bq.multiplier[j] = vld1q_s32(ms + 4 * j);
    bq.left[j] = vmaxq_s32(sh, vdupq_n_s32(0));
    bq.right_neg[j] = vminq_s32(sh, vdupq_n_s32(0));
  }
  return bq;
}

/* Channels [c0, c0 + 8) of output pixel (b, oy, ox); n <= 8 of them are real. */
static inline void pixel_block(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                               const block_quant* bq, int32_t b, int32_t oy, int32_t ox, int32_t c0, int32_t n,
                               int8_t* out) {
  const topt_window2d* w = &p->win;
  const int8x8_t zp = vdup_n_s8((int8_t)p->quant.input_zero_point);
  int32x4_t acc_lo = bq->bias[0], acc_hi = bq->bias[1];
  int32_t ky, kx;
  uint32_t bytes[2];
  for (ky = 0; ky < w->kernel_h; ++ky) {
    for (kx = 0; kx < w->kernel_w; ++kx) {
      const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
      const int8_t* f = filter + (ky * w->kernel_w + kx) * w->output.c + c0;
      int8x8_t xv, wv;
      int16x8_t x16, w16;
      if (in0 < 0) continue;
      if (n == 8) {
        xv = vld1_s8(input + in0 + c0);
        wv = vld1_s8(f);
      } else {
        int8_t xs[8] = {0}, ws[8] = {0};
        memcpy(xs, input + in0 + c0, (size_t)n);
        memcpy(ws, f, (size_t)n);
        xv = vld1_s8(xs);
        wv = vld1_s8(ws);
      }
      x16 = vsubl_s8(xv, zp);
      w16 = vmovl_s8(wv);
      acc_lo = vmlal_s16(acc_lo, vget_low_s16(x16), vget_low_s16(w16));
      acc_hi = vmlal_high_s16(acc_hi, x16, w16);
    }
  }
  bytes[0] = topt_neon_output_s8x4(acc_lo, bq->multiplier[0], bq->left[0], bq->right_neg[0], &p->quant);
  bytes[1] = topt_neon_output_s8x4(acc_hi, bq->multiplier[1], bq->left[1], bq->right_neg[1], &p->quant);
  if (n == 8) {
    memcpy(out + c0, bytes, 8);
  } else {
    int8_t res[8];
    memcpy(res, bytes, 8);
    memcpy(out + c0, res, (size_t)n);
  }
}

void topt_neon_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                         const int32_t* bias, int8_t* output) {
  const topt_window2d* w = &p->win;
  int32_t b, oy, ox, c0;
  for (c0 = 0; c0 < w->output.c; c0 += 8) {
    const int32_t n = w->output.c - c0 < 8 ? w->output.c - c0 : 8;
    const block_quant bq = prepare_block(&p->quant, bias, c0, n);
    for (b = 0; b < w->output.n; ++b)
      for (oy = 0; oy < w->output.h; ++oy)
        for (ox = 0; ox < w->output.w; ++ox)
          pixel_block(p, input, filter, &bq, b, oy, ox, c0, n, output + topt_window_out(w, b, oy, ox));
  }
}

#else
typedef int topt_neon_dwconv_s8_requires_neon; /* keeps the translation unit non-empty */
#endif
