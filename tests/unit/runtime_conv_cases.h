// Test cases for the conv, depthwise and dense kernel families: a fluent builder (ConvTester) that derives
// the output size from the padding and fills reproducible random data and quantization, the naive integer
// model of docs/numerics.md sections 3-4 that every reference kernel is checked against, and the case
// lists (hand-picked awkward shapes plus randomized ones) that every variant is run on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "unit/runtime_test_support.h"

namespace tinyopt::rt_test {

enum class ConvKind { kConv, kDepthwise, kDense };

struct ConvCase {
  ConvKind kind = ConvKind::kConv;
  topt_window2d win{};
  int32_t depth_multiplier = 1;
  bool int16 = false, int4 = false, has_bias = true;
  int32_t input_zero_point = 0, output_zero_point = 0, act_min = -128, act_max = 127;
  ChannelRequant requant;
  std::vector<int8_t> input8;
  std::vector<int16_t> input16;
  std::vector<int8_t> weights;  // unpacked values, also for int4
  std::vector<uint8_t> packed;  // int4 weights, two per byte
  std::vector<int32_t> bias32;
  std::vector<int64_t> bias64;
  uint32_t seed = 0;

  size_t output_count() const;
  topt_channel_quant quant() const;
  topt_conv2d_params conv() const;
  topt_dwconv2d_params dwconv() const;
  topt_dense_params dense() const;
  const int32_t* bias_s8() const { return has_bias ? bias32.data() : nullptr; }
  const int64_t* bias_s16() const { return has_bias ? bias64.data() : nullptr; }
  std::string describe() const;        // shape, quantization, seed: enough to rebuild the case
  std::vector<int64_t> naive() const;  // the expected outputs, from the naive model
};

class ConvTester {
 public:
  // clang-format off
  ConvTester& batch(int32_t n) { n_ = n; return *this; }
  ConvTester& input(int32_t h, int32_t w, int32_t c) { h_ = h; w_ = w; c_ = c; return *this; }
  ConvTester& output_channels(int32_t c) { cout_ = c; return *this; }
  ConvTester& kernel(int32_t h, int32_t w) { kh_ = h; kw_ = w; return *this; }
  ConvTester& stride(int32_t h, int32_t w) { sh_ = h; sw_ = w; return *this; }
  ConvTester& dilation(int32_t h, int32_t w) { dh_ = h; dw_ = w; return *this; }
  ConvTester& padding(int32_t top, int32_t left, int32_t bottom, int32_t right) {
    pt_ = top; pl_ = left; pb_ = bottom; pr_ = right; return *this;
  }
  ConvTester& depthwise(int32_t multiplier) { kind_ = ConvKind::kDepthwise; mult_ = multiplier; return *this; }
  ConvTester& dense() { kind_ = ConvKind::kDense; return *this; }
  ConvTester& int16_activations() { int16_ = true; return *this; }
  ConvTester& int4_weights() { int4_ = true; return *this; }
  ConvTester& bias(bool on) { bias_ = on; return *this; }
  ConvTester& seed(uint32_t s) { seed_ = s; return *this; }
  // clang-format on
  ConvCase build() const;

 private:
  ConvKind kind_ = ConvKind::kConv;
  int32_t n_ = 1, h_ = 1, w_ = 1, c_ = 1, cout_ = 1, kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1, dh_ = 1, dw_ = 1;
  int32_t pt_ = 0, pl_ = 0, pb_ = 0, pr_ = 0, mult_ = 1;
  bool int16_ = false, int4_ = false, bias_ = true;
  uint32_t seed_ = 1;
};

// The cases a family is checked on. kind selects conv / depthwise / dense shapes; int16 and int4 select the
// data types. Deterministic (fixed seeds).
std::vector<ConvCase> conv_cases(ConvKind kind, bool int16, bool int4);

// Runs `call(out)` on an output buffer with guard bytes after n elements; asserts the status is TOPT_OK
// and that the guard is intact, and returns the n outputs.
template <class T, class Call>
std::vector<T> run_guarded(size_t n, Call call, const std::string& context) {
  constexpr size_t kGuard = 64;
  std::vector<T> out(n + kGuard, static_cast<T>(0x5A));
  const topt_status st = call(out.data());
  EXPECT_EQ(st, TOPT_OK) << context;
  for (size_t i = n; i < n + kGuard; ++i) {
    if (out[i] != static_cast<T>(0x5A)) {
      ADD_FAILURE() << "wrote past the output end at index " << i << "\n" << context;
      break;
    }
  }
  out.resize(n);
  return out;
}

template <class T>
std::vector<T> narrow(const std::vector<int64_t>& v) {
  return std::vector<T>(v.begin(), v.end());
}

}  // namespace tinyopt::rt_test
