/* topt_hardswish_s8__ref.c: reference int8 hard-swish, x * relu6(x + 3) / 6, in tinyopt's fixed-point
 * definition (docs/numerics.md section 7; parameters from topt_hardswish_prepare):
 *   x = q - z_in;  g = clamp(x + three, 0, six);  q_out = clamp(requantize(x * g, M, shift) + z_out).
 * In place allowed. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static topt_status check(const topt_hardswish_params* p) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->count < 1) return TOPT_ERR_SHAPE;
  if (p->input_zero_point < -128 || p->input_zero_point > 127) return TOPT_ERR_QUANT;
  if (p->output_zero_point < -128 || p->output_zero_point > 127) return TOPT_ERR_QUANT;
  if (p->three < 1 || p->three > (1 << 22) || p->six != 2 * p->three) return TOPT_ERR_QUANT;
  if (p->requant.multiplier < 0 || p->requant.shift < -31 || p->requant.shift > 30) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_hardswish_s8__ref_supports(const topt_hardswish_params* p) { return check(p) == TOPT_OK; }

size_t topt_hardswish_s8__ref_scratch_bytes(const topt_hardswish_params* p) {
  (void)p;
  return 0;
}

topt_status topt_hardswish_s8__ref(const topt_hardswish_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = check(p);
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->count; ++i) {
    const int32_t x = input[i] - p->input_zero_point;        /* |x| <= 255 */
    const int32_t g = topt_clamp32(x + p->three, 0, p->six); /* g <= 2^23, so |x * g| < 2^31 */
    output[i] = topt_output_s8(x * g, p->requant.multiplier, p->requant.shift, p->output_zero_point, -128, 127);
  }
  return TOPT_OK;
}
