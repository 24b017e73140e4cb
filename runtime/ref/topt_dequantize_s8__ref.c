/* topt_dequantize_s8__ref.c: int8 -> float32 at the graph boundary, r = scale * (float)(q - zero_point)
 * (docs/numerics.md section 1). One float multiplication per element. Needs no scratch.
 */
#include "tinyopt_rt.h"

int topt_dequantize_s8__ref_supports(const topt_quantize_params* p) { return topt_quantize_params_check(p) == TOPT_OK; }

size_t topt_dequantize_s8__ref_scratch_bytes(const topt_quantize_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dequantize_s8__ref(const topt_quantize_params* p, const int8_t* input, float* output, void* scratch) {
  const topt_status st = topt_quantize_params_check(p);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) output[i] = p->scale * (float)(input[i] - p->zero_point);
  return TOPT_OK;
}
