/* topt_dense_s8w4__ref.c: reference fully-connected layer with int8 activations and int4 weights.
 *
 * Identical to topt_dense_s8__ref except that weight w[o, i] is element o*I + i of the packed int4 array
 * (low nibble first, rows not padded; docs/numerics.md section 6). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_dense_s8w4__ref_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8w4__ref_scratch_bytes(const topt_dense_params* p) {
  (void)p;
  return 0;
}

topt_status topt_dense_s8w4__ref(const topt_dense_params* p, const int8_t* input, const uint8_t* filter,
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
      const int32_t f0 = o * p->in_features; /* flat index of w[o, 0] */
      int32_t acc = 0;
      for (i = 0; i < p->in_features; ++i) acc += (in[i] - q->input_zero_point) * topt_int4_at(filter, f0 + i);
      if (bias != NULL) acc += bias[o];
      output[b * p->out_features + o] =
          topt_output_s8(acc, q->multiplier[o], q->shift[o], q->output_zero_point, q->act_min, q->act_max);
    }
  }
  return TOPT_OK;
}
