/* topt_dense_s8w4__dsp.c: Cortex-M DSP fully-connected layer with int4 weights, bit-exact to
 * topt_dense_s8w4__ref: blocks of TOPT_DSP_W4_CHANNELS weight rows are unpacked to int8 in scratch (one
 * SBFX per weight), then the batch rows run through topt_dsp_gemm_s8 with that block.
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_dense_s8w4__dsp_supports(p) and
 * topt_dense_s8w4__dsp_scratch_bytes(p) (the matrix product's working memory, then the
 * unpacked weight block).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

topt_status topt_dense_s8w4__dsp(const topt_dense_params* p, const int8_t* input, const uint8_t* filter,
                                 const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S8);
  const topt_channel_quant* q = &p->quant;
  const int32_t k = p->in_features, outs = p->out_features;
  topt_dsp_gemm_work work;
  int8_t* weights; /* (TOPT_DSP_W4_CHANNELS, k) */
  int32_t c0, b;
  if (st != TOPT_OK) return st;
  if (!topt_dense_s8w4__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  work = topt_dsp_gemm_setup(scratch, k, outs, bias, q);
  weights = (int8_t*)scratch + topt_dsp_gemm_bytes(k, outs);
  for (c0 = 0; c0 < outs; c0 += TOPT_DSP_W4_CHANNELS) {
    const int32_t n = outs - c0 < TOPT_DSP_W4_CHANNELS ? outs - c0 : TOPT_DSP_W4_CHANNELS;
    topt_dsp_unpack_int4(filter, c0 * k, n * k, weights);
    for (b = 0; b < p->batches; b += TOPT_DSP_ROWS) {
      const int32_t rows = p->batches - b < TOPT_DSP_ROWS ? p->batches - b : TOPT_DSP_ROWS;
      topt_dsp_widen(input + b * k, rows, k, k, q->input_zero_point, work.rows);
      topt_dsp_gemm_s8(&work, rows, weights, k, c0, n, q, output + b * outs + c0, outs);
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_dense_s8w4__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
