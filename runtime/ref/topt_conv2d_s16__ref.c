/* topt_conv2d_s16__ref.c: reference 2-D convolution with int16 activations (zero point 0), int8 weights,
 * int64 bias and accumulator ("16x8", docs/numerics.md section 4).
 *
 * Same window walk as topt_conv2d_s8__ref; the output stage is requantize64 (section 2.5). No scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_conv2d_s16__ref_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_conv2d_s16__ref_scratch_bytes(const topt_conv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_conv2d_s16__ref(const topt_conv2d_params* p, const int16_t* input, const int8_t* filter,
                                 const int64_t* bias, int16_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S16);
  const topt_window2d* w;
  const topt_channel_quant* q;
  int32_t b, oy, ox, oc, ky, kx, ic;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  q = &p->quant;
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        int16_t* out = output + ((b * w->output.h + oy) * w->output.w + ox) * w->output.c;
        for (oc = 0; oc < w->output.c; ++oc) {
          int64_t acc = 0;
          for (ky = 0; ky < w->kernel_h; ++ky) {
            const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dilation_h;
            if (iy < 0 || iy >= w->input.h) continue;
            for (kx = 0; kx < w->kernel_w; ++kx) {
              const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dilation_w;
              const int16_t* in_px; /* (C_in) */
              const int8_t* f;      /* (C_in) */
              if (ix < 0 || ix >= w->input.w) continue;
              in_px = input + ((b * w->input.h + iy) * w->input.w + ix) * w->input.c;
              f = filter + ((oc * w->kernel_h + ky) * w->kernel_w + kx) * w->input.c;
              for (ic = 0; ic < w->input.c; ++ic) acc += (int64_t)(in_px[ic] * f[ic]);
            }
          }
          if (bias != NULL) acc += bias[oc];
          out[oc] = (int16_t)topt_clamp64(topt_requantize64(acc, q->multiplier[oc], q->shift[oc]), q->act_min,
                                          q->act_max);
        }
      }
    }
  }
  return TOPT_OK;
}
