/* topt_concat_s8__ref.c: reference int8 concatenation along one axis, requantizing inputs whose scale or
 * zero point differ from the output's (docs/numerics.md section 5).
 *
 * Tensors are viewed as (outer, axis_size, inner); NHWC channel concat is outer = N*H*W, inner = 1. An
 * input already in the output's quantization (same zero point, multiplier 2^30, shift 1: exactly x1.0)
 * is copied, which is the same result the requantization would give. Needs no scratch.
 */
#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"

static topt_status check(const topt_concat_params* p) {
  int64_t axis_total = 0;
  int32_t i;
  if (p == NULL || p->axis_sizes == NULL || p->input_zero_points == NULL || p->input_requant == NULL)
    return TOPT_ERR_NULL;
  if (p->outer < 1 || p->inner < 1 || p->num_inputs < 1) return TOPT_ERR_SHAPE;
  if (p->output_zero_point < -128 || p->output_zero_point > 127) return TOPT_ERR_QUANT;
  for (i = 0; i < p->num_inputs; ++i) {
    const topt_requant* r = &p->input_requant[i];
    if (p->axis_sizes[i] < 1) return TOPT_ERR_SHAPE;
    axis_total += p->axis_sizes[i];
    if (axis_total > INT32_MAX) return TOPT_ERR_SHAPE;
    if (p->input_zero_points[i] < -128 || p->input_zero_points[i] > 127) return TOPT_ERR_QUANT;
    if (r->multiplier < 0 || r->shift < -31 || r->shift > 30) return TOPT_ERR_QUANT;
  }
  if ((int64_t)p->outer * axis_total * p->inner > INT32_MAX) return TOPT_ERR_SHAPE;
  return TOPT_OK;
}

int topt_concat_s8__ref_supports(const topt_concat_params* p) { return check(p) == TOPT_OK; }

size_t topt_concat_s8__ref_scratch_bytes(const topt_concat_params* p) {
  (void)p;
  return 0;
}

topt_status topt_concat_s8__ref(const topt_concat_params* p, const int8_t* const* inputs, int8_t* output,
                                void* scratch) {
  const topt_status st = check(p);
  int32_t o, i, j;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (inputs == NULL || output == NULL) return TOPT_ERR_NULL;
  for (i = 0; i < p->num_inputs; ++i) {
    if (inputs[i] == NULL) return TOPT_ERR_NULL;
  }
  for (o = 0; o < p->outer; ++o) {
    for (i = 0; i < p->num_inputs; ++i) {
      const int32_t block = p->axis_sizes[i] * p->inner;
      const int8_t* in = inputs[i] + o * block; /* (axis_sizes[i] * inner) */
      const int32_t z = p->input_zero_points[i];
      const topt_requant r = p->input_requant[i];
      if (z == p->output_zero_point && r.multiplier == (1 << 30) && r.shift == 1) {
        for (j = 0; j < block; ++j) output[j] = in[j];
      } else {
        for (j = 0; j < block; ++j)
          output[j] = topt_output_s8(in[j] - z, r.multiplier, r.shift, p->output_zero_point, -128, 127);
      }
      output += block;
    }
  }
  return TOPT_OK;
}
