// Element-wise activations (ONNX Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh) on a flat
// run of elements; shape does not matter. Clip also exists for the integer types ONNX conformance uses.
// y may alias x (in place).
#pragma once

#include <cstdint>
#include <limits>

namespace tinyopt::kernels {

enum class UnaryKind { kRelu, kClip, kLeakyRelu, kSigmoid, kHardSigmoid, kHardSwish, kTanh };

struct UnaryParams {
  UnaryKind kind = UnaryKind::kRelu;
  float alpha = 0.0f;  // LeakyRelu slope (ONNX default 0.01), HardSigmoid alpha (0.2)
  float beta = 0.0f;   // HardSigmoid beta (0.5)
  float min = -std::numeric_limits<float>::infinity();  // Clip bounds
  float max = std::numeric_limits<float>::infinity();
};

//   x, y: (count)
void unary_f32(const UnaryParams& p, const float* x, float* y, int64_t count, int threads);

// y = min(max(x, lo), hi) for integer tensors.
//   x, y: (count)
template <typename T>
void clip_int(T lo, T hi, const T* x, T* y, int64_t count);
extern template void clip_int<int8_t>(int8_t, int8_t, const int8_t*, int8_t*, int64_t);
extern template void clip_int<uint8_t>(uint8_t, uint8_t, const uint8_t*, uint8_t*, int64_t);
extern template void clip_int<int32_t>(int32_t, int32_t, const int32_t*, int32_t*, int64_t);
extern template void clip_int<int64_t>(int64_t, int64_t, const int64_t*, int64_t*, int64_t);

}  // namespace tinyopt::kernels
