/* topt_quantize_s8__ref.c: float32 -> int8 at the graph boundary (docs/numerics.md section 1):
 * q = clamp(round_half_away(x / scale) + zero_point, -128, 127), NaN -> zero_point.
 *
 * Uses one float division per element and no libm, so host and device (with -ffp-contract=off, as the
 * build sets) agree bit for bit. Not part of the integer path. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_quantize_s8__ref_supports(const topt_quantize_params* p) { return topt_quantize_params_check(p) == TOPT_OK; }

size_t topt_quantize_s8__ref_scratch_bytes(const topt_quantize_params* p) {
  (void)p;
  return 0;
}

topt_status topt_quantize_s8__ref(const topt_quantize_params* p, const float* input, int8_t* output, void* scratch) {
  const topt_status st = topt_quantize_params_check(p);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) {
    float v = input[i] / p->scale;
    int32_t t;
    if (v != v) { /* NaN */
      output[i] = (int8_t)p->zero_point;
      continue;
    }
    t = topt_round_half_away_limited(v, 512.0f); /* beyond it saturates anyway */
    output[i] = (int8_t)topt_clamp32(t + p->zero_point, -128, 127);
  }
  return TOPT_OK;
}
