/* topt_conv2d_s8__x86.c: AVX2 int8 2-D convolution for every shape (stride, padding, dilation), bit-exact to
 * topt_conv2d_s8__ref.
 *
 * Blocks of output pixels are unrolled into im2col rows in scratch (int16, input minus zero point, padded
 * taps as 0, which is what the reference's skipped taps contribute), then topt_x86_gemm_packed_s8
 * multiplies them with the filter, packed once per call; the OHWI filter rows are exactly in im2col order
 * (ky, kx, ic).
 */
#if defined(__AVX2__)

#include "tinyopt_rt_window.h"
#include "topt_x86_internal.h"

#define ROWS_PER_BLOCK 32

static int32_t k_of(const topt_conv2d_params* p) { return p->win.kernel_h * p->win.kernel_w * p->win.input.c; }

int topt_conv2d_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_conv2d_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  int32_t k;
  if (topt_conv2d_params_check(p, TOPT_ACT_S8) != TOPT_OK) return 0;
  k = k_of(p);
  return topt_x86_packed_bytes(k, p->win.output.c) + 32 +
         (size_t)ROWS_PER_BLOCK * (size_t)topt_x86_round_up(k, 2) * sizeof(int16_t);
}

/* One im2col row: the (kernel_h, kernel_w, C_in) window of output pixel (b, oy, ox), zero-filled to k_padded. */
static void im2col_row(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b, int32_t oy,
                       int32_t ox, int16_t* row, int32_t k_padded) {
  int16_t* dst = row;
  int32_t ky, kx;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    for (kx = 0; kx < w->kernel_w; ++kx) {
      const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
      if (in0 >= 0)
        topt_x86_widen_s8(input + in0, w->input.c, zero_point, dst, w->input.c);
      else
        memset(dst, 0, (size_t)w->input.c * sizeof(int16_t));
      dst += w->input.c;
    }
  }
  memset(dst, 0, (size_t)(k_padded - (dst - row)) * sizeof(int16_t));
}

topt_status topt_conv2d_s8__x86(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_window2d* w;
  topt_x86_packed_s8 pk;
  int32_t k, pixels, per_image, px0, r;
  int16_t* rows;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  k = k_of(p);
  topt_x86_pack_s8(filter, k, w->output.c, bias, &p->quant, scratch, &pk);
  rows = (int16_t*)topt_x86_align32((char*)scratch + topt_x86_packed_bytes(k, w->output.c));
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  for (px0 = 0; px0 < pixels; px0 += ROWS_PER_BLOCK) {
    const int32_t count = pixels - px0 < ROWS_PER_BLOCK ? pixels - px0 : ROWS_PER_BLOCK;
    for (r = 0; r < count; ++r) {
      const int32_t px = px0 + r;
      const int32_t b = px / per_image, oy = (px % per_image) / w->output.w, ox = px % w->output.w;
      im2col_row(w, p->quant.input_zero_point, input, b, oy, ox, rows + r * pk.k2, pk.k2);
    }
    topt_x86_gemm_packed_s8(&pk, rows, count, output + px0 * w->output.c, w->output.c);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
