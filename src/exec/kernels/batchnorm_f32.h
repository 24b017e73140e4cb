// BatchNormalization on (N, C, spatial...) tensors: inference with given statistics, and the ONNX
// training_mode statistics (batch mean and population variance per channel). Not the training engine's
// backward pass.
#pragma once

#include <cstdint>

#include "exec/kernels/activation_f32.h"

namespace tinyopt::kernels {

// The per-channel affine form of inference BatchNormalization: a = scale / sqrt(var + epsilon),
// b = bias - mean * a, so y = x * a + b. batchnorm_f32 uses exactly these floats; the Conv epilogue does
// too when the executor fuses a BatchNormalization into the Conv before it (bit-identical results).
//   scale, bias, mean, var, a, b: (C)
void batchnorm_fold_f32(int64_t channels, const float* scale, const float* bias, const float* mean, const float* var,
                        float epsilon, float* a, float* b);

// y = clamp(x * a + b) per channel with a, b from batchnorm_fold_f32, i.e. the ONNX
// y = (x - mean) / sqrt(var + epsilon) * scale + bias (then a fused Relu / Clip).
//   x, y: (N, C, plane); y may alias x
//   a, b: (C)
void batchnorm_f32(int64_t batch, int64_t channels, int64_t plane, const float* x, const float* a, const float* b,
                   ActivationClamp clamp, float* y, int threads);

// Per-channel batch mean and population variance (divisor N*plane).
//   x: (N, C, plane)   mean, var: (C)
void channel_moments_f32(int64_t batch, int64_t channels, int64_t plane, const float* x, float* mean, float* var);

}  // namespace tinyopt::kernels
