/* topt_avgpool2d_s8__ref.c: reference int8 average pooling over NHWC (input and output share
 * quantization; padding not counted, ONNX count_include_pad = 0).
 *
 * With n valid taps summing to S: q_out = clamp(round_half_away(S / n), act_min, act_max), computed with
 * C's truncating division as (S +- n/2) / n (TFLite's formula). docs/numerics.md section 5. The loop is shared with the other activation types (topt_ref_typed.h). No scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_avgpool2d_s8__ref_supports(const topt_pool2d_params* p) { return topt_pool2d_params_check(p) == TOPT_OK; }

size_t topt_avgpool2d_s8__ref_scratch_bytes(const topt_pool2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_avgpool2d_s8__ref(const topt_pool2d_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = topt_pool2d_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_pool2d(p, input, output, TOPT_ACT_S8, TOPT_REF_POOL_AVG);
  return TOPT_OK;
}
