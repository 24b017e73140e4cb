/* topt_requantize_s16_s16__ref.c: reference int16 -> int16 requantization (docs/numerics.md section 5,
 * "Requantize"; both zero points 0): q_out = clamp(requantize(q_in, M, shift), act_min, act_max).
 *
 * Used where an int16 tensor changes scale (a QuantizeLinear of a dequantized int16 tensor with other
 * params, e.g. before a concat or an add). Shares its validation with the int8 <-> int16 kernels.
 * Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_requantize_s16_s16__ref_supports(const topt_requantize_params* p) {
  return topt_requantize_params_check(p, TOPT_ACT_S16, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_requantize_s16_s16__ref_scratch_bytes(const topt_requantize_params* p) {
  (void)p;
  return 0;
}

topt_status topt_requantize_s16_s16__ref(const topt_requantize_params* p, const int16_t* input, int16_t* output,
                                         void* scratch) {
  const topt_status st = topt_requantize_params_check(p, TOPT_ACT_S16, TOPT_ACT_S16);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) {
    const int32_t v = topt_requantize(input[i], p->requant.multiplier, p->requant.shift);
    output[i] = (int16_t)topt_clamp32(v, p->act_min, p->act_max);
  }
  return TOPT_OK;
}
