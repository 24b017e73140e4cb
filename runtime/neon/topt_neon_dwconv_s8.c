/* topt_neon_dwconv_s8.c: the depthwise convolution core of the NEON variants (depth multiplier 1, int8
 * weights (1, KH, KW, C)), shared by topt_dwconv2d_s8__neon and topt_dwconv2d_s8w4__neon (which unpacks
 * its int4 weights first). Declared in topt_neon_internal.h.
 *
 * Channels are the SIMD axis (NHWC keeps them contiguous): for each output pixel, 8 channels at a time,
 * each valid tap widens input - z_in and the weights to int16 (|x - z| <= 255) and multiply-accumulates
 * into two int32x4 accumulators (SMLAL) that start at the bias; padded taps are skipped as in the
 * reference (the valid taps form one rectangle, walked by pointer steps). Channel blocks are the outer
 * loop so their output-stage vectors are set up once. The channel
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

/* Channels [c0, c0 + 8) of output pixel (b, oy, ox); n <= 8 of them are real. The taps inside the input
 * form one rectangle (topt_window_tap_range), walked by pointer steps. */
static inline __attribute__((always_inline)) void pixel_block(const topt_dwconv2d_params* p, const int8_t* input,
                                                              const int8_t* filter, const block_quant* bq, int32_t b,
                                                              int32_t oy, int32_t ox, int32_t c0, int32_t n,
                                                              int8_t* out) {
  const topt_window2d* w = &p->win;
  const int32_t channels = w->output.c;
  const int8x8_t zp = vdup_n_s8((int8_t)p->quant.input_zero_point);
  int32x4_t acc_lo = bq->bias[0], acc_hi = bq->bias[1];
  int32_t ky0, ky1, kx0, kx1, ky, kx;
  uint32_t bytes[2];
  topt_window_tap_range(oy, w->stride_h, w->pad_top, w->dilation_h, w->kernel_h, w->input.h, &ky0, &ky1);
  topt_window_tap_range(ox, w->stride_w, w->pad_left, w->dilation_w, w->kernel_w, w->input.w, &kx0, &kx1);
  if (ky0 < ky1 && kx0 < kx1) {
    const int32_t x_step = w->dilation_w * channels, x_row_step = w->dilation_h * w->input.w * channels;
    const int8_t* xr = input +
                       ((b * w->input.h + oy * w->stride_h - w->pad_top + ky0 * w->dilation_h) * w->input.w +
                        ox * w->stride_w - w->pad_left + kx0 * w->dilation_w) *
                           channels +
                       c0;
    const int8_t* fr = filter + (ky0 * w->kernel_w + kx0) * channels + c0;
    for (ky = ky0; ky < ky1; ++ky) {
      const int8_t* xp = xr;
      const int8_t* fp = fr;
      for (kx = kx0; kx < kx1; ++kx) {
        int8x8_t xv, wv;
        int16x8_t x16, w16;
        if (n == 8) {
          xv = vld1_s8(xp);
          wv = vld1_s8(fp);
        } else {
          int8_t xs[8] = {0}, ws[8] = {0};
          memcpy(xs, xp, (size_t)n);
          memcpy(ws, fp, (size_t)n);
          xv = vld1_s8(xs);
          wv = vld1_s8(ws);
        }
        x16 = vsubl_s8(xv, zp);
        w16 = vmovl_s8(wv);
        acc_lo = vmlal_s16(acc_lo, vget_low_s16(x16), vget_low_s16(w16));
        acc_hi = vmlal_high_s16(acc_hi, x16, w16);
        xp += x_step;
        fp += channels;
      }
      xr += x_row_step;
      fr += w->kernel_w * channels;
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

void topt_neon_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                         int8_t* output) {
  const topt_window2d* w = &p->win;
  int32_t b, oy, ox, c0;
  for (c0 = 0; c0 < w->output.c; c0 += 8) {
    const int32_t n = w->output.c - c0 < 8 ? w->output.c - c0 : 8;
    const block_quant bq = prepare_block(&p->quant, bias, c0, n);
    for (b = 0; b < w->output.n; ++b)
      for (oy = 0; oy < w->output.h; ++oy)
        for (ox = 0; ox < w->output.w; ++ox) {
          int8_t* out = output + topt_window_out(w, b, oy, ox);
          if (n == 8) /* a literal 8: the inlined copy has no tail handling in its tap loop */
            pixel_block(p, input, filter, &bq, b, oy, ox, c0, 8, out);
          else
            pixel_block(p, input, filter, &bq, b, oy, ox, c0, n, out);
        }
  }
}

#else
typedef int topt_neon_dwconv_s8_requires_neon; /* keeps the translation unit non-empty */
#endif
