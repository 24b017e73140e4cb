// QuantizeLinear / DequantizeLinear float semantics (see quantize_f32.h).
#include "exec/kernels/quantize_f32.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tinyopt::kernels {

template <typename Q>
void quantize_linear(int64_t outer, int64_t channels, int64_t inner, const float* x, const float* scale,
                     const Q* zero_point, Q* y) {
  constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      const float s = scale[c];
      const float zp = zero_point != nullptr ? static_cast<float>(zero_point[c]) : 0.0f;
      const int64_t base = (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) {
        // nearbyint rounds half to even in the default rounding mode.
        const float q = std::nearbyint(x[base + i] / s) + zp;
        y[base + i] = static_cast<Q>(std::isnan(q) ? 0.0f : std::min(std::max(q, lo), hi));
      }
    }
}

template <typename Q>
void dequantize_linear(int64_t outer, int64_t channels, int64_t inner, const Q* x, const float* scale,
                       const Q* zero_point, float* y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      const float s = scale[c];
      const int64_t zp = zero_point != nullptr ? static_cast<int64_t>(zero_point[c]) : 0;
      const int64_t base = (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) y[base + i] = static_cast<float>(static_cast<int64_t>(x[base + i]) - zp) * s;
    }
}

template void quantize_linear<uint8_t>(int64_t, int64_t, int64_t, const float*, const float*, const uint8_t*,
                                       uint8_t*);
template void quantize_linear<int8_t>(int64_t, int64_t, int64_t, const float*, const float*, const int8_t*, int8_t*);
template void quantize_linear<int16_t>(int64_t, int64_t, int64_t, const float*, const float*, const int16_t*,
                                       int16_t*);
template void dequantize_linear<uint8_t>(int64_t, int64_t, int64_t, const uint8_t*, const float*, const uint8_t*,
                                         float*);
template void dequantize_linear<int8_t>(int64_t, int64_t, int64_t, const int8_t*, const float*, const int8_t*,
                                        float*);
template void dequantize_linear<int16_t>(int64_t, int64_t, int64_t, const int16_t*, const float*, const int16_t*,
                                         float*);
template void dequantize_linear<int32_t>(int64_t, int64_t, int64_t, const int32_t*, const float*, const int32_t*,
                                         float*);

}  // namespace tinyopt::kernels
