/* topt_global_avgpool2d_s16__ref.c: reference int16 global average pooling, (N, H, W, C) -> (N, 1, 1, C),
 * zero points 0: q_out = clamp(requantize(sum(q), M, shift)) with (M, shift) = qm(s_in / (s_out * H * W)),
 * as the int8 kernel (docs/numerics.md section 5); H * W * 32768 < 2^31 keeps the sum in int32.
 * The loop is shared with the other activation types (topt_ref_typed.h). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "topt_ref_typed.h"

int topt_global_avgpool2d_s16__ref_supports(const topt_global_pool_params* p) {
  return topt_ref_global_avgpool2d_check(p, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_global_avgpool2d_s16__ref_scratch_bytes(const topt_global_pool_params* p) {
  (void)p;
  return 0;
}

topt_status topt_global_avgpool2d_s16__ref(const topt_global_pool_params* p, const int16_t* input, int16_t* output,
                                           void* scratch) {
  const topt_status st = topt_ref_global_avgpool2d_check(p, TOPT_ACT_S16);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_ref_global_avgpool2d(p, input, output, TOPT_ACT_S16);
  return TOPT_OK;
}
