// Helpers shared by the exec_* unit tests: seeded random data and a float comparison that reports the
// first mismatching index with both values (STYLE.md 9). Not a reference implementation of anything.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tinyopt::testing {

inline std::vector<float> random_floats(std::mt19937& rng, int64_t count, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = dist(rng);
  return v;
}

inline int64_t random_int(std::mt19937& rng, int64_t lo, int64_t hi) {  // inclusive
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Asserts |got - want| <= atol + rtol*|want| element-wise; names the first bad index.
inline ::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want,
                                            float atol = 1e-4f, float rtol = 1e-4f) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (!both_nan && !(std::fabs(got[i] - want[i]) <= atol + rtol * std::fabs(want[i])))
      return ::testing::AssertionFailure() << "index " << i << ": got " << got[i] << ", reference " << want[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace tinyopt::testing
