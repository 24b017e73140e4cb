/* topt_conv2d_s8__dsp.c: Cortex-M DSP (SMLAD) int8 2-D convolution for every shape (stride, padding,
 * dilation), bit-exact to topt_conv2d_s8__ref.
 *
 * TOPT_DSP_ROWS output pixels at a time: their windows are gathered into pair-ordered int16 rows (x - z_in;
 * padding 0) — tap by tap straight from the input when C_in % 4 == 0, else through int8 im2col rows
 * (padding = z_in, which contributes 0) — and topt_dsp_gemm_s8 runs 2 output channels x
 * 2 pixels per step over the OHWI filter rows, which are already in im2col order (ky, kx, ic).
 * Companions in topt_dsp_shapes.c (compiled by the host too): topt_conv2d_s8__dsp_supports(p) and
 * topt_conv2d_s8__dsp_scratch_bytes(p) (the matrix product's working memory, then int8 im2col rows).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

/* Activation row r of `count` (topt_dsp_widen's layout) for output pixel px, widened tap by tap straight
 * from the input (C_in % 4 == 0). */
static void im2col_widen(const topt_window2d* w, const int8_t* input, int32_t px, int32_t per_image, int32_t neg_zp2,
                         int32_t count, int32_t r, int16_t* rows) {
  const int32_t k = w->kernel_h * w->kernel_w * w->input.c;
  const int32_t first = r & ~1, step = first + 1 < count ? 4 : 2; /* 2-row block or a last 1-row block */
  topt_dsp_window_widen(w, input, px / per_image, (px % per_image) / w->output.w, px % w->output.w, neg_zp2,
                        (uint32_t*)(void*)(rows + first * k) + 2 * (r & 1), step);
}

topt_status topt_conv2d_s8__dsp(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_window2d* w = &p->win;
  const int8_t pad = (int8_t)p->quant.input_zero_point;
  const int32_t neg_zp2 = topt_dsp_neg_zp2(p->quant.input_zero_point);
  int32_t k, per_image, pixels, px, r;
  int8_t* staging; /* (TOPT_DSP_ROWS, k) int8 im2col rows, when C_in % 4 != 0 */
  topt_dsp_gemm_work work;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_s8__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k = w->kernel_h * w->kernel_w * w->input.c;
  work = topt_dsp_gemm_setup(scratch, k, w->output.c, bias, &p->quant);
  staging = (int8_t*)scratch + topt_dsp_gemm_bytes(k, w->output.c);
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  for (px = 0; px < pixels; px += TOPT_DSP_ROWS) {
    const int32_t count = pixels - px < TOPT_DSP_ROWS ? pixels - px : TOPT_DSP_ROWS;
    if (w->input.c % 4 == 0) {
      for (r = 0; r < count; ++r) im2col_widen(w, input, px + r, per_image, neg_zp2, count, r, work.rows);
    } else {
      for (r = 0; r < count; ++r)
        topt_window_im2col_s8(w, input, (px + r) / per_image, ((px + r) % per_image) / w->output.w,
                              (px + r) % w->output.w, pad, staging + r * k);
      topt_dsp_widen(staging, count, k, k, p->quant.input_zero_point, work.rows);
    }
    topt_dsp_gemm_s8(&work, count, filter, k, 0, w->output.c, &p->quant, output + px * w->output.c, w->output.c);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_s8__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
