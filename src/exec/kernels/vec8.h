// Vec8: eight floats as one value, via the GCC vector extension, for kernels that need values to stay in
// vector registers (the auto-vectorizer at -O2 keeps small accumulator arrays in memory). It compiles to AVX
// registers in the x86-64-v3 release build and to pairs of SSE registers without -march (debug builds).
// Alignment 4 and may_alias make loads and stores through a Vec8 pointer valid at any float address.
// Arithmetic on it is ordinary float arithmetic lane by lane (no FMA contraction in this build). Helpers take
// Vec8 by reference: passing it by value changes the ABI between builds with and without AVX (-Wpsabi).
#pragma once

namespace tinyopt::kernels {

typedef float Vec8 __attribute__((vector_size(32), aligned(4), may_alias));

// v = std::min(std::max(v, lo), hi) lane by lane, with std::max/std::min's NaN behaviour (NaN stays NaN).
inline void vec8_clamp(Vec8& v, float lo, float hi) {
  const Vec8 zero{};
  v = v < lo ? zero + lo : v;
  v = hi < v ? zero + hi : v;
}

}  // namespace tinyopt::kernels
