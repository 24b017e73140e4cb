/* topt_add_s8__ref.c: reference int8 elementwise add of two same-shape tensors (TFLite's scheme: both
 * inputs rescaled to a common 2^-left_shift-finer scale, summed, rescaled to the output;
 * docs/numerics.md section 5). The output may alias either input. No broadcasting. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static int zp_ok(int32_t z) { return z >= -128 && z <= 127; }
static int requant_ok(const topt_requant* r) { return r->multiplier >= 0 && r->shift >= -31 && r->shift <= 30; }

static topt_status check(const topt_add_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->count < 1) return TOPT_ERR_SHAPE;
  if (!zp_ok(p->input1_zero_point) || !zp_ok(p->input2_zero_point) || !zp_ok(p->output_zero_point))
    return TOPT_ERR_QUANT;
  if (p->left_shift < 0 || p->left_shift > 22) return TOPT_ERR_QUANT;
  if (!requant_ok(&p->input1) || !requant_ok(&p->input2) || !requant_ok(&p->output)) return TOPT_ERR_QUANT;
  if (p->act_min < -128 || p->act_min > p->act_max || p->act_max > 127) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_add_s8__ref_supports(const topt_add_params* p) { return check(p) == TOPT_OK; }

size_t topt_add_s8__ref_scratch_bytes(const topt_add_params* p) {
  (void)p;
  return 0;
}

topt_status topt_add_s8__ref(const topt_add_params* p, const int8_t* input1, const int8_t* input2, int8_t* output,
                             void* scratch) {
  const topt_status st = check(p);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input1 == NULL || input2 == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) {
    /* |q - z| <= 255 and left_shift <= 22: the shifted values stay below 2^30, their sum below 2^31 */
    const int32_t a = topt_requantize((input1[i] - p->input1_zero_point) * (1 << p->left_shift), p->input1.multiplier,
                                      p->input1.shift);
    const int32_t b = topt_requantize((input2[i] - p->input2_zero_point) * (1 << p->left_shift), p->input2.multiplier,
                                      p->input2.shift);
    const int32_t sum = topt_sat32((int64_t)a + b);
    output[i] =
        topt_output_s8(sum, p->output.multiplier, p->output.shift, p->output_zero_point, p->act_min, p->act_max);
  }
  return TOPT_OK;
}
