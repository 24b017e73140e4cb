/* topt_dwconv2d_s8__dsp.c: Cortex-M DSP int8 depthwise convolution (depth multiplier 1), bit-exact to
 * topt_dwconv2d_s8__ref; the work is topt_dsp_dwconv_s8 (4 channels per step, SXTAB16 + SMLABB/SMLATT).
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_dwconv2d_s8__dsp_supports(p) and
 * topt_dwconv2d_s8__dsp_scratch_bytes(p) (the channels' requantization parameters).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

topt_status topt_dwconv2d_s8__dsp(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  if (st != TOPT_OK) return st;
  if (!topt_dwconv2d_s8__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  topt_dsp_dwconv_s8(p, input, filter, bias, output, scratch);
  return TOPT_OK;
}

#else
typedef int topt_dwconv2d_s8__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
