/* topt_dsp_dwconv_s8.c: the depthwise convolution core of the Cortex-M DSP variants (depth multiplier 1,
 * int8 weights (1, KH, KW, C)), shared by topt_dwconv2d_s8__dsp and topt_dwconv2d_s8w4__dsp (which unpacks
 * its int4 weights first). Declared in topt_dsp_internal.h.
 *
 * Channels are the SIMD axis (NHWC keeps them contiguous). For each output pixel the taps inside the input
 * form one rectangle [ky0, ky1) x [kx0, kx1) (computed once, so the tap loops carry no bounds checks and
 * padded taps are skipped as in the reference). Per tap and 4 channels: one LDR of inputs widened by two
 * SXTAB16 (which subtract z_in), one LDR of weights widened by two SXTB16, and four SMLABB/SMLATT — a
 * depthwise sum runs along one channel, so it cannot pair products the way SMLAD does.
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

/* The valid tap range [*lo, *hi) along one axis: o * stride - pad + k * dilation inside [0, size). */
static void tap_range(int32_t o, int32_t stride, int32_t pad, int32_t dilation, int32_t kernel, int32_t size,
                      int32_t* lo, int32_t* hi) {
  const int32_t base = o * stride - pad;
  int32_t k0 = 0, k1 = kernel;
  while (k0 < kernel && base + k0 * dilation < 0) ++k0;
  while (k1 > k0 && base + (k1 - 1) * dilation >= size) --k1;
  *lo = k0;
  *hi = k1;
}

static inline void output_stage(int32_t acc, const topt_channel_quant* q, int32_t c, int8_t* out) {
  const topt_dsp_requant r = topt_dsp_requant_of(q->multiplier[c], q->shift[c]);
  out[c] = topt_dsp_output_s8(acc, &r, q->act_min - q->output_zero_point, q->act_max - q->output_zero_point,
                              q->output_zero_point);
}

void topt_dsp_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                        int8_t* output) {
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  const int32_t channels = w->output.c;
  const int32_t neg_zp = topt_dsp_neg_zp2(q->input_zero_point);
  const int32_t x_step = w->dilation_w * channels, x_row_step = w->dilation_h * w->input.w * channels;
  int32_t b, oy, ox, ky0, ky1, kx0, kx1, c, ky, kx;
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      tap_range(oy, w->stride_h, w->pad_top, w->dilation_h, w->kernel_h, w->input.h, &ky0, &ky1);
      for (ox = 0; ox < w->output.w; ++ox) {
        /* input (b, iy(ky0), ix(kx0), 0) and filter (ky0, kx0, 0) */
        const int8_t* in0;
        const int8_t* f0;
        int8_t* out = output + ((b * w->output.h + oy) * w->output.w + ox) * channels;
        tap_range(ox, w->stride_w, w->pad_left, w->dilation_w, w->kernel_w, w->input.w, &kx0, &kx1);
        if (ky0 < ky1 && kx0 < kx1) {
          in0 = input + ((b * w->input.h + oy * w->stride_h - w->pad_top + ky0 * w->dilation_h) * w->input.w +
                         ox * w->stride_w - w->pad_left + kx0 * w->dilation_w) *
                            channels;
          f0 = filter + (ky0 * w->kernel_w + kx0) * channels;
        } else { /* no tap inside the input: the loops below do not run, keep the pointers in bounds */
          in0 = input;
          f0 = filter;
        }
        for (c = 0; c + 4 <= channels; c += 4) {
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          const int8_t* xr = in0 + c;
          const int8_t* fr = f0 + c;
          if (bias != NULL) {
            a0 = bias[c];
            a1 = bias[c + 1];
            a2 = bias[c + 2];
            a3 = bias[c + 3];
          }
          for (ky = ky0; ky < ky1; ++ky) {
            const int8_t* xp = xr;
            const int8_t* fp = fr;
            for (kx = kx0; kx < kx1; ++kx) {
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
            fr += w->kernel_w * channels;
          }
          output_stage(a0, q, c, out);
          output_stage(a1, q, c + 1, out);
          output_stage(a2, q, c + 2, out);
          output_stage(a3, q, c + 3, out);
        }
        for (; c < channels; ++c) {
          int32_t acc = bias != NULL ? bias[c] : 0;
          const int8_t* xr = in0 + c;
          const int8_t* fr = f0 + c;
          for (ky = ky0; ky < ky1; ++ky) {
            for (kx = 0; kx < kx1 - kx0; ++kx) acc += (xr[kx * x_step] - q->input_zero_point) * fr[kx * channels];
            xr += x_row_step;
            fr += w->kernel_w * channels;
          }
          output_stage(acc, q, c, out);
        }
      }
    }
  }
}

#else
typedef int topt_dsp_dwconv_s8_requires_dsp; /* keeps the translation unit non-empty */
#endif
