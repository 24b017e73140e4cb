// Element-wise activations (see activation_f32.h). Formulas follow the ONNX operator definitions.
#include "exec/kernels/activation_f32.h"

#include <algorithm>
#include <cmath>

namespace tinyopt::kernels {
namespace {

template <typename Fn>
void map(const float* x, float* y, int64_t count, int threads, Fn fn) {
  const bool parallel = threads > 1 && count >= (1 << 15);
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int64_t i = 0; i < count; ++i) y[i] = fn(x[i]);
}

}  // namespace

void unary_f32(const UnaryParams& p, const float* x, float* y, int64_t count, int threads) {
  threads = std::max(threads, 1);
  switch (p.kind) {
    case UnaryKind::kRelu:
      return map(x, y, count, threads, [](float v) { return v > 0.0f ? v : 0.0f; });
    case UnaryKind::kClip: {
      const float lo = p.min, hi = p.max;
      return map(x, y, count, threads, [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
    }
    case UnaryKind::kLeakyRelu: {
      const float a = p.alpha;
      return map(x, y, count, threads, [a](float v) { return v >= 0.0f ? v : a * v; });
    }
    case UnaryKind::kSigmoid:
      return map(x, y, count, threads, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    case UnaryKind::kHardSigmoid: {
      const float a = p.alpha, b = p.beta;
      return map(x, y, count, threads, [a, b](float v) { return std::min(std::max(a * v + b, 0.0f), 1.0f); });
    }
    case UnaryKind::kHardSwish:  // x * HardSigmoid(x) with alpha 1/6, beta 0.5
      return map(x, y, count, threads,
                 [](float v) { return v * std::min(std::max(v / 6.0f + 0.5f, 0.0f), 1.0f); });
    case UnaryKind::kTanh:
      return map(x, y, count, threads, [](float v) { return std::tanh(v); });
  }
}

template <typename T>
void clip_int(T lo, T hi, const T* x, T* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) y[i] = std::min(std::max(x[i], lo), hi);
}
template void clip_int<int8_t>(int8_t, int8_t, const int8_t*, int8_t*, int64_t);
template void clip_int<uint8_t>(uint8_t, uint8_t, const uint8_t*, uint8_t*, int64_t);
template void clip_int<int32_t>(int32_t, int32_t, const int32_t*, int32_t*, int64_t);
template void clip_int<int64_t>(int64_t, int64_t, const int64_t*, int64_t*, int64_t);

}  // namespace tinyopt::kernels
