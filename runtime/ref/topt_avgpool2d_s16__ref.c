/* topt_avgpool2d_s16__ref.c: reference int16 average pooling over NHWC (same quantization in and out, zero
 * point 0): the rounded-half-away mean of the valid taps (padding not counted), clamped, as the int8
 * kernel (docs/numerics.md section 5); the window is bounded so that the int32 sum cannot overflow.
 * The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_avgpool2d_s16__ref_supports(const topt_pool2d_params* p) {
  return topt_pool2d_s16_params_check(p) == TOPT_OK;
}

size_t topt_avgpool2d_s16__ref_scratch_bytes(const topt_pool2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_avgpool2d_s16__ref(const topt_pool2d_params* p, const int16_t* input, int16_t* output,
                                    void* scratch) {
  const topt_status st = topt_pool2d_s16_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_pool2d(p, input, output, TOPT_ACT_S16, TOPT_REF_POOL_AVG);
  return TOPT_OK;
}
