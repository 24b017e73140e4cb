// Uniform random integers in [0, n) from a std::mt19937_64, by rejection sampling. We do not use
// std::uniform_int_distribution because its algorithm is left to the standard library, and shuffles
// and augmentations must be identical for a seed on every platform (DESIGN.md section 3, determinism).
#pragma once

#include <cstdint>
#include <random>

namespace tinyopt::detail {

inline uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  // Reject the top (2^64 mod n) outputs so every residue is equally likely.
  uint64_t reject_from = 0 - ((UINT64_MAX % n + 1) % n);  // 2^64 - (2^64 mod n), modulo 2^64
  uint64_t v = rng();
  while (reject_from != 0 && v >= reject_from) v = rng();
  return v % n;
}

}  // namespace tinyopt::detail
