/* topt_dwconv2d_s16__ref.c: reference depthwise 2-D convolution with int16 activations (zero point 0),
 * int8 weights, int64 bias and accumulator ("16x8", docs/numerics.md section 4).
 *
 * Same window walk and filter layout (1, KH, KW, C_out) as topt_dwconv2d_s8__ref; the output stage is
 * requantize64 (section 2.5) and the int16 clamp. The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_dwconv2d_s16__ref_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_s16_params_check(p) == TOPT_OK;
}

size_t topt_dwconv2d_s16__ref_scratch_bytes(const topt_dwconv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dwconv2d_s16__ref(const topt_dwconv2d_params* p, const int16_t* input, const int8_t* filter,
                                   const int64_t* bias, int16_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_s16_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_dwconv2d(p, input, TOPT_ACT_S16, filter, TOPT_REF_WEIGHTS_S8, bias, output);
  return TOPT_OK;
}
