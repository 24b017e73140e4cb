// Softmax along one axis (ONNX opset 13 semantics: the axis alone, not the flattened trailing dims). The
// tensor is viewed as (outer, axis, inner); the max is subtracted before exp for stability.
#pragma once

#include <cstdint>

namespace tinyopt::kernels {

//   x, y: (outer, axis_size, inner); y may alias x
void softmax_f32(int64_t outer, int64_t axis_size, int64_t inner, const float* x, float* y, int threads);

}  // namespace tinyopt::kernels
