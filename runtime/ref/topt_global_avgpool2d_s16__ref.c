/* topt_global_avgpool2d_s16__ref.c: reference int16 global average pooling, (N, H, W, C) -> (N, 1, 1, C),
 * zero points 0: q_out = clamp(requantize(sum(q), M, shift)) with (M, shift) = qm(s_in / (s_out * H * W)),
 * as the int8 kernel (docs/numerics.md section 5); H * W * 32768 < 2^31 keeps the sum in int32.
 * Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static topt_status check(const topt_global_pool_params* p) {
  const topt_dims* d;
  if (p == NULL) return TOPT_ERR_NULL;
  d = &p->input;
  if (d->n < 1 || d->h < 1 || d->w < 1 || d->c < 1) return TOPT_ERR_SHAPE;
  if ((int64_t)d->n * d->h * d->w * d->c > INT32_MAX) return TOPT_ERR_SHAPE;
  if ((int64_t)d->h * d->w * 32768 > INT32_MAX) return TOPT_ERR_SHAPE;
  if (p->input_zero_point != 0 || p->output_zero_point != 0) return TOPT_ERR_QUANT;
  if (p->requant.multiplier < 0 || p->requant.shift < -31 || p->requant.shift > 30) return TOPT_ERR_QUANT;
  if (p->act_min < -32768 || p->act_min > p->act_max || p->act_max > 32767) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_global_avgpool2d_s16__ref_supports(const topt_global_pool_params* p) { return check(p) == TOPT_OK; }

size_t topt_global_avgpool2d_s16__ref_scratch_bytes(const topt_global_pool_params* p) {
  (void)p;
  return 0;
}

topt_status topt_global_avgpool2d_s16__ref(const topt_global_pool_params* p, const int16_t* input, int16_t* output,
                                           void* scratch) {
  const topt_status st = check(p);
  int32_t b, c, i, hw;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  hw = p->input.h * p->input.w;
  for (b = 0; b < p->input.n; ++b) {
    const int16_t* in = input + b * hw * p->input.c; /* (H*W, C) */
    for (c = 0; c < p->input.c; ++c) {
      int32_t acc = 0;
      for (i = 0; i < hw; ++i) acc += in[i * p->input.c + c];
      output[b * p->input.c + c] = (int16_t)topt_clamp32(
          topt_requantize(acc, p->requant.multiplier, p->requant.shift), p->act_min, p->act_max);
    }
  }
  return TOPT_OK;
}
