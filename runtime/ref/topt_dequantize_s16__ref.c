/* topt_dequantize_s16__ref.c: int16 (zero point 0) -> float32 at the graph boundary (docs/numerics.md
 * section 1): x = scale * q, one float multiply per element, no libm. Needs no scratch.
 */
#include "tinyopt_rt.h"

int topt_dequantize_s16__ref_supports(const topt_quantize_params* p) {
  return topt_quantize_params_check_act(p, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_dequantize_s16__ref_scratch_bytes(const topt_quantize_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dequantize_s16__ref(const topt_quantize_params* p, const int16_t* input, float* output,
                                     void* scratch) {
  const topt_status st = topt_quantize_params_check_act(p, TOPT_ACT_S16);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) output[i] = p->scale * (float)input[i];
  return TOPT_OK;
}
