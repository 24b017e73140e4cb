/* topt_conv2d_s8__neon.c: aarch64 NEON int8 2-D convolution for every shape (stride, padding, dilation),
 * bit-exact to topt_conv2d_s8__ref.
 *
 * Blocks of TOPT_NEON_IM2COL_ROWS output pixels are gathered into int8 im2col rows (padding = z_in, which
 * contributes 0), then topt_neon_gemm_s8 multiplies them with the OHWI filter, whose rows are already in
 * im2col order (ky, kx, ic). Scratch: effective bias [C_out] int32, then the im2col rows.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_conv2d_s8__neon_supports(p) and
 * topt_conv2d_s8__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "tinyopt_rt_window.h"
#include "topt_neon_internal.h"

topt_status topt_conv2d_s8__neon(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                 const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_window2d* w = &p->win;
  int32_t k, per_image, pixels, px0, r;
  int32_t* bias_eff; /* [C_out] */
  int8_t* rows;      /* (TOPT_NEON_IM2COL_ROWS, k) */
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_s8__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k = w->kernel_h * w->kernel_w * w->input.c;
  bias_eff = (int32_t*)scratch;
  rows = (int8_t*)scratch + (size_t)w->output.c * sizeof(int32_t);
  topt_neon_effective_bias(filter, k, w->output.c, bias, p->quant.input_zero_point, bias_eff);
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  for (px0 = 0; px0 < pixels; px0 += TOPT_NEON_IM2COL_ROWS) {
    const int32_t count = pixels - px0 < TOPT_NEON_IM2COL_ROWS ? pixels - px0 : TOPT_NEON_IM2COL_ROWS;
    for (r = 0; r < count; ++r) {
      const int32_t px = px0 + r;
      topt_window_im2col_s8(w, input, px / per_image, (px % per_image) / w->output.w, px % w->output.w,
                            (int8_t)p->quant.input_zero_point, rows + r * k);
    }
    topt_neon_gemm_s8(rows, count, k, filter, k, w->output.c, bias_eff, p->quant.multiplier, p->quant.shift, &p->quant,
                      output + px0 * w->output.c, w->output.c);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_s8__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
