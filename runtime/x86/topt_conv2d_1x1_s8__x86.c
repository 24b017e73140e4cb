/* topt_conv2d_1x1_s8__x86.c: AVX2 int8 pointwise (1x1, stride 1, no padding) convolution, bit-exact to
 * topt_conv2d_s8__ref on the shapes topt_conv2d_is_pointwise() accepts.
 *
 * Pixels are the rows of a matrix product: each block of pixel rows is widened to int16 (minus the zero
 * point) in scratch and handed to topt_x86_gemm_s8; no window walk, no im2col.
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

#define ROWS_PER_BLOCK 32

int topt_conv2d_1x1_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && topt_conv2d_is_pointwise(p);
}

size_t topt_conv2d_1x1_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_1x1_s8__x86_supports(p)) return 0;
  return 32 + (size_t)p->win.output.c * 16 * sizeof(int16_t) +
         (size_t)ROWS_PER_BLOCK * (size_t)topt_x86_round_up(p->win.input.c, 16) * sizeof(int16_t);
}

topt_status topt_conv2d_1x1_s8__x86(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                    const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  int32_t cin, cout, k_padded, pixels, px0, r;
  int16_t* w_tail;
  int16_t* rows;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_is_pointwise(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  cin = p->win.input.c;
  cout = p->win.output.c;
  k_padded = topt_x86_round_up(cin, 16);
  w_tail = (int16_t*)topt_x86_align32(scratch);
  rows = w_tail + cout * 16;
  if (cin % 16 != 0) topt_x86_gemm_tail(filter, cin, cout, w_tail);
  pixels = p->win.input.n * p->win.input.h * p->win.input.w;
  for (px0 = 0; px0 < pixels; px0 += ROWS_PER_BLOCK) {
    const int32_t count = pixels - px0 < ROWS_PER_BLOCK ? pixels - px0 : ROWS_PER_BLOCK;
    for (r = 0; r < count; ++r)
      topt_x86_widen_s8(input + (px0 + r) * cin, cin, p->quant.input_zero_point, rows + r * k_padded, k_padded);
    topt_x86_gemm_s8(rows, count, k_padded, filter, w_tail, cin, cout, bias, &p->quant, output + px0 * cout, cout);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_1x1_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
