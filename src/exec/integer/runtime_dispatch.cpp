// Kernel selection and typed calls per runtime family (see runtime_dispatch.h).
#include "exec/integer/runtime_dispatch.h"

#include <variant>

namespace tinyopt::exec {

KernelChoice select_kernel(topt_family family, const StepParams& params) {
  KernelChoice choice;
  switch (family) {
#define TOPT_FAMILY(fam, params_type)                                              \
  case TOPT_FAMILY_##fam: {                                                        \
    const auto* p = std::get_if<params_type>(&params);                             \
    topt_##fam##_kernel k;                                                         \
    if (p == nullptr || !topt_##fam##_select(p, &k)) return choice;                \
    choice = {true, k.name, k.scratch_bytes(p), reinterpret_cast<topt_any_fn>(k.run)}; \
    return choice;                                                                 \
  }
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
    case TOPT_FAMILY_COUNT: break;
  }
  return choice;
}

namespace {

template <class T>
const T* in(const void* const* inputs, size_t count, size_t i) {
  return i < count ? static_cast<const T*>(inputs[i]) : nullptr;
}

}  // namespace

topt_status call_kernel(topt_family family, topt_any_fn run, const StepParams& params, const void* const* inputs,
                        size_t n, void* output, void* scratch) {
#define TOPT_CALL(fam, params_type, ...)                                                  \
  case TOPT_FAMILY_##fam:                                                                 \
    return reinterpret_cast<topt_##fam##_fn*>(run)(&std::get<params_type>(params), __VA_ARGS__, scratch);
  switch (family) {
    TOPT_CALL(conv2d_s8, topt_conv2d_params, in<int8_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(conv2d_s8w4, topt_conv2d_params, in<int8_t>(inputs, n, 0), in<uint8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(conv2d_s16, topt_conv2d_params, in<int16_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int64_t>(inputs, n, 2), static_cast<int16_t*>(output))
    TOPT_CALL(dwconv2d_s8, topt_dwconv2d_params, in<int8_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(dwconv2d_s8w4, topt_dwconv2d_params, in<int8_t>(inputs, n, 0), in<uint8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(dense_s8, topt_dense_params, in<int8_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(dense_s8w4, topt_dense_params, in<int8_t>(inputs, n, 0), in<uint8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(dense_s16, topt_dense_params, in<int16_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int64_t>(inputs, n, 2), static_cast<int16_t*>(output))
    TOPT_CALL(add_s8, topt_add_params, in<int8_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              static_cast<int8_t*>(output))
    TOPT_CALL(conv2d_maxpool_s8, topt_conv2d_maxpool_params, in<int8_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int32_t>(inputs, n, 2), static_cast<int8_t*>(output))
    TOPT_CALL(maxpool2d_s8, topt_pool2d_params, in<int8_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(avgpool2d_s8, topt_pool2d_params, in<int8_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(global_avgpool2d_s8, topt_global_pool_params, in<int8_t>(inputs, n, 0),
              static_cast<int8_t*>(output))
    TOPT_CALL(concat_s8, topt_concat_params, reinterpret_cast<const int8_t* const*>(inputs),
              static_cast<int8_t*>(output))
    TOPT_CALL(pad_s8, topt_pad_params, in<int8_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(clamp_s8, topt_clamp_params, in<int8_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(hardswish_s8, topt_hardswish_params, in<int8_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(softmax_s8, topt_softmax_params, in<int8_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(requantize_s8_s16, topt_requantize_params, in<int8_t>(inputs, n, 0), static_cast<int16_t*>(output))
    TOPT_CALL(requantize_s16_s8, topt_requantize_params, in<int16_t>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(quantize_s8, topt_quantize_params, in<float>(inputs, n, 0), static_cast<int8_t*>(output))
    TOPT_CALL(dequantize_s8, topt_quantize_params, in<int8_t>(inputs, n, 0), static_cast<float*>(output))
    TOPT_CALL(dwconv2d_s16, topt_dwconv2d_params, in<int16_t>(inputs, n, 0), in<int8_t>(inputs, n, 1),
              in<int64_t>(inputs, n, 2), static_cast<int16_t*>(output))
    TOPT_CALL(add_s16, topt_add_params, in<int16_t>(inputs, n, 0), in<int16_t>(inputs, n, 1),
              static_cast<int16_t*>(output))
    TOPT_CALL(maxpool2d_s16, topt_pool2d_params, in<int16_t>(inputs, n, 0), static_cast<int16_t*>(output))
    TOPT_CALL(avgpool2d_s16, topt_pool2d_params, in<int16_t>(inputs, n, 0), static_cast<int16_t*>(output))
    TOPT_CALL(global_avgpool2d_s16, topt_global_pool_params, in<int16_t>(inputs, n, 0),
              static_cast<int16_t*>(output))
    TOPT_CALL(requantize_s16_s16, topt_requantize_params, in<int16_t>(inputs, n, 0), static_cast<int16_t*>(output))
    TOPT_CALL(quantize_s16, topt_quantize_params, in<float>(inputs, n, 0), static_cast<int16_t*>(output))
    TOPT_CALL(dequantize_s16, topt_quantize_params, in<int16_t>(inputs, n, 0), static_cast<float*>(output))
    case TOPT_FAMILY_COUNT: break;
  }
#undef TOPT_CALL
  return TOPT_ERR_UNSUPPORTED;
}

}  // namespace tinyopt::exec
