// BatchNormalization on (N, C, spatial...) tensors: inference with given statistics, and the ONNX
// training_mode statistics (batch mean and population variance per channel). Not the training engine's
// backward pass.
#pragma once

#include <cstdint>

namespace tinyopt::kernels {

// y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel.
//   x, y: (N, C, plane); y may alias x
//   scale, bias, mean, var: (C)
void batchnorm_f32(int64_t batch, int64_t channels, int64_t plane, const float* x, const float* scale,
                   const float* bias, const float* mean, const float* var, float epsilon, float* y, int threads);

// Per-channel batch mean and population variance (divisor N*plane).
//   x: (N, C, plane)   mean, var: (C)
void channel_moments_f32(int64_t batch, int64_t channels, int64_t plane, const float* x, float* mean, float* var);

}  // namespace tinyopt::kernels
