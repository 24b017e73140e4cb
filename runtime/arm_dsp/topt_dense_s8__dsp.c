/* topt_dense_s8__dsp.c: Cortex-M DSP (SMLAD) int8 fully-connected layer, bit-exact to topt_dense_s8__ref.
 *
 * Up to TOPT_DSP_ROWS batch rows at a time are widened into pair-ordered int16 rows, then topt_dsp_gemm_s8 multiplies
 * them with the (out_features, in_features) int8 weights, 2 outputs per step.
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_dense_s8__dsp_supports(p) and
 * topt_dense_s8__dsp_scratch_bytes(p) (the matrix product's working memory).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

topt_status topt_dense_s8__dsp(const topt_dense_params* p, const int8_t* input, const int8_t* filter,
                               const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S8);
  const int32_t k = p->in_features, outs = p->out_features;
  topt_dsp_gemm_work work;
  int32_t b;
  if (st != TOPT_OK) return st;
  if (!topt_dense_s8__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  work = topt_dsp_gemm_setup(scratch, k, outs, bias, &p->quant);
  for (b = 0; b < p->batches; b += TOPT_DSP_ROWS) {
    const int32_t rows = p->batches - b < TOPT_DSP_ROWS ? p->batches - b : TOPT_DSP_ROWS;
    topt_dsp_widen(input + b * k, rows, k, k, p->quant.input_zero_point, work.rows);
    topt_dsp_gemm_s8(&work, rows, filter, k, 0, outs, &p->quant, output + b * outs, outs);
  }
  return TOPT_OK;
}

#else
typedef int topt_dense_s8__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
