/* topt_quantize_params_check.c: validation of topt_quantize_params, shared by the quantize and dequantize
 * kernels. Kept apart from topt_params_check.c because it compares floats: the integer kernels' objects
 * contain no floating point at all (checked by tests/unit/runtime_cross_compile_test.cpp).
 */
#include "tinyopt_rt.h"

topt_status topt_quantize_params_check_act(const topt_quantize_params* p, topt_act_type act) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->count < 1) return TOPT_ERR_SHAPE;
  if (!(p->scale > 0.0f) || p->scale > 3.402823466e+38f) return TOPT_ERR_QUANT; /* NaN, <= 0, inf */
  if (act == TOPT_ACT_S8 ? (p->zero_point < -128 || p->zero_point > 127) : p->zero_point != 0) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

topt_status topt_quantize_params_check(const topt_quantize_params* p) {
  return topt_quantize_params_check_act(p, TOPT_ACT_S8);
}
