/* topt_conv2d_s8__x86.c: AVX2 int8 2-D convolution for every shape (stride, padding, dilation), bit-exact to
 * topt_conv2d_s8__ref.
 *
 * Blocks of output pixels are unrolled into im2col rows in scratch (int16, input minus zero point, padded
 * taps as 0, which is what the reference's skipped taps contribute), then topt_x86_gemm_s8 multiplies them
 * with the OHWI filter, whose rows are exactly the im2col order (ky, kx, ic).
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

#define ROWS_PER_BLOCK 16

static int32_t k_of(const topt_conv2d_params* p) { return p->win.kernel_h * p->win.kernel_w * p->win.input.c; }

int topt_conv2d_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_conv2d_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  int32_t k;
  if (topt_conv2d_params_check(p, TOPT_ACT_S8) != TOPT_OK) return 0;
  k = k_of(p);
  return 32 + (size_t)p->win.output.c * 16 * sizeof(int16_t) +
         (size_t)ROWS_PER_BLOCK * (size_t)topt_x86_round_up(k, 16) * sizeof(int16_t);
}

/* One im2col row: the (kernel_h, kernel_w, C_in) window of output pixel (b, oy, ox), zero-filled to k_padded. */
static void im2col_row(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b, int32_t oy,
                       int32_t ox, int16_t* row, int32_t k_padded) {
  int16_t* dst = row;
  int32_t ky, kx;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dilation_h;
    for (kx = 0; kx < w->kernel_w; ++kx) {
      const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dilation_w;
      if (iy >= 0 && iy < w->input.h && ix >= 0 && ix < w->input.w) {
        topt_x86_widen_s8(input + ((b * w->input.h + iy) * w->input.w + ix) * w->input.c, w->input.c, zero_point,
                          dst, w->input.c);
      } else {
        memset(dst, 0, (size_t)w->input.c * sizeof(int16_t));
      }
      dst += w->input.c;
    }
  }
  memset(dst, 0, (size_t)(k_padded - (dst - row)) * sizeof(int16_t));
}

topt_status topt_conv2d_s8__x86(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_window2d* w;
  int32_t k, k_padded, pixels, per_image, px0, r;
  int16_t* w_tail;
  int16_t* rows;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  k = k_of(p);
  k_padded = topt_x86_round_up(k, 16);
  w_tail = (int16_t*)topt_x86_align32(scratch);
  rows = w_tail + w->output.c * 16;
  if (k % 16 != 0) topt_x86_gemm_tail(filter, k, w->output.c, w_tail);
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  for (px0 = 0; px0 < pixels; px0 += ROWS_PER_BLOCK) {
    const int32_t count = pixels - px0 < ROWS_PER_BLOCK ? pixels - px0 : ROWS_PER_BLOCK;
    for (r = 0; r < count; ++r) {
      const int32_t px = px0 + r;
      const int32_t b = px / per_image, oy = (px % per_image) / w->output.w, ox = px % w->output.w;
      im2col_row(w, p->quant.input_zero_point, input, b, oy, ox, rows + r * k_padded, k_padded);
    }
    topt_x86_gemm_s8(rows, count, k_padded, filter, w_tail, k, w->output.c, bias, &p->quant,
                     output + px0 * w->output.c, w->output.c);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
