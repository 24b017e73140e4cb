/* topt_clamp_s8__ref.c: reference int8 clamp (standalone ReLU / ReLU6 / Clip with the same quantization in
 * and out): q_out = clamp(q_in, act_min, act_max). In place allowed. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static topt_status check(const topt_clamp_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->count < 1) return TOPT_ERR_SHAPE;
  if (p->act_min < -128 || p->act_min > p->act_max || p->act_max > 127) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_clamp_s8__ref_supports(const topt_clamp_params* p) { return check(p) == TOPT_OK; }

size_t topt_clamp_s8__ref_scratch_bytes(const topt_clamp_params* p) {
  (void)p;
  return 0;
}

topt_status topt_clamp_s8__ref(const topt_clamp_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = check(p);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) output[i] = (int8_t)topt_clamp32(input[i], p->act_min, p->act_max);
  return TOPT_OK;
}
