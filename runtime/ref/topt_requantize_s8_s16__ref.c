/* topt_requantize_s8_s16__ref.c: reference int8 -> int16 requantization (docs/numerics.md section 5,
 * "Requantize"): q_out = clamp(requantize(q_in - z_in, M, shift) + z_out, act_min, act_max), z_out = 0.
 *
 * Used at a boundary between int8 and int16 activations; with the int16 tensor at the int8 scale it is an
 * exact widening. Shares its validation with topt_requantize_s16_s8__ref. The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_requantize_s8_s16__ref_supports(const topt_requantize_params* p) {
  return topt_requantize_params_check(p, TOPT_ACT_S8, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_requantize_s8_s16__ref_scratch_bytes(const topt_requantize_params* p) {
  (void)p;
  return 0;
}

topt_status topt_requantize_s8_s16__ref(const topt_requantize_params* p, const int8_t* input, int16_t* output,
                                       void* scratch) {
  const topt_status st = topt_requantize_params_check(p, TOPT_ACT_S8, TOPT_ACT_S16);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_requantize(p, input, TOPT_ACT_S8, output, TOPT_ACT_S16);
  return TOPT_OK;
}
