/* topt_requantize_s16_s16__ref.c: reference int16 -> int16 requantization (docs/numerics.md section 5,
 * "Requantize"; both zero points 0): q_out = clamp(requantize(q_in, M, shift), act_min, act_max).
 *
 * Used where an int16 tensor changes scale (a QuantizeLinear of a dequantized int16 tensor with other
 * params, e.g. before a concat or an add). Shares its validation with the int8 <-> int16 kernels.
 * The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

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
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_requantize(p, input, TOPT_ACT_S16, output, TOPT_ACT_S16);
  return TOPT_OK;
}
