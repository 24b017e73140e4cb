// Float semantics of ONNX QuantizeLinear / DequantizeLinear, per tensor or per axis, used by the float
// executor to run QDQ models (fake quantization). Rounding is half to even, as ONNX specifies; this is not
// the integer runtime's requantization (docs/numerics.md), which never sees floats.
#pragma once

#include <cstdint>

namespace tinyopt::kernels {

// y = saturate(round_half_even(x / scale[c]) + zero_point[c]) with c the index along the quantization
// axis (channels == 1 for per-tensor). zero_point may be nullptr (0).
//   x, y: (outer, channels, inner)   scale, zero_point: (channels)
template <typename Q>
void quantize_linear(int64_t outer, int64_t channels, int64_t inner, const float* x, const float* scale,
                     const Q* zero_point, Q* y);

// y = (x - zero_point[c]) * scale[c].
//   x, y: (outer, channels, inner)   scale, zero_point: (channels)
template <typename Q>
void dequantize_linear(int64_t outer, int64_t channels, int64_t inner, const Q* x, const float* scale,
                       const Q* zero_point, float* y);

extern template void quantize_linear<uint8_t>(int64_t, int64_t, int64_t, const float*, const float*,
                                              const uint8_t*, uint8_t*);
extern template void quantize_linear<int8_t>(int64_t, int64_t, int64_t, const float*, const float*, const int8_t*,
                                             int8_t*);
extern template void quantize_linear<int16_t>(int64_t, int64_t, int64_t, const float*, const float*,
                                              const int16_t*, int16_t*);
extern template void dequantize_linear<uint8_t>(int64_t, int64_t, int64_t, const uint8_t*, const float*,
                                                const uint8_t*, float*);
extern template void dequantize_linear<int8_t>(int64_t, int64_t, int64_t, const int8_t*, const float*,
                                               const int8_t*, float*);
extern template void dequantize_linear<int16_t>(int64_t, int64_t, int64_t, const int16_t*, const float*,
                                                const int16_t*, float*);
extern template void dequantize_linear<int32_t>(int64_t, int64_t, int64_t, const int32_t*, const float*,
                                                const int32_t*, float*);

}  // namespace tinyopt::kernels
