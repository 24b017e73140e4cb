/* topt_dwconv2d_s8__ref.c: reference int8 depthwise 2-D convolution (any depth multiplier).
 *
 * Filter (1, KH, KW, C_out) as TFLite; output channel oc = ic * depth_multiplier + m reads input channel
 * ic only. Arithmetic as docs/numerics.md section 3. Every dwconv2d_s8 variant equals it byte for byte.
 * The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_dwconv2d_s8__ref_supports(const topt_dwconv2d_params* p) { return topt_dwconv2d_params_check(p) == TOPT_OK; }

size_t topt_dwconv2d_s8__ref_scratch_bytes(const topt_dwconv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dwconv2d_s8__ref(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_dwconv2d(p, input, TOPT_ACT_S8, filter, TOPT_REF_WEIGHTS_S8, bias, output);
  return TOPT_OK;
}
