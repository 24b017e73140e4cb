/* topt_conv2d_1x1_s8__x86.c: AVX2 int8 pointwise (1x1, stride 1, no padding) convolution, bit-exact to
 * topt_conv2d_s8__ref on the shapes topt_conv2d_is_pointwise() accepts.
 *
 * Pixels are the rows of a matrix product with the packed filter (topt_x86_gemm_packed_s8): blocks of
 * pixel rows are widened to int16 (minus the zero point) in scratch; no window walk, no im2col.
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

#define ROWS_PER_BLOCK 64

int topt_conv2d_1x1_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && topt_conv2d_is_pointwise(p);
}

size_t topt_conv2d_1x1_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_1x1_s8__x86_supports(p)) return 0;
  return topt_x86_packed_bytes(p->win.input.c, p->win.output.c) + 32 +
         (size_t)ROWS_PER_BLOCK * (size_t)topt_x86_round_up(p->win.input.c, 2) * sizeof(int16_t);
}

topt_status topt_conv2d_1x1_s8__x86(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                    const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  topt_x86_packed_s8 pk;
  int32_t cin, cout, pixels, px0, r;
  int16_t* rows;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_is_pointwise(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  cin = p->win.input.c;
  cout = p->win.output.c;
  topt_x86_pack_s8(filter, cin, cout, bias, &p->quant, scratch, &pk);
  rows = (int16_t*)topt_x86_align32((char*)scratch + topt_x86_packed_bytes(cin, cout));
  pixels = p->win.input.n * p->win.input.h * p->win.input.w;
  for (px0 = 0; px0 < pixels; px0 += ROWS_PER_BLOCK) {
    const int32_t count = pixels - px0 < ROWS_PER_BLOCK ? pixels - px0 : ROWS_PER_BLOCK;
    for (r = 0; r < count; ++r)
      topt_x86_widen_s8(input + (px0 + r) * cin, cin, p->quant.input_zero_point, rows + r * pk.k2, pk.k2);
    topt_x86_gemm_packed_s8(&pk, rows, count, output + px0 * cout, cout);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_1x1_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
