/* topt_global_avgpool2d_s8__ref.c: reference int8 global average pooling, (N, H, W, C) -> (N, 1, 1, C).
 *
 * The mean and any change of scale are one requantization: q_out = clamp(requantize(sum(q - z_in), M, shift)
 * + z_out) with (M, shift) = qm(s_in / (s_out * H * W)) (docs/numerics.md section 5). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static topt_status check(const topt_global_pool_params* p) {
  const topt_dims* d;
  if (p == NULL) return TOPT_ERR_NULL;
  d = &p->input;
  if (d->n < 1 || d->h < 1 || d->w < 1 || d->c < 1) return TOPT_ERR_SHAPE;
  if ((int64_t)d->n * d->h * d->w * d->c > INT32_MAX) return TOPT_ERR_SHAPE;
  if ((int64_t)d->h * d->w * 255 > INT32_MAX) return TOPT_ERR_SHAPE;
  if (p->input_zero_point < -128 || p->input_zero_point > 127) return TOPT_ERR_QUANT;
  if (p->output_zero_point < -128 || p->output_zero_point > 127) return TOPT_ERR_QUANT;
  if (p->requant.multiplier < 0 || p->requant.shift < -31 || p->requant.shift > 30) return TOPT_ERR_QUANT;
  if (p->act_min < -128 || p->act_min > p->act_max || p->act_max > 127) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_global_avgpool2d_s8__ref_supports(const topt_global_pool_params* p) { return check(p) == TOPT_OK; }

size_t topt_global_avgpool2d_s8__ref_scratch_bytes(const topt_global_pool_params* p) {
  (void)p;
  return 0;
}

topt_status topt_global_avgpool2d_s8__ref(const topt_global_pool_params* p, const int8_t* input, int8_t* output,
                                          void* scratch) {
  const topt_status st = check(p);
  int32_t b, c, i, hw;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  hw = p->input.h * p->input.w;
  for (b = 0; b < p->input.n; ++b) {
    const int8_t* in = input + b * hw * p->input.c; /* (H*W, C) */
    for (c = 0; c < p->input.c; ++c) {
      int32_t acc = 0;
      for (i = 0; i < hw; ++i) acc += in[i * p->input.c + c] - p->input_zero_point;
      output[b * p->input.c + c] =
          topt_output_s8(acc, p->requant.multiplier, p->requant.shift, p->output_zero_point, p->act_min, p->act_max);
    }
  }
  return TOPT_OK;
}
