// Checkers of the requantize_s8_s16 / requantize_s16_s8 families (int8 <-> int16 activation boundary,
// docs/numerics.md section 5) against the naive fixed-point model, plus the worked example of the doc and
// the exactness of the int8 -> int16 widening at the int8 scale.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "unit/runtime_case_runner.h"
#include "unit/runtime_test_support.h"

namespace tinyopt::rt_test {
namespace {

template <class In>
struct RequantizeCase {
  topt_requantize_params p{};
  std::vector<In> x;
  uint32_t seed = 0;
  std::string describe() const {
    std::ostringstream os;
    os << "seed " << seed << " count " << p.count << " zero points " << p.input_zero_point << ","
       << p.output_zero_point << " requant (" << p.requant.multiplier << "," << p.requant.shift << ") act ["
       << p.act_min << "," << p.act_max << "]";
    return os.str();
  }
};

// Random cases: real multipliers around the typical ratios (int8 -> int16 x128, int16 -> int8 /128, int16
// -> int16 about x1), some extreme. The int8 side has a random zero point, the int16 side zero point 0.
template <class In, class Out>
std::vector<RequantizeCase<In>> requantize_cases() {
  constexpr int32_t kCounts[] = {1, 3, 7, 16, 31, 64, 100, 257};
  constexpr int32_t in_lo = std::numeric_limits<In>::min(), in_hi = std::numeric_limits<In>::max();
  constexpr int32_t out_lo = std::numeric_limits<Out>::min(), out_hi = std::numeric_limits<Out>::max();
  const double ratio = in_lo == out_lo ? 1.0 : (in_lo == -128 ? 128.0 : 1.0 / 128.0);
  std::vector<RequantizeCase<In>> cases;
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    Rng rng(seed);
    RequantizeCase<In> c;
    c.seed = seed;
    c.p.count = kCounts[seed % 8];
    c.p.input_zero_point = in_lo == -128 ? rng.uniform(-128, 127) : 0;
    c.p.output_zero_point = out_lo == -128 ? rng.uniform(-128, 127) : 0;
    const ChannelRequant r = random_channel_requant(rng, 1, 1.0, ratio, 30);
    c.p.requant = {r.multiplier[0], r.shift[0]};
    if (seed % 6 == 0) c.p.requant = {1 << 30, 1};  // x1.0: the executor's exact widening
    random_act_range(rng, c.p.output_zero_point, out_lo, out_hi, &c.p.act_min, &c.p.act_max);
    c.x = rng.values<In>(static_cast<size_t>(c.p.count), in_lo, in_hi);
    cases.push_back(c);
  }
  return cases;
}

template <class In, class Out>
std::vector<Out> naive_requantize(const RequantizeCase<In>& c) {
  std::vector<Out> out;
  for (In v : c.x) {
    const int64_t q = int64_t{naive_requant(v - c.p.input_zero_point, c.p.requant.multiplier, c.p.requant.shift)} +
                      c.p.output_zero_point;
    out.push_back(static_cast<Out>(std::clamp<int64_t>(q, c.p.act_min, c.p.act_max)));
  }
  return out;
}

}  // namespace

void check_requantize_s8_s16(const requantize_s8_s16_kernel& k) {
  using Case = RequantizeCase<int8_t>;
  CaseRunner<Case, int16_t>{
      [](const Case& c) { return c.describe(); },
      [](const Case& c) { return static_cast<size_t>(c.p.count); },
      naive_requantize<int8_t, int16_t>,
      [](const Case& c, int16_t* out) { return topt_requantize_s8_s16__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, int16_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, requantize_cases<int8_t, int16_t>());
}

void check_requantize_s16_s8(const requantize_s16_s8_kernel& k) {
  using Case = RequantizeCase<int16_t>;
  CaseRunner<Case, int8_t>{
      [](const Case& c) { return c.describe(); },
      [](const Case& c) { return static_cast<size_t>(c.p.count); },
      naive_requantize<int16_t, int8_t>,
      [](const Case& c, int8_t* out) { return topt_requantize_s16_s8__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, int8_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, requantize_cases<int16_t, int8_t>());
}

void check_requantize_s16_s16(const requantize_s16_s16_kernel& k) {
  using Case = RequantizeCase<int16_t>;
  CaseRunner<Case, int16_t>{
      [](const Case& c) { return c.describe(); },
      [](const Case& c) { return static_cast<size_t>(c.p.count); },
      naive_requantize<int16_t, int16_t>,
      [](const Case& c, int16_t* out) { return topt_requantize_s16_s16__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, int16_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, requantize_cases<int16_t, int16_t>());
}

namespace {

// docs/numerics.md section 5, "Requantize between int8 and int16".
TEST(RuntimeRequantize, WorkedExampleOfNumericsDoc) {
  topt_requantize_params up{};
  up.count = 2;
  up.input_zero_point = 5;
  ASSERT_EQ(topt_quantize_multiplier(0.02 / 0.0005, &up.requant.multiplier, &up.requant.shift), TOPT_OK);
  EXPECT_EQ(up.requant.multiplier, 1342177280);
  EXPECT_EQ(up.requant.shift, 6);
  up.act_min = -32768;
  up.act_max = 32767;
  const int8_t x8[] = {12, -128};
  int16_t x16[2] = {};
  ASSERT_EQ(topt_requantize_s8_s16__ref(&up, x8, x16, nullptr), TOPT_OK);
  EXPECT_EQ(x16[0], 280);
  EXPECT_EQ(x16[1], -5320);

  topt_requantize_params down{};
  down.count = 3;
  down.output_zero_point = 5;
  ASSERT_EQ(topt_quantize_multiplier(0.0005 / 0.02, &down.requant.multiplier, &down.requant.shift), TOPT_OK);
  EXPECT_EQ(down.requant.multiplier, 1717986918);
  EXPECT_EQ(down.requant.shift, -5);
  down.act_min = -128;
  down.act_max = 127;
  const int16_t y16[] = {280, -5320, -5321};
  int8_t y8[3] = {};
  ASSERT_EQ(topt_requantize_s16_s8__ref(&down, y16, y8, nullptr), TOPT_OK);
  EXPECT_EQ(y8[0], 12);
  EXPECT_EQ(y8[1], -128);
  EXPECT_EQ(y8[2], -128);
}

TEST(RuntimeRequantize, WideningAtTheSameScaleIsExact) {
  topt_requantize_params p{};
  p.count = 256;
  p.input_zero_point = -37;
  p.requant = {1 << 30, 1};
  p.act_min = -32768;
  p.act_max = 32767;
  std::vector<int8_t> x(256);
  for (int i = 0; i < 256; ++i) x[static_cast<size_t>(i)] = static_cast<int8_t>(i - 128);
  std::vector<int16_t> y(256);
  ASSERT_EQ(topt_requantize_s8_s16__ref(&p, x.data(), y.data(), nullptr), TOPT_OK);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(y[static_cast<size_t>(i)], i - 128 + 37);
}

TEST(RuntimeRequantize, RejectsBadParameters) {
  topt_requantize_params p{};
  p.count = 1;
  p.requant = {1 << 30, 1};
  p.act_min = -128;
  p.act_max = 127;
  int16_t x16 = 0;
  int8_t x8 = 0;
  p.input_zero_point = 3;  // int16 input must have zero point 0
  EXPECT_EQ(topt_requantize_s16_s8__ref(&p, &x16, &x8, nullptr), TOPT_ERR_QUANT);
  p.input_zero_point = 0;
  p.requant.shift = 31;
  EXPECT_EQ(topt_requantize_s16_s8__ref(&p, &x16, &x8, nullptr), TOPT_ERR_QUANT);
  p.requant.shift = 1;
  p.count = 0;
  EXPECT_EQ(topt_requantize_s16_s8__ref(&p, &x16, &x8, nullptr), TOPT_ERR_SHAPE);
  p.count = 1;
  EXPECT_EQ(topt_requantize_s16_s8__ref(&p, nullptr, &x8, nullptr), TOPT_ERR_NULL);
  EXPECT_EQ(topt_requantize_s16_s8__ref(&p, &x16, &x8, nullptr), TOPT_OK);
}

}  // namespace
}  // namespace tinyopt::rt_test
