/* topt_quantize_s16__ref.c: float32 -> int16 (symmetric, zero point 0) at the graph boundary
 * (docs/numerics.md section 1): q = clamp(round_half_away(x / scale), -32768, 32767), NaN -> 0.
 *
 * As topt_quantize_s8__ref: one float division per element, no libm. Not part of the integer path.
 * Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_quantize_s16__ref_supports(const topt_quantize_params* p) {
  return topt_quantize_params_check_act(p, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_quantize_s16__ref_scratch_bytes(const topt_quantize_params* p) {
  (void)p;
  return 0;
}

topt_status topt_quantize_s16__ref(const topt_quantize_params* p, const float* input, int16_t* output,
                                   void* scratch) {
  const topt_status st = topt_quantize_params_check_act(p, TOPT_ACT_S16);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) {
    float v = input[i] / p->scale;
    int32_t t;
    if (v != v) { /* NaN */
      output[i] = 0;
      continue;
    }
    t = topt_round_half_away_limited(v, 65536.0f); /* beyond it saturates anyway */
    output[i] = (int16_t)topt_clamp32(t, -32768, 32767);
  }
  return TOPT_OK;
}
