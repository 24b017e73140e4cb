/* topt_dense_s8__neon.c: aarch64 NEON int8 fully-connected layer, bit-exact to topt_dense_s8__ref.
 *
 * The batch rows times the (out_features, in_features) weights through topt_neon_gemm_s8, with the
 * zero-point correction in the effective bias (topt_neon_internal.h). Scratch: out_features int32.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_dense_s8__neon_supports(p) and
 * topt_dense_s8__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "topt_neon_internal.h"

topt_status topt_dense_s8__neon(const topt_dense_params* p, const int8_t* input, const int8_t* filter,
                                const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S8);
  int32_t* bias_eff = (int32_t*)scratch; /* [out_features] */
  if (st != TOPT_OK) return st;
  if (!topt_dense_s8__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  topt_neon_effective_bias(filter, p->in_features, p->out_features, bias, p->quant.input_zero_point, bias_eff);
  topt_neon_gemm_s8(input, p->batches, p->in_features, filter, p->in_features, p->out_features, bias_eff,
                    p->quant.multiplier, p->quant.shift, &p->quant, output, p->out_features);
  return TOPT_OK;
}

#else
typedef int topt_dense_s8__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
