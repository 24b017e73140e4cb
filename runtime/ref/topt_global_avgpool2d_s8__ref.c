/* topt_global_avgpool2d_s8__ref.c: reference int8 global average pooling, (N, H, W, C) -> (N, 1, 1, C).
 *
 * The mean and any change of scale are one requantization: q_out = clamp(requantize(sum(q - z_in), M, shift)
 * + z_out) with (M, shift) = qm(s_in / (s_out * H * W)) (docs/numerics.md section 5). The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_global_avgpool2d_s8__ref_supports(const topt_global_pool_params* p) {
  return topt_ref_global_avgpool2d_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_global_avgpool2d_s8__ref_scratch_bytes(const topt_global_pool_params* p) {
  (void)p;
  return 0;
}

topt_status topt_global_avgpool2d_s8__ref(const topt_global_pool_params* p, const int8_t* input, int8_t* output,
                                          void* scratch) {
  const topt_status st = topt_ref_global_avgpool2d_check(p, TOPT_ACT_S8);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_global_avgpool2d(p, input, output, TOPT_ACT_S8);
  return TOPT_OK;
}
