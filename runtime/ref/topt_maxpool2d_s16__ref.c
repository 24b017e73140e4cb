/* topt_maxpool2d_s16__ref.c: reference int16 max pooling over NHWC (input and output share quantization,
 * zero point 0): q_out = clamp(max over the window's valid taps, act_min, act_max), as the int8 kernel
 * (docs/numerics.md section 5). The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_maxpool2d_s16__ref_supports(const topt_pool2d_params* p) {
  return topt_pool2d_s16_params_check(p) == TOPT_OK;
}

size_t topt_maxpool2d_s16__ref_scratch_bytes(const topt_pool2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_maxpool2d_s16__ref(const topt_pool2d_params* p, const int16_t* input, int16_t* output,
                                    void* scratch) {
  const topt_status st = topt_pool2d_s16_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_pool2d(p, input, output, TOPT_ACT_S16, TOPT_REF_POOL_MAX);
  return TOPT_OK;
}
