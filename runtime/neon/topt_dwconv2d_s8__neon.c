/* topt_dwconv2d_s8__neon.c: aarch64 NEON int8 depthwise convolution (depth multiplier 1), bit-exact to
 * topt_dwconv2d_s8__ref; the work is topt_neon_dwconv_s8 (8 channels per step, SMLAL). Needs no scratch.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_dwconv2d_s8__neon_supports(p) and
 * topt_dwconv2d_s8__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "topt_neon_internal.h"

topt_status topt_dwconv2d_s8__neon(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                                   const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (!topt_dwconv2d_s8__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  topt_neon_dwconv_s8(p, input, filter, bias, output);
  return TOPT_OK;
}

#else
typedef int topt_dwconv2d_s8__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
