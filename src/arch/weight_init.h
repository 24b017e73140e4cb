// Seeded, deterministic weight initialization for the built-in architectures: Kaiming (He 2015) normal
// draws with fan-in scaling. Each tensor gets its own generator, seeded from (seed, tensor name), so a
// tensor's values do not depend on which other tensors were drawn before it, and the same seed gives
// byte-identical tensors on every run.
//
// Deliberately independent of <random>'s distributions: their output is implementation-defined, while
// std::mt19937_64's raw stream is fixed by the standard. Uniforms are built from its top 53 bits and
// normals by Box-Muller. Not a general RNG facility for training (shuffling, dropout live in train/).
#pragma once

#include <cstdint>
#include <string>

#include "tinyopt/core/tensor.h"

namespace tinyopt::detail {

// Gain of the nonlinearity that follows the layer (PyTorch's calculate_gain).
inline constexpr float kReluGain = 1.41421356f;  // sqrt(2)
inline constexpr float kLinearGain = 1.0f;

// A float tensor of `shape` with elements drawn from N(0, (gain / sqrt(fan_in))^2). The stream is
// seeded from `seed` and `tensor_name` together.
Tensor kaiming_normal(const Shape& shape, int64_t fan_in, float gain, uint64_t seed,
                      const std::string& tensor_name);

// A float tensor of `shape` filled with `value`.
Tensor filled_f32(const Shape& shape, float value);

}  // namespace tinyopt::detail
