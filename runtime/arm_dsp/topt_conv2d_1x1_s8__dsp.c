/* topt_conv2d_1x1_s8__dsp.c: Cortex-M DSP (SMLAD) pointwise (1x1, stride 1, no padding) int8 convolution,
 * bit-exact to topt_conv2d_s8__ref on the shapes it supports (topt_conv2d_is_pointwise).
 *
 * TOPT_DSP_ROWS pixels at a time: their C_in inputs are widened into pair-ordered int16 rows (x - z_in),
 * then topt_dsp_gemm_s8 runs 2 output channels x 2 pixels per step over the int8 filter rows.
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_conv2d_1x1_s8__dsp_supports(p) and
 * topt_conv2d_1x1_s8__dsp_scratch_bytes(p) (the matrix product's working memory).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

topt_status topt_conv2d_1x1_s8__dsp(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                    const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  int32_t pixels, cin, cout, px;
  topt_dsp_gemm_work work;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_1x1_s8__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  pixels = p->win.input.n * p->win.input.h * p->win.input.w;
  cin = p->win.input.c;
  cout = p->win.output.c;
  work = topt_dsp_gemm_setup(scratch, cin, cout, bias, &p->quant);
  for (px = 0; px < pixels; px += TOPT_DSP_ROWS) {
    const int32_t rows = pixels - px < TOPT_DSP_ROWS ? pixels - px : TOPT_DSP_ROWS;
    topt_dsp_widen(input + px * cin, rows, cin, cin, p->quant.input_zero_point, work.rows);
    topt_dsp_gemm_s8(&work, rows, filter, cin, 0, cout, &p->quant, output + px * cout, cout);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_1x1_s8__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
