/* topt_conv2d_s8w4__dsp.c: Cortex-M DSP 2-D convolution with int8 activations and int4 weights (every
 * shape), bit-exact to topt_conv2d_s8w4__ref.
 *
 * Output channels go in blocks of TOPT_DSP_W4_CHANNELS: the block's packed weights are unpacked to int8 in
 * scratch once (one SBFX per weight), then every TOPT_DSP_ROWS pixels are gathered (im2col, or the input itself for a
 * pointwise conv), widened and multiplied by topt_dsp_gemm_s8 as in topt_conv2d_s8__dsp. The gather is
 * repeated per block; its cost is spread over the block's 16 channels.
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_conv2d_s8w4__dsp_supports(p) and
 * topt_conv2d_s8w4__dsp_scratch_bytes(p) (the matrix product's working memory, im2col
 * rows, the unpacked weights).
 */
#if defined(__ARM_FEATURE_DSP)

#include "tinyopt_rt_window.h"
#include "topt_dsp_internal.h"

topt_status topt_conv2d_s8w4__dsp(const topt_conv2d_params* p, const int8_t* input, const uint8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  int32_t k, cout, per_image, pixels, c0, px, r, pointwise;
  topt_dsp_gemm_work work;
  int8_t* rows;    /* (TOPT_DSP_ROWS, k) int8 im2col rows */
  int8_t* weights; /* (TOPT_DSP_W4_CHANNELS, k) unpacked */
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_s8w4__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k = w->kernel_h * w->kernel_w * w->input.c;
  cout = w->output.c;
  work = topt_dsp_gemm_setup(scratch, k, cout, bias, q);
  rows = (int8_t*)scratch + topt_dsp_gemm_bytes(k, cout);
  weights = rows + TOPT_DSP_ROWS * k;
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  pointwise = topt_conv2d_is_pointwise(p);
  for (c0 = 0; c0 < cout; c0 += TOPT_DSP_W4_CHANNELS) {
    const int32_t n = cout - c0 < TOPT_DSP_W4_CHANNELS ? cout - c0 : TOPT_DSP_W4_CHANNELS;
    topt_dsp_unpack_int4(filter, c0 * k, n * k, weights);
    for (px = 0; px < pixels; px += TOPT_DSP_ROWS) {
      const int32_t count = pixels - px < TOPT_DSP_ROWS ? pixels - px : TOPT_DSP_ROWS;
      const int8_t* first = input + px * k; /* pointwise: the pixels themselves */
      if (!pointwise) {
        for (r = 0; r < count; ++r)
          topt_window_im2col_s8(w, input, (px + r) / per_image, ((px + r) % per_image) / w->output.w,
                                (px + r) % w->output.w, (int8_t)q->input_zero_point, rows + r * k);
        first = rows;
      }
      topt_dsp_widen(first, count, k, k, q->input_zero_point, work.rows);
      topt_dsp_gemm_s8(&work, count, weights, k, c0, n, q, output + px * cout + c0, cout);
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_s8w4__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
