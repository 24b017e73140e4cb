/* topt_quantize_multiplier.c: setup-time helpers that turn float scales into the fixed-point parameters
 * of docs/numerics.md (sections 2.4, 5, 7, 8): topt_quantize_multiplier, topt_add_prepare(_s16),
 * topt_hardswish_prepare, topt_softmax_prepare.
 *
 * They run once per layer on the host (quantizer, executor set-up, codegen) or in a device's own setup
 * code. They use double arithmetic but no libm (frexp/round are replaced by exact power-of-two scaling),
 * so the results are the same everywhere. Not used in any kernel's hot path.
 */
#include "tinyopt_rt.h"

#define TOPT_DBL_MAX 1.7976931348623157e308

static int finite_positive(double v) { return v > 0.0 && v <= TOPT_DBL_MAX; }

/* round_half_away for 0 <= v < 2^62 */
static int64_t round_nonnegative(double v) {
  int64_t t = (int64_t)v;
  if (v - (double)t >= 0.5) ++t;
  return t;
}

topt_status topt_quantize_multiplier(double real, int32_t* multiplier, int32_t* shift) {
  double f = real;
  int32_t e = 0;
  int64_t m;
  if (multiplier == NULL || shift == NULL) return TOPT_ERR_NULL;
  if (!(real >= 0.0) || real > TOPT_DBL_MAX) return TOPT_ERR_QUANT; /* negative, NaN, inf */
  if (real == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return TOPT_OK;
  }
  /* real = f * 2^e with f in [0.5, 1); each step is exact in binary floating point */
  while (f >= 1.0) {
    f *= 0.5;
    ++e;
  }
  while (f < 0.5) {
    f *= 2.0;
    --e;
  }
  m = round_nonnegative(f * 2147483648.0); /* f * 2^31 is exact, < 2^31 */
  if (m == ((int64_t)1 << 31)) {
    m /= 2;
    ++e;
  }
  if (e < -31) {
    *multiplier = 0;
    *shift = 0;
    return TOPT_OK;
  }
  if (e > 30) return TOPT_ERR_QUANT;
  *multiplier = (int32_t)m;
  *shift = e;
  return TOPT_OK;
}

static int zp_ok(int32_t z) { return z >= -128 && z <= 127; }

/* The three multipliers of an add (docs/numerics.md section 5) for a given left shift. */
static topt_status add_multipliers(double input1_scale, double input2_scale, double output_scale, int32_t left_shift,
                                   topt_add_params* p) {
  const double twice_max = 2.0 * (input1_scale > input2_scale ? input1_scale : input2_scale);
  topt_status st;
  p->left_shift = left_shift;
  st = topt_quantize_multiplier(input1_scale / twice_max, &p->input1.multiplier, &p->input1.shift);
  if (st == TOPT_OK) st = topt_quantize_multiplier(input2_scale / twice_max, &p->input2.multiplier, &p->input2.shift);
  if (st == TOPT_OK)
    st = topt_quantize_multiplier(twice_max / ((double)((int32_t)1 << left_shift) * output_scale), &p->output.multiplier,
                                  &p->output.shift);
  return st;
}

topt_status topt_add_prepare(double input1_scale, int32_t input1_zero_point, double input2_scale,
                             int32_t input2_zero_point, double output_scale, int32_t output_zero_point,
                             topt_add_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (!finite_positive(input1_scale) || !finite_positive(input2_scale) || !finite_positive(output_scale))
    return TOPT_ERR_QUANT;
  if (!zp_ok(input1_zero_point) || !zp_ok(input2_zero_point) || !zp_ok(output_zero_point)) return TOPT_ERR_QUANT;
  p->input1_zero_point = input1_zero_point;
  p->input2_zero_point = input2_zero_point;
  p->output_zero_point = output_zero_point;
  p->act_min = -128;
  p->act_max = 127;
  return add_multipliers(input1_scale, input2_scale, output_scale, 20, p);
}

topt_status topt_add_prepare_s16(double input1_scale, double input2_scale, double output_scale, topt_add_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (!finite_positive(input1_scale) || !finite_positive(input2_scale) || !finite_positive(output_scale))
    return TOPT_ERR_QUANT;
  p->input1_zero_point = p->input2_zero_point = p->output_zero_point = 0;
  p->act_min = -32768;
  p->act_max = 32767;
  return add_multipliers(input1_scale, input2_scale, output_scale, 15, p);
}

topt_status topt_hardswish_prepare(double input_scale, int32_t input_zero_point, double output_scale,
                                   int32_t output_zero_point, topt_hardswish_params* p) {
  double three_real;
  if (p == NULL) return TOPT_ERR_NULL;
  if (!finite_positive(input_scale) || !finite_positive(output_scale)) return TOPT_ERR_QUANT;
  if (!zp_ok(input_zero_point) || !zp_ok(output_zero_point)) return TOPT_ERR_QUANT;
  three_real = 3.0 / input_scale;
  if (!(three_real <= (double)(1 << 22))) return TOPT_ERR_QUANT;
  p->three = (int32_t)round_nonnegative(three_real);
  if (p->three < 1) return TOPT_ERR_QUANT;
  p->six = 2 * p->three;
  p->input_zero_point = input_zero_point;
  p->output_zero_point = output_zero_point;
  return topt_quantize_multiplier(input_scale / (output_scale * p->six), &p->requant.multiplier, &p->requant.shift);
}

topt_status topt_softmax_prepare(double beta, double input_scale, topt_softmax_params* p) {
  double real;
  topt_status st;
  if (p == NULL) return TOPT_ERR_NULL;
  if (!finite_positive(beta) || !finite_positive(input_scale)) return TOPT_ERR_QUANT;
  /* TFLite PreprocessSoftmaxScaling with 5 integer bits: beta * s_in in Q5.26, capped at 2^31 - 1 */
  real = beta * input_scale * 67108864.0;
  if (real > 2147483647.0) real = 2147483647.0;
  st = topt_quantize_multiplier(real, &p->input_beta_multiplier, &p->input_beta_left_shift);
  if (st != TOPT_OK) return st;
  if (p->input_beta_left_shift < 0) return TOPT_ERR_QUANT; /* beta * s_in below 2^-27: nothing to resolve */
  /* CalculateInputRadius(5, left, 31): the largest |diff| whose scaled value fits Q5.26 */
  p->diff_min = -(int32_t)(31.0 * 67108864.0 / (double)((int64_t)1 << p->input_beta_left_shift));
  return TOPT_OK;
}
