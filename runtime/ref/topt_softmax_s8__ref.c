/* topt_softmax_s8__ref.c: reference int8 softmax over rows, output scale 1/256 and zero point -128.
 *
 * The algorithm is CMSIS-NN's arm_softmax_s8 (docs/numerics.md section 8): differences to the row maximum
 * are scaled to Q5.26 by the beta multiplier, exponentiated with gemmlowp's exp_on_negative_values,
 * summed with 12 accumulation bits, and normalized by gemmlowp's Newton-Raphson reciprocal. Both gemmlowp
 * functions are written out below with their constants. Integer only; needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

#define ACCUM_BITS 12

/* x * 2^e saturated to int32 (gemmlowp SaturatingRoundingMultiplyByPOT for e > 0). */
static int32_t sat_mul_pot(int32_t x, int32_t e) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - e)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * (1 << e);
}

/* exp(a) for a in [-1/4, 0) in Q0.31: Taylor expansion around -1/8 (gemmlowp). */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t constant_term = 1895147668;    /* exp(-1/8) in Q0.31 */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 in Q0.31 */
  const int32_t x = a + (1 << 28);             /* a + 1/8 */
  const int32_t x2 = topt_srdhm(x, x);
  const int32_t x3 = topt_srdhm(x2, x);
  const int32_t x4 = topt_srdhm(x2, x2);
  const int32_t x4_over_4 = topt_rdbpot(x4, 2);
  const int32_t poly = topt_rdbpot(topt_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
  return constant_term + topt_srdhm(constant_term, x + poly);
}

/* exp(a) for a <= 0 in Q5.26, result in Q0.31 (gemmlowp exp_on_negative_values with 5 integer bits). */
static int32_t exp_on_negative_values(int32_t a) {
  static const int32_t kBarrel[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1)   */
      290630308,  /* exp(-2)   */
      39332535,   /* exp(-4)   */
      720401,     /* exp(-8)   */
      242         /* exp(-16)  */
  };
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result =
      exp_on_interval_between_negative_one_quarter_and_0_excl(sat_mul_pot(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = (int32_t)((int64_t)a_mod_quarter_minus_one_quarter - a);
  int32_t k;
  if (a == 0) return INT32_MAX;
  for (k = 0; k < 7; ++k) {
    if (remainder & (1 << (24 + k))) result = topt_srdhm(result, kBarrel[k]);
  }
  return result;
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31: 3 Newton-Raphson steps in Q2.29 (gemmlowp). */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = 1515870810 + topt_srdhm(half_denominator, -1010580540); /* 48/17 - 32/17 * d in Q2.29 */
  int32_t i;
  for (i = 0; i < 3; ++i) {
    const int32_t one_minus_dx = (1 << 29) - topt_srdhm(half_denominator, x);
    x += sat_mul_pot(topt_srdhm(x, one_minus_dx), 2);
  }
  return sat_mul_pot(x, 1);
}

static int32_t count_leading_zeros(uint32_t v) {
  int32_t n = 0;
  if (v == 0) return 32;
  while (!(v & 0x80000000u)) {
    v <<= 1;
    ++n;
  }
  return n;
}

static topt_status check(const topt_softmax_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->rows < 1 || p->row_size < 1 || p->row_size > 4095) return TOPT_ERR_SHAPE;
  if ((int64_t)p->rows * p->row_size > INT32_MAX) return TOPT_ERR_SHAPE;
  if (p->input_beta_multiplier < 0 || p->input_beta_left_shift < 0 || p->input_beta_left_shift > 30)
    return TOPT_ERR_QUANT;
  if (p->diff_min > 0 || (int64_t)p->diff_min * ((int64_t)1 << p->input_beta_left_shift) < INT32_MIN)
    return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_softmax_s8__ref_supports(const topt_softmax_params* p) { return check(p) == TOPT_OK; }

size_t topt_softmax_s8__ref_scratch_bytes(const topt_softmax_params* p) {
  (void)p;
  return 0;
}

topt_status topt_softmax_s8__ref(const topt_softmax_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = check(p);
  int32_t r, i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (r = 0; r < p->rows; ++r) {
    const int8_t* in = input + r * p->row_size; /* (row_size) */
    int8_t* out = output + r * p->row_size;
    const int32_t scale_up = 1 << p->input_beta_left_shift;
    int32_t mx = in[0], sum = 0, headroom, shifted_scale, bits_over_unit;
    for (i = 1; i < p->row_size; ++i) mx = in[i] > mx ? in[i] : mx;
    for (i = 0; i < p->row_size; ++i) {
      const int32_t diff = in[i] - mx;
      if (diff >= p->diff_min) {
        const int32_t scaled = topt_srdhm(diff * scale_up, p->input_beta_multiplier);
        sum += topt_rdbpot(exp_on_negative_values(scaled), ACCUM_BITS); /* < 2^19 each, row < 4096 */
      }
    }
    headroom = count_leading_zeros((uint32_t)sum);
    shifted_scale = one_over_one_plus_x_for_x_in_0_1((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
    bits_over_unit = ACCUM_BITS - headroom + 23;
    for (i = 0; i < p->row_size; ++i) {
      const int32_t diff = in[i] - mx;
      int32_t res = -128;
      if (diff >= p->diff_min) {
        const int32_t scaled = topt_srdhm(diff * scale_up, p->input_beta_multiplier);
        const int32_t v = topt_srdhm(shifted_scale, exp_on_negative_values(scaled));
        res = (bits_over_unit <= 31 ? topt_rdbpot(v, bits_over_unit) : 0) - 128;
      }
      out[i] = (int8_t)topt_clamp32(res, -128, 127);
    }
  }
  return TOPT_OK;
}
