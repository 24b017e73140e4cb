/* topt_conv2d_s8w4__neon.c: aarch64 NEON 2-D convolution with int8 activations and int4 weights (every
 * shape), bit-exact to topt_conv2d_s8w4__ref.
 *
 * Output channels go in blocks of TOPT_NEON_W4_CHANNELS: the block's packed weights are unpacked to int8
 * in scratch (shift pairs + zip, topt_neon_unpack_int4) once, then every pixel runs through
 * topt_neon_gemm_s8 with that block — on the input directly for a pointwise conv, else on im2col rows
 * (gathered again per block; their cost is spread over the block's 16 channels). Scratch: effective bias
 * [C_out] int32, im2col rows, the unpacked block (TOPT_NEON_W4_CHANNELS, k) int8.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_conv2d_s8w4__neon_supports(p) and
 * topt_conv2d_s8w4__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "tinyopt_rt_window.h"
#include "topt_neon_internal.h"

topt_status topt_conv2d_s8w4__neon(const topt_conv2d_params* p, const int8_t* input, const uint8_t* filter,
                                   const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  int32_t k, per_image, pixels, c0, px0, r, cout;
  int32_t* bias_eff; /* [C_out] */
  int8_t* rows;      /* (TOPT_NEON_IM2COL_ROWS, k) */
  int8_t* block;     /* (TOPT_NEON_W4_CHANNELS, k) */
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_s8w4__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k = w->kernel_h * w->kernel_w * w->input.c;
  cout = w->output.c;
  bias_eff = (int32_t*)scratch;
  rows = (int8_t*)scratch + (size_t)cout * sizeof(int32_t);
  block = rows + topt_neon_align4((size_t)TOPT_NEON_IM2COL_ROWS * (size_t)k);
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  for (c0 = 0; c0 < cout; c0 += TOPT_NEON_W4_CHANNELS) {
    const int32_t n = cout - c0 < TOPT_NEON_W4_CHANNELS ? cout - c0 : TOPT_NEON_W4_CHANNELS;
    topt_neon_unpack_int4(filter, c0 * k, n * k, block);
    topt_neon_effective_bias(block, k, n, bias != NULL ? bias + c0 : NULL, q->input_zero_point, bias_eff + c0);
    if (topt_conv2d_is_pointwise(p)) {
      topt_neon_gemm_s8(input, pixels, k, block, k, n, bias_eff + c0, q->multiplier + c0, q->shift + c0, q, output + c0,
                        cout);
      continue;
    }
    for (px0 = 0; px0 < pixels; px0 += TOPT_NEON_IM2COL_ROWS) {
      const int32_t count = pixels - px0 < TOPT_NEON_IM2COL_ROWS ? pixels - px0 : TOPT_NEON_IM2COL_ROWS;
      for (r = 0; r < count; ++r) {
        const int32_t px = px0 + r;
        topt_window_im2col_s8(w, input, px / per_image, (px % per_image) / w->output.w, px % w->output.w,
                              (int8_t)q->input_zero_point, rows + r * k);
      }
      topt_neon_gemm_s8(rows, count, k, block, k, n, bias_eff + c0, q->multiplier + c0, q->shift + c0, q,
                        output + px0 * cout + c0, cout);
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_s8w4__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
