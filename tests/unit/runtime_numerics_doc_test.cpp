// The worked examples of docs/numerics.md section 12 (printed by docs/numerics_examples.py, an independent
// Python model), reproduced by the C kernels. If a number here changes, the document must change with it.
#include "tinyopt_rt_fixedpoint.h"
#include "unit/runtime_test_support.h"

namespace tinyopt::rt_test {
namespace {

TEST(RuntimeNumericsDoc, Multipliers) {
  struct {
    double real;
    int32_t m, shift;
  } cases[] = {{0.0072474273, 1992157647, -7}, {0.75, 1610612736, 0},        {1.5, 1610612736, 1}, {1.0, 1 << 30, 1},
               {0.0025, 1374389535, -8},       {9.094947017729282e-13, 0, 0}};
  for (const auto& c : cases) {
    int32_t m = -1, s = -1;
    ASSERT_EQ(topt_quantize_multiplier(c.real, &m, &s), TOPT_OK);
    EXPECT_EQ(m, c.m) << c.real;
    EXPECT_EQ(s, c.shift) << c.real;
  }
}

TEST(RuntimeNumericsDoc, Rounding) {
  EXPECT_EQ(topt_srdhm(1, 1 << 30), 1);
  EXPECT_EQ(topt_srdhm(-1, 1 << 30), 0);
  EXPECT_EQ(topt_srdhm(3, 1 << 30), 2);
  EXPECT_EQ(topt_srdhm(-3, 1 << 30), -1);
  EXPECT_EQ(topt_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
  EXPECT_EQ(topt_srdhm(INT32_MIN, INT32_MAX), -2147483647);
  EXPECT_EQ(topt_rdbpot(5, 1), 3);
  EXPECT_EQ(topt_rdbpot(-5, 1), -3);
  EXPECT_EQ(topt_rdbpot(6, 2), 2);
  EXPECT_EQ(topt_rdbpot(-6, 2), -2);
  EXPECT_EQ(topt_rdbpot(-7, 2), -2);
}

TEST(RuntimeNumericsDoc, OneConvOutput) {
  const int8_t x[3] = {12, -30, 100};
  const int8_t w[3] = {27, -64, 127};
  const int32_t bias[1] = {3000}, mult[1] = {1374389535}, shift[1] = {-8};
  topt_conv2d_params p{};
  p.win = topt_window2d{{1, 1, 1, 3}, {1, 1, 1, 1}, 1, 1, 1, 1, 1, 1, 0, 0};
  p.quant = topt_channel_quant{-10, 5, -128, 127, mult, shift};
  int8_t out = 0;
  ASSERT_EQ(topt_conv2d_s8__ref(&p, x, w, bias, &out, nullptr), TOPT_OK);
  EXPECT_EQ(out, 52);
  EXPECT_EQ(topt_srdhm(18844, 1374389535), 12060);
  EXPECT_EQ(topt_rdbpot(12060, 8), 47);
}

TEST(RuntimeNumericsDoc, Int4Packing) {
  const auto bytes = pack_int4({3, -2, -7, 5, 1});
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0xE3, 0x59, 0x01}));
}

TEST(RuntimeNumericsDoc, Add) {
  topt_add_params p{};
  ASSERT_EQ(topt_add_prepare(0.1, 3, 0.05, -7, 0.12, -2, &p), TOPT_OK);
  EXPECT_EQ(p.input1.multiplier, 1 << 30);
  EXPECT_EQ(p.input1.shift, 0);
  EXPECT_EQ(p.input2.multiplier, 1 << 30);
  EXPECT_EQ(p.input2.shift, -1);
  EXPECT_EQ(p.output.multiplier, 1789569707);
  EXPECT_EQ(p.output.shift, -19);
  const int8_t a[3] = {50, -128, 127}, b[3] = {-20, -128, 127};
  int8_t out[3];
  p.count = 3;
  ASSERT_EQ(topt_add_s8__ref(&p, a, b, out, nullptr), TOPT_OK);
  EXPECT_EQ(out[0], 32);
  EXPECT_EQ(out[1], -128);
  EXPECT_EQ(out[2], 127);
  EXPECT_EQ(topt_requantize(47 << 20, p.input1.multiplier, p.input1.shift), 24641536);
  EXPECT_EQ(topt_requantize(-13 * (1 << 20), p.input2.multiplier, p.input2.shift), -3407872);
}

TEST(RuntimeNumericsDoc, AveragePoolRounding) {
  // (sum, count) -> mean: 7/2 -> 4, -7/2 -> -4, -5/3 -> -2, 5/3 -> 2; pooled over a 1 x count window
  const struct {
    std::vector<int8_t> x;
    int8_t want;
  } cases[] = {{{3, 4}, 4}, {{-3, -4}, -4}, {{-1, -2, -2}, -2}, {{1, 2, 2}, 2}};
  for (const auto& c : cases) {
    const int32_t n = static_cast<int32_t>(c.x.size());
    topt_pool2d_params p{};
    p.win = topt_window2d{{1, 1, n, 1}, {1, 1, 1, 1}, 1, n, 1, 1, 1, 1, 0, 0};
    p.act_min = -128;
    p.act_max = 127;
    int8_t out = 0;
    ASSERT_EQ(topt_avgpool2d_s8__ref(&p, c.x.data(), &out, nullptr), TOPT_OK);
    EXPECT_EQ(out, c.want);
  }
}

TEST(RuntimeNumericsDoc, GlobalAveragePool) {
  topt_global_pool_params p{};
  p.input = topt_dims{1, 2, 2, 1};
  p.input_zero_point = -4;
  p.output_zero_point = 2;
  ASSERT_EQ(topt_quantize_multiplier(0.1 / (0.05 * 4), &p.requant.multiplier, &p.requant.shift), TOPT_OK);
  EXPECT_EQ(p.requant.multiplier, 1 << 30);
  EXPECT_EQ(p.requant.shift, 0);
  p.act_min = -128;
  p.act_max = 127;
  const int8_t x[4] = {10, -3, 7, 0};
  int8_t out = 0;
  ASSERT_EQ(topt_global_avgpool2d_s8__ref(&p, x, &out, nullptr), TOPT_OK);
  EXPECT_EQ(out, 17);
}

TEST(RuntimeNumericsDoc, HardSwishTable) {
  topt_hardswish_params p{};
  ASSERT_EQ(topt_hardswish_prepare(0.05, 0, 0.04, -20, &p), TOPT_OK);
  EXPECT_EQ(p.three, 60);
  EXPECT_EQ(p.six, 120);
  EXPECT_EQ(p.requant.multiplier, 1431655765);
  EXPECT_EQ(p.requant.shift, -6);
  const int8_t x[8] = {-128, -60, -30, 0, 30, 59, 60, 127};
  const int8_t want[8] = {-20, -20, -29, -20, 8, 53, 55, 127};
  int8_t out[8];
  p.count = 8;
  ASSERT_EQ(topt_hardswish_s8__ref(&p, x, out, nullptr), TOPT_OK);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], want[i]) << "q_in " << int{x[i]};
}

TEST(RuntimeNumericsDoc, Softmax) {
  topt_softmax_params p{};
  ASSERT_EQ(topt_softmax_prepare(1.0, 0.1, &p), TOPT_OK);
  p.rows = 1;
  p.row_size = 3;
  const int8_t x[3] = {10, 0, -10};
  int8_t out[3];
  ASSERT_EQ(topt_softmax_s8__ref(&p, x, out, nullptr), TOPT_OK);
  EXPECT_EQ(out[0], 42);
  EXPECT_EQ(out[1], -65);
  EXPECT_EQ(out[2], -105);
}

}  // namespace
}  // namespace tinyopt::rt_test
