/* topt_dense_s16__ref.c: reference fully-connected layer with int16 activations (zero point 0), int8
 * weights, int64 bias and accumulator (docs/numerics.md section 4). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_dense_s16__ref_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S16) == TOPT_OK;
}

size_t topt_dense_s16__ref_scratch_bytes(const topt_dense_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dense_s16__ref(const topt_dense_params* p, const int16_t* input, const int8_t* filter,
                                const int64_t* bias, int16_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S16);
  const topt_channel_quant* q;
  int32_t b, o, i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  q = &p->quant;
  for (b = 0; b < p->batches; ++b) {
    const int16_t* in = input + b * p->in_features; /* (I) */
    for (o = 0; o < p->out_features; ++o) {
      const int8_t* f = filter + o * p->in_features; /* (I) */
      int64_t acc = 0;
      for (i = 0; i < p->in_features; ++i) acc += (int64_t)(in[i] * f[i]);
      if (bias != NULL) acc += bias[o];
      output[b * p->out_features + o] =
          (int16_t)topt_clamp64(topt_requantize64(acc, q->multiplier[o], q->shift[o]), q->act_min, q->act_max);
    }
  }
  return TOPT_OK;
}
