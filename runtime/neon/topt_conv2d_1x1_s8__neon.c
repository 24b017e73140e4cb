/* topt_conv2d_1x1_s8__neon.c: aarch64 NEON pointwise (1x1, stride 1, no padding) int8 convolution,
 * bit-exact to topt_conv2d_s8__ref on the shapes it supports (topt_conv2d_is_pointwise).
 *
 * Over NHWC a pointwise conv is the matrix product (pixels, C_in) x (C_out, C_in)^T, run directly on the
 * input by topt_neon_gemm_s8 (SDOT on Cortex-A76, SMULL/SADALP on A72) with the zero-point correction in the
 * effective bias (topt_neon_internal.h). Scratch: the effective bias, C_out int32.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_conv2d_1x1_s8__neon_supports(p) and
 * topt_conv2d_1x1_s8__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "topt_neon_internal.h"

topt_status topt_conv2d_1x1_s8__neon(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                     const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  int32_t* bias_eff = (int32_t*)scratch; /* [C_out] */
  int32_t pixels, cin, cout;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_1x1_s8__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  pixels = p->win.input.n * p->win.input.h * p->win.input.w;
  cin = p->win.input.c;
  cout = p->win.output.c;
  topt_neon_effective_bias(filter, cin, cout, bias, p->quant.input_zero_point, bias_eff);
  topt_neon_gemm_s8(input, pixels, cin, filter, cin, cout, bias_eff, p->quant.multiplier, p->quant.shift, &p->quant,
                    output, cout);
  return TOPT_OK;
}

#else
typedef int topt_conv2d_1x1_s8__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
