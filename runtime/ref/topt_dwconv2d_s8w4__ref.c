/* topt_dwconv2d_s8w4__ref.c: reference depthwise 2-D convolution with int8 activations and int4 weights.
 *
 * Identical to topt_dwconv2d_s8__ref except that weight element i of the flat (1, KH, KW, C_out) array is
 * read from packed nibbles, low nibble first (docs/numerics.md section 6). The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_dwconv2d_s8w4__ref_supports(const topt_dwconv2d_params* p) { return topt_dwconv2d_params_check(p) == TOPT_OK; }

size_t topt_dwconv2d_s8w4__ref_scratch_bytes(const topt_dwconv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dwconv2d_s8w4__ref(const topt_dwconv2d_params* p, const int8_t* input, const uint8_t* filter,
                                    const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_dwconv2d(p, input, TOPT_ACT_S8, filter, TOPT_REF_WEIGHTS_S4, bias, output);
  return TOPT_OK;
}
