/* topt_dwconv2d_s16__ref.c: reference depthwise 2-D convolution with int16 activations (zero point 0),
 * int8 weights, int64 bias and accumulator ("16x8", docs/numerics.md section 4).
 *
 * Same window walk and filter layout (1, KH, KW, C_out) as topt_dwconv2d_s8__ref; the output stage is
 * requantize64 (section 2.5) and the int16 clamp. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"

int topt_dwconv2d_s16__ref_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_s16_params_check(p) == TOPT_OK;
}

size_t topt_dwconv2d_s16__ref_scratch_bytes(const topt_dwconv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dwconv2d_s16__ref(const topt_dwconv2d_params* p, const int16_t* input, const int8_t* filter,
                                   const int64_t* bias, int16_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_s16_params_check(p);
  const topt_window2d* w;
  const topt_channel_quant* q;
  int32_t b, oy, ox, ic, m, ky, kx;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  q = &p->quant;
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        int16_t* out = output + topt_window_out(w, b, oy, ox); /* (C_out) */
        for (ic = 0; ic < w->input.c; ++ic) {
          for (m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = ic * p->depth_multiplier + m;
            int64_t acc = 0;
            for (ky = 0; ky < w->kernel_h; ++ky) {
              for (kx = 0; kx < w->kernel_w; ++kx) {
                const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
                if (in0 < 0) continue;
                acc += (int64_t)(input[in0 + ic] * filter[(ky * w->kernel_w + kx) * w->output.c + oc]);
              }
            }
            if (bias != NULL) acc += bias[oc];
            out[oc] = (int16_t)topt_clamp64(topt_requantize64(acc, q->multiplier[oc], q->shift[oc]), q->act_min,
                                            q->act_max);
          }
        }
      }
    }
  }
  return TOPT_OK;
}
