/* topt_conv2d_1x1_s8__ref.c: reference int8 pointwise (1x1, stride 1, no padding) convolution.
 *
 * A pointwise conv over NHWC is a matrix product: every pixel is a row of C_in values, every filter a row
 * of C_in weights. This plain C form is the model the DSP/NEON pointwise kernels follow; it is bit-exact to
 * topt_conv2d_s8__ref on the parameters it supports (same sums, same output stage). Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

int topt_conv2d_1x1_s8__ref_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && topt_conv2d_is_pointwise(p);
}

size_t topt_conv2d_1x1_s8__ref_scratch_bytes(const topt_conv2d_params* p) {
  (void)p;
  return 0;
}

topt_status topt_conv2d_1x1_s8__ref(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                    const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_channel_quant* q;
  int32_t pixels, cin, cout, px, oc, ic;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_is_pointwise(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  q = &p->quant;
  pixels = p->win.input.n * p->win.input.h * p->win.input.w;
  cin = p->win.input.c;
  cout = p->win.output.c;
  for (px = 0; px < pixels; ++px) {
    const int8_t* in = input + px * cin; /* (C_in) */
    int8_t* out = output + px * cout;    /* (C_out) */
    for (oc = 0; oc < cout; ++oc) {
      const int8_t* f = filter + oc * cin; /* (C_in) */
      int32_t acc = bias != NULL ? bias[oc] : 0;
      for (ic = 0; ic < cin; ++ic) acc += (in[ic] - q->input_zero_point) * f[ic];
      out[oc] = topt_output_s8(acc, q->multiplier[oc], q->shift[oc], q->output_zero_point, q->act_min, q->act_max);
    }
  }
  return TOPT_OK;
}
