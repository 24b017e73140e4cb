/* topt_dwconv2d_s8w4__dsp.c: Cortex-M DSP depthwise convolution with int4 weights (depth multiplier 1),
 * bit-exact to topt_dwconv2d_s8w4__ref: the (KH, KW, C) filter is unpacked to int8 in scratch once per call
 * (one SBFX per weight; a depthwise filter is small), then topt_dsp_dwconv_s8 runs as for int8 weights.
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_dwconv2d_s8w4__dsp_supports(p) and
 * topt_dwconv2d_s8w4__dsp_scratch_bytes(p) (the depthwise core's, then KH * KW * C bytes).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

topt_status topt_dwconv2d_s8w4__dsp(const topt_dwconv2d_params* p, const int8_t* input, const uint8_t* filter,
                                    const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  int8_t* unpacked; /* (KH, KW, C), after the depthwise core's scratch */
  if (st != TOPT_OK) return st;
  if (!topt_dwconv2d_s8w4__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  unpacked = (int8_t*)scratch + topt_dsp_dwconv_bytes(p->win.output.c);
  topt_dsp_unpack_int4(filter, 0, p->win.kernel_h * p->win.kernel_w * p->win.output.c, unpacked);
  topt_dsp_dwconv_s8(p, input, unpacked, bias, output, scratch);
  return TOPT_OK;
}

#else
typedef int topt_dwconv2d_s8w4__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
