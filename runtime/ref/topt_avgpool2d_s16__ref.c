/* topt_avgpool2d_s16__ref.c: reference int16 average pooling over NHWC (same quantization in and out, zero
 * point 0): the rounded-half-away mean of the valid taps (padding not counted), clamped, as the int8
 * kernel (docs/numerics.md section 5); the window is bounded so that the int32 sum cannot overflow.
 * Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"

int topt_avgpool2d_s16__ref_supports(const topt_pool2d_params* p) {
  return topt_pool2d_s16_params_check(p) == TOPT_OK;
}

size_t topt_avgpool2d_s16__ref_scratch_bytes(const topt_pool2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_avgpool2d_s16__ref(const topt_pool2d_params* p, const int16_t* input, int16_t* output,
                                    void* scratch) {
  const topt_status st = topt_pool2d_s16_params_check(p);
  const topt_window2d* w;
  int32_t b, oy, ox, c, ky, kx;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        for (c = 0; c < w->output.c; ++c) {
          int32_t sum = 0, n = 0, avg;
          for (ky = 0; ky < w->kernel_h; ++ky) {
            for (kx = 0; kx < w->kernel_w; ++kx) {
              const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
              if (in0 < 0) continue;
              sum += input[in0 + c];
              ++n;
            }
          }
          avg = sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
          output[topt_window_out(w, b, oy, ox) + c] = (int16_t)topt_clamp32(avg, p->act_min, p->act_max);
        }
      }
    }
  }
  return TOPT_OK;
}
