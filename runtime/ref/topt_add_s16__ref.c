/* topt_add_s16__ref.c: reference int16 elementwise add of two same-shape tensors (zero points 0): TFLite's
 * scheme as topt_add_s8__ref with left_shift <= 15 (topt_add_prepare_s16 uses 15, as TFLite's int16 add),
 * docs/numerics.md section 5. The output may alias either input. No broadcasting. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static int requant_ok(const topt_requant* r) { return r->multiplier >= 0 && r->shift >= -31 && r->shift <= 30; }

static topt_status check(const topt_add_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->count < 1) return TOPT_ERR_SHAPE;
  if (p->input1_zero_point != 0 || p->input2_zero_point != 0 || p->output_zero_point != 0) return TOPT_ERR_QUANT;
  if (p->left_shift < 0 || p->left_shift > 15) return TOPT_ERR_QUANT;
  if (!requant_ok(&p->input1) || !requant_ok(&p->input2) || !requant_ok(&p->output)) return TOPT_ERR_QUANT;
  if (p->act_min < -32768 || p->act_min > p->act_max || p->act_max > 32767) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_add_s16__ref_supports(const topt_add_params* p) { return check(p) == TOPT_OK; }

size_t topt_add_s16__ref_scratch_bytes(const topt_add_params* p) {
  (void)p;
  return 0;
}

topt_status topt_add_s16__ref(const topt_add_params* p, const int16_t* input1, const int16_t* input2,
                              int16_t* output, void* scratch) {
  const topt_status st = check(p);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input1 == NULL || input2 == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) {
    /* |q| <= 32768 and left_shift <= 15: the shifted values stay within 2^30, their sum within 2^31 */
    const int32_t a = topt_requantize(input1[i] * (1 << p->left_shift), p->input1.multiplier, p->input1.shift);
    const int32_t b = topt_requantize(input2[i] * (1 << p->left_shift), p->input2.multiplier, p->input2.shift);
    const int32_t sum = topt_sat32((int64_t)a + b);
    output[i] = (int16_t)topt_clamp32(topt_requantize(sum, p->output.multiplier, p->output.shift), p->act_min,
                                      p->act_max);
  }
  return TOPT_OK;
}
