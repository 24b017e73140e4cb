/* topt_dsp_dwconv_s8.c: the depthwise convolution core of the Cortex-M DSP variants (depth multiplier 1,
 * int8 weights (1, KH, KW, C)), shared by topt_dwconv2d_s8__dsp and topt_dwconv2d_s8w4__dsp (which unpacks
 * its int4 weights first). Declared in topt_dsp_internal.h.
 *
 * Channels are the SIMD axis (NHWC keeps them contiguous). For each output pixel the taps inside the input
 * form one rectangle [ky0, ky1) x [kx0, kx1) (computed once, so the tap loops carry no bounds checks and
 * padded taps are skipped as in the reference). Per tap and 4 channels: one LDR of inputs widened by two
 * SXTAB16 (which subtract z_in), one LDR of weights widened by two SXTB16, and four SMLABB/SMLATT — a
 * depthwise sum runs along one channel, so it cannot pair products the way SMLAD does. Every channel's
 * requantization is prepared once per call in scratch (topt_dsp_dwconv_bytes).
 */
#if defined(__ARM_FEATURE_DSP)

#include "tinyopt_rt_window.h"
#include "topt_dsp_internal.h"

/* The first valid tap of output pixel (b, oy, ox): its input pixel (channel 0) and filter tap (channel 0),
 * and the valid tap rectangle's size; rows = cols = 0 when no tap lies inside the input. */
typedef struct {
  const int8_t* x;
  const int8_t* f;
  int32_t rows, cols;
} tap_box;

static tap_box taps_of(const topt_window2d* w, const int8_t* input, const int8_t* filter, int32_t b, int32_t oy,
                       int32_t ox) {
  tap_box t;
  int32_t ky0, ky1, kx0, kx1;
  topt_window_tap_range(oy, w->stride_h, w->pad_top, w->dilation_h, w->kernel_h, w->input.h, &ky0, &ky1);
  topt_window_tap_range(ox, w->stride_w, w->pad_left, w->dilation_w, w->kernel_w, w->input.w, &kx0, &kx1);
  t.x = input;
  t.f = filter;
  t.rows = t.cols = 0;
  if (ky0 < ky1 && kx0 < kx1) {
    t.x = input + ((b * w->input.h + oy * w->stride_h - w->pad_top + ky0 * w->dilation_h) * w->input.w +
                   ox * w->stride_w - w->pad_left + kx0 * w->dilation_w) *
                      w->input.c;
    t.f = filter + (ky0 * w->kernel_w + kx0) * w->output.c;
    t.rows = ky1 - ky0;
    t.cols = kx1 - kx0;
  }
  return t;
}

void topt_dsp_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                        int8_t* output, void* scratch) {
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  const int32_t channels = w->output.c;
  const int32_t neg_zp = topt_dsp_neg_zp2(q->input_zero_point);
  const int32_t x_step = w->dilation_w * channels, x_row_step = w->dilation_h * w->input.w * channels;
  const int32_t f_row_step = w->kernel_w * channels;
  const int32_t lo = q->act_min - q->output_zero_point, hi = q->act_max - q->output_zero_point;
  const int32_t pixels = w->output.n * w->output.h * w->output.w;
  topt_dsp_channel* chan = (topt_dsp_channel*)topt_dsp_align8(scratch); /* [C] */
  int32_t c, px, j, ky, kx;
  for (c = 0; c < channels; ++c)
    chan[c] = topt_dsp_channel_of(bias != NULL ? bias[c] : 0, q->multiplier[c], q->shift[c]);
  for (px = 0; px < pixels; ++px) {
    const int32_t ox = px % w->output.w, oy = (px / w->output.w) % w->output.h;
    const tap_box t = taps_of(w, input, filter, px / (w->output.w * w->output.h), oy, ox);
    for (c = 0; c < channels; c += 4) {
      const int32_t n = channels - c < 4 ? channels - c : 4;
      const topt_dsp_channel* r = chan + c;
      int8_t* out = output + px * channels + c;
      const int8_t* xr = t.x + c;
      const int8_t* fr = t.f + c;
      if (n == 4) {
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0; /* the bias is added by the output stage */
        for (ky = 0; ky < t.rows; ++ky) {
          const int8_t* xp = xr;
          const int8_t* fp = fr;
          for (kx = 0; kx < t.cols; ++kx) {
            const uint32_t xv = topt_dsp_load32(xp), wv = topt_dsp_load32(fp);
            const int32_t x02 = __sxtab16(neg_zp, (int32_t)xv), x13 = topt_dsp_sxtab16_ror8(neg_zp, xv);
            const int32_t w02 = __sxtb16((int32_t)wv), w13 = topt_dsp_sxtb16_ror8(wv);
            a0 = __smlabb(x02, w02, a0);
            a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1);
            a3 = __smlatt(x13, w13, a3);
            xp += x_step;
            fp += channels;
          }
          xr += x_row_step;
          fr += f_row_step;
        }
        out[0] = topt_dsp_output_s8(a0, &r[0], lo, hi, q->output_zero_point);
        out[1] = topt_dsp_output_s8(a1, &r[1], lo, hi, q->output_zero_point);
        out[2] = topt_dsp_output_s8(a2, &r[2], lo, hi, q->output_zero_point);
        out[3] = topt_dsp_output_s8(a3, &r[3], lo, hi, q->output_zero_point);
      } else { /* the channel tail, one channel at a time */
        for (j = 0; j < n; ++j) {
          int32_t acc = 0;
          const int8_t* xj = xr + j;
          const int8_t* fj = fr + j;
          for (ky = 0; ky < t.rows; ++ky) {
            for (kx = 0; kx < t.cols; ++kx) acc += (xj[kx * x_step] - q->input_zero_point) * fj[kx * channels];
            xj += x_row_step;
            fj += f_row_step;
          }
          out[j] = topt_dsp_output_s8(acc, &r[j], lo, hi, q->output_zero_point);
        }
      }
    }
  }
}

#else
typedef int topt_dsp_dwconv_s8_requires_dsp; /* keeps the translation unit non-empty */
#endif
