/* topt_dense_s8w4__neon.c: aarch64 NEON fully-connected layer with int4 weights, bit-exact to
 * topt_dense_s8w4__ref: blocks of TOPT_NEON_W4_CHANNELS weight rows are unpacked to int8 in scratch, then
 * every batch row runs through topt_neon_gemm_s8. Scratch: effective bias [out_features] int32, then the
 * unpacked block (TOPT_NEON_W4_CHANNELS, in_features) int8.
 * Companions in topt_neon_shapes.c (compiled by the host too): topt_dense_s8w4__neon_supports(p) and
 * topt_dense_s8w4__neon_scratch_bytes(p).
 */
#if defined(__ARM_NEON)

#include "topt_neon_internal.h"

topt_status topt_dense_s8w4__neon(const topt_dense_params* p, const int8_t* input, const uint8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S8);
  const topt_channel_quant* q = &p->quant;
  const int32_t k = p->in_features, outs = p->out_features;
  int32_t* bias_eff = (int32_t*)scratch;                             /* [out_features] */
  int8_t* block = (int8_t*)scratch + (size_t)outs * sizeof(int32_t); /* (TOPT_NEON_W4_CHANNELS, k) */
  int32_t c0;
  if (st != TOPT_OK) return st;
  if (!topt_dense_s8w4__neon_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  for (c0 = 0; c0 < outs; c0 += TOPT_NEON_W4_CHANNELS) {
    const int32_t n = outs - c0 < TOPT_NEON_W4_CHANNELS ? outs - c0 : TOPT_NEON_W4_CHANNELS;
    topt_neon_unpack_int4(filter, c0 * k, n * k, block);
    topt_neon_effective_bias(block, k, n, bias != NULL ? bias + c0 : NULL, q->input_zero_point, bias_eff + c0);
    topt_neon_gemm_s8(input, p->batches, k, block, k, n, bias_eff + c0, q->multiplier + c0, q->shift + c0, q,
                      output + c0, outs);
  }
  return TOPT_OK;
}

#else
typedef int topt_dense_s8w4__neon_requires_neon; /* keeps the translation unit non-empty */
#endif
