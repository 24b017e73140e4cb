// Kaiming-normal initialization from a per-tensor mt19937_64 stream (see weight_init.h for why the
// distributions are written out here instead of taken from <random>).
#include "arch/weight_init.h"

#include <cmath>
#include <numbers>
#include <random>

namespace tinyopt::detail {
namespace {

// FNV-1a: turns the tensor name into 64 bits that select its stream.
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// splitmix64 finalizer: decorrelates nearby (seed, name) pairs before they seed the Mersenne Twister.
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) with 53 random bits.
double unit_uniform(std::mt19937_64& gen) { return static_cast<double>(gen() >> 11) * 0x1.0p-53; }

}  // namespace

Tensor kaiming_normal(const Shape& shape, int64_t fan_in, float gain, uint64_t seed,
                      const std::string& tensor_name) {
  Tensor t(DType::kF32, shape);
  std::mt19937_64 gen(splitmix64(seed ^ fnv1a(tensor_name)));
  const double stddev = static_cast<double>(gain) / std::sqrt(static_cast<double>(fan_in));
  float* out = t.data<float>();
  const int64_t n = t.numel();
  // Box-Muller yields two independent normals per pair of uniforms; both are used.
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - unit_uniform(gen);  // (0, 1]: log(u1) is finite
    const double u2 = unit_uniform(gen);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    out[i] = static_cast<float>(stddev * radius * std::cos(angle));
    if (i + 1 < n) out[i + 1] = static_cast<float>(stddev * radius * std::sin(angle));
  }
  return t;
}

Tensor filled_f32(const Shape& shape, float value) {
  Tensor t(DType::kF32, shape);
  for (float& v : t.span<float>()) v = value;
  return t;
}

}  // namespace tinyopt::detail
