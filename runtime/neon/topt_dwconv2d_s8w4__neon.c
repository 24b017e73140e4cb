/* topt_dwconv2d_s8w4__neon.c: aarch64 NEON depthwise convolution with int4 weights (depth multiplier 1),
 * bit-exact to topt_dwconv2d_s8w4__ref: the (KH, KW, C) filter is unpacked to int8 in scratch once per call
 * (a depthwise filter is small), then topt_neon_dwconv_s8 runs as for int8 weights.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_dwconv2d_s8w4__neon_supports(p) and
 * topt_dwconv2d_s8w4__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "topt_neon_internal.h"

topt_status topt_dwconv2d_s8w4__neon(const topt_dwconv2d_params* p, const int8_t* input, const uint8_t* filter,
                                     const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  int8_t* unpacked = (int8_t*)scratch; /* (KH, KW, C) */
  if (st != TOPT_OK) return st;
  if (!topt_dwconv2d_s8w4__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  topt_neon_unpack_int4(filter, 0, p->win.kernel_h * p->win.kernel_w * p->win.output.c, unpacked);
  topt_neon_dwconv_s8(p, input, unpacked, bias, output);
  return TOPT_OK;
}

#else
typedef int topt_dwconv2d_s8w4__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
