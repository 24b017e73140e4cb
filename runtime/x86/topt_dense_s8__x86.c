/* topt_dense_s8__x86.c: AVX2 int8 fully-connected layer, bit-exact to topt_dense_s8__ref.
 *
 * Batch rows are widened to int16 (minus the zero point) in scratch and multiplied with the (O, I) weights
 * by topt_x86_gemm_s8; a batch of one runs the gemm's single-row path.
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

#define ROWS_PER_BLOCK 32

int topt_dense_s8__x86_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8__x86_scratch_bytes(const topt_dense_params* p) {
  if (!topt_dense_s8__x86_supports(p)) return 0;
  return 32 + (size_t)p->out_features * 16 * sizeof(int16_t) +
         (size_t)ROWS_PER_BLOCK * (size_t)topt_x86_round_up(p->in_features, 16) * sizeof(int16_t);
}

topt_status topt_dense_s8__x86(const topt_dense_params* p, const int8_t* input, const int8_t* filter,
                               const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S8);
  int32_t k, k_padded, b0, r;
  int16_t* w_tail;
  int16_t* rows;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k = p->in_features;
  k_padded = topt_x86_round_up(k, 16);
  w_tail = (int16_t*)topt_x86_align32(scratch);
  rows = w_tail + p->out_features * 16;
  if (k % 16 != 0) topt_x86_gemm_tail(filter, k, p->out_features, w_tail);
  for (b0 = 0; b0 < p->batches; b0 += ROWS_PER_BLOCK) {
    const int32_t count = p->batches - b0 < ROWS_PER_BLOCK ? p->batches - b0 : ROWS_PER_BLOCK;
    for (r = 0; r < count; ++r)
      topt_x86_widen_s8(input + (b0 + r) * k, k, p->quant.input_zero_point, rows + r * k_padded, k_padded);
    topt_x86_gemm_s8(rows, count, k_padded, filter, w_tail, k, p->out_features, bias, &p->quant,
                     output + b0 * p->out_features, p->out_features);
  }
  return TOPT_OK;
}

#else
typedef int topt_dense_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
