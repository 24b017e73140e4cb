// Shared support for the runtime kernel tests (tests/unit/runtime_*_test.cpp): an independent naive model
// of the fixed-point primitives of docs/numerics.md, random quantization parameters, a byte comparison that
// reports index / reference / optimized values with the case description, and the kernel-under-test types
// plus one checker per kernel family, generated from runtime/include/tinyopt_rt_families.inc.
//
// The naive model is deliberately written differently from runtime/include/tinyopt_rt_fixedpoint.h (floor
// division on wide integers, explicit half-away rounding), so that a shared mistake is unlikely.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tinyopt_rt.h"

namespace tinyopt::rt_test {

// ---- naive fixed-point model -------------------------------------------------------------------------

inline int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

inline int32_t naive_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return static_cast<int32_t>(floor_div(int64_t{a} * b + (int64_t{1} << 30), int64_t{1} << 31));
}

inline int32_t naive_rdbpot(int32_t x, int e) {
  const int64_t mag = x < 0 ? -int64_t{x} : int64_t{x};
  const int64_t d = int64_t{1} << e;
  int64_t q = mag / d;
  if (2 * (mag % d) >= d) ++q;  // ties away from zero
  return static_cast<int32_t>(x < 0 ? -q : q);
}

inline int32_t naive_requant(int64_t acc, int32_t m, int32_t shift) {
  __int128 v = static_cast<__int128>(acc) * (static_cast<__int128>(1) << (shift > 0 ? shift : 0));
  if (v > INT32_MAX) v = INT32_MAX;
  if (v < INT32_MIN) v = INT32_MIN;
  return naive_rdbpot(naive_srdhm(static_cast<int32_t>(v), m), shift > 0 ? 0 : -shift);
}

inline int32_t naive_output_s8(int64_t acc, int32_t m, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  const int64_t v = int64_t{naive_requant(acc, m, shift)} + zp;
  return static_cast<int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

// requantize64 (int16 activations): round half up of acc * m16 / 2^(15 - shift).
inline int64_t naive_requant64(int64_t acc, int32_t m, int32_t shift) {
  const int64_t m16 = m < 0x7FFF0000 ? (int64_t{m} + 32768) / 65536 : 0x7FFF;
  const __int128 num = static_cast<__int128>(acc) * m16;
  const __int128 d = static_cast<__int128>(1) << (15 - shift);
  __int128 q = num / d;
  if (num % d != 0 && num < 0) --q;  // floor
  const __int128 rem = num - q * d;
  if (2 * rem >= d) ++q;  // ties up
  return static_cast<int64_t>(q);
}

// Weights packed two per byte, low nibble first (docs/numerics.md section 6).
inline std::vector<uint8_t> pack_int4(const std::vector<int8_t>& w) {
  std::vector<uint8_t> out((w.size() + 1) / 2, 0);
  for (size_t i = 0; i < w.size(); ++i) out[i / 2] |= static_cast<uint8_t>((w[i] & 0xF) << ((i % 2) * 4));
  return out;
}

// ---- randomness ---------------------------------------------------------------------------------------

class Rng {
 public:
  explicit Rng(uint32_t seed) : gen_(seed) {}
  int32_t uniform(int32_t lo, int32_t hi) { return std::uniform_int_distribution<int32_t>(lo, hi)(gen_); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen_); }
  bool chance(double p) { return real(0, 1) < p; }
  template <class T>
  std::vector<T> values(size_t n, int32_t lo, int32_t hi) {
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(uniform(lo, hi));
    return v;
  }

 private:
  std::mt19937 gen_;
};

// Per-channel (multiplier, shift) mapping accumulators of standard deviation about acc_std to outputs of
// about out_std; some cases get extreme values (saturating left shifts, the largest multiplier, shift -31,
// multiplier 0) on some channels.
struct ChannelRequant {
  std::vector<int32_t> multiplier, shift;
};
ChannelRequant random_channel_requant(Rng& rng, int32_t channels, double acc_std, double out_std, int32_t max_shift);

// Random act range: full range most of the time, otherwise a ReLU- or ReLU6-like clamp.
void random_act_range(Rng& rng, int32_t zero_point, int32_t lo, int32_t hi, int32_t* act_min, int32_t* act_max);

// ---- comparison ---------------------------------------------------------------------------------------

// Asserts want == got element by element; on mismatch reports the first index, both values, the number
// of mismatches and `context` (shape, quantization parameters, seed), so the failure can be reproduced.
template <class T>
::testing::AssertionResult same_values(const std::vector<T>& want, const std::vector<T>& got,
                                       const std::string& want_name, const std::string& got_name,
                                       const std::string& context) {
  if (want.size() != got.size())
    return ::testing::AssertionFailure() << "size " << want.size() << " vs " << got.size() << "\n" << context;
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] != got[i] && mismatches++ == 0) first = i;
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << mismatches << " of " << want.size() << " elements differ; first at index "
                                       << first << ": " << want_name << "=" << +want[first] << " " << got_name << "="
                                       << +got[first] << "\n"
                                       << context;
}

std::string describe(const topt_window2d& w);
std::string describe(const topt_channel_quant& q, int32_t channels);

// ---- kernels under test ------------------------------------------------------------------------------

template <class Fn, class Params>
struct KernelUnderTest {
  const char* name;
  topt_variant variant;
  Fn* run;
  int (*supports)(const Params*);
  size_t (*scratch_bytes)(const Params*);
};

// One checker per family (defined in runtime_conv_test.cpp and runtime_elementwise_test.cpp): runs the
// kernel on every randomized and hand-picked case it supports and asserts it equals the family reference,
// which in turn must equal the naive model in this file (or double precision within the documented bound).
#define TOPT_FAMILY(fam, params_type)                                 \
  using fam##_kernel = KernelUnderTest<topt_##fam##_fn, params_type>; \
  void check_##fam(const fam##_kernel& k);
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY

// Scratch for a kernel: exactly scratch_bytes(p) bytes (so ASan sees overruns), nullptr when 0.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : buf_(bytes) {}
  void* get() { return buf_.empty() ? nullptr : buf_.data(); }

 private:
  std::vector<uint8_t> buf_;
};

}  // namespace tinyopt::rt_test
