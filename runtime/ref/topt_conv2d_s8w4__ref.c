/* topt_conv2d_s8w4__ref.c: reference 2-D convolution with int8 activations and int4 weights.
 *
 * Identical arithmetic to topt_conv2d_s8__ref (docs/numerics.md section 3); the only difference is that
 * weight element i of the flat OHWI array is read from the packed nibbles (section 6). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"

int topt_conv2d_s8w4__ref_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_conv2d_s8w4__ref_scratch_bytes(const topt_conv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_conv2d_s8w4__ref(const topt_conv2d_params* p, const int8_t* input, const uint8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
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
        int8_t* out = output + topt_window_out(w, b, oy, ox); /* (C_out) */
        for (oc = 0; oc < w->output.c; ++oc) {
          int32_t acc = 0;
          for (ky = 0; ky < w->kernel_h; ++ky) {
            for (kx = 0; kx < w->kernel_w; ++kx) {
              const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
              const int32_t f0 = ((oc * w->kernel_h + ky) * w->kernel_w + kx) * w->input.c; /* w[oc, ky, kx, 0] */
              if (in0 < 0) continue;
              for (ic = 0; ic < w->input.c; ++ic)
                acc += (input[in0 + ic] - q->input_zero_point) * topt_int4_at(filter, f0 + ic);
            }
          }
          if (bias != NULL) acc += bias[oc];
          out[oc] = topt_output_s8(acc, q->multiplier[oc], q->shift[oc], q->output_zero_point, q->act_min, q->act_max);
        }
      }
    }
  }
  return TOPT_OK;
}
