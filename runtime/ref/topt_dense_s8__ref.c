/* topt_dense_s8__ref.c: reference int8 fully-connected layer (per-output-channel requantization).
 *
 * out[b, o] = clamp(requantize(bias[o] + sum_i (in[b, i] - z_in) * w[o, i]) + z_out), weights (O, I),
 * docs/numerics.md section 3. Every dense_s8 variant equals it byte for byte. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_dense_s8__ref_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8__ref_scratch_bytes(const topt_dense_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dense_s8__ref(const topt_dense_params* p, const int8_t* input, const int8_t* filter,
                               const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dense_params_check(p, TOPT_ACT_S8);
  const topt_channel_quant* q;
  int32_t b, o, i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  q = &p->quant;
  for (b = 0; b < p->batches; ++b) {
    const int8_t* in = input + b * p->in_features; /* (I) */
    for (o = 0; o < p->out_features; ++o) {
      const int8_t* f = filter + o * p->in_features; /* (I) */
      int32_t acc = 0;
      for (i = 0; i < p->in_features; ++i) acc += (in[i] - q->input_zero_point) * f[i];
      if (bias != NULL) acc += bias[o];
      output[b * p->out_features + o] =
          topt_output_s8(acc, q->multiplier[o], q->shift[o], q->output_zero_point, q->act_min, q->act_max);
    }
  }
  return TOPT_OK;
}
