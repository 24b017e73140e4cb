/* topt_maxpool2d_s8__ref.c: reference int8 max pooling over NHWC (input and output share quantization).
 *
 * q_out = clamp(max over the window's valid taps, act_min, act_max); padded taps are ignored (the check
 * guarantees at least one valid tap per window). docs/numerics.md section 5. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"

int topt_maxpool2d_s8__ref_supports(const topt_pool2d_params* p) { return topt_pool2d_params_check(p) == TOPT_OK; }

size_t topt_maxpool2d_s8__ref_scratch_bytes(const topt_pool2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_maxpool2d_s8__ref(const topt_pool2d_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = topt_pool2d_params_check(p);
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
          int32_t mx = -128;
          for (ky = 0; ky < w->kernel_h; ++ky) {
            for (kx = 0; kx < w->kernel_w; ++kx) {
              const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
              int32_t v;
              if (in0 < 0) continue;
              v = input[in0 + c];
              if (v > mx) mx = v;
            }
          }
          output[topt_window_out(w, b, oy, ox) + c] = (int8_t)topt_clamp32(mx, p->act_min, p->act_max);
        }
      }
    }
  }
  return TOPT_OK;
}
