// conv2d_f32 / im2col / col2im kernels against the direct loops of exec_reference.h, over randomized geometries
// (odd sizes, groups, depthwise, pointwise, stride 2, asymmetric padding, dilation, batch > 1, threads).
#include <gtest/gtest.h>

#include <algorithm>

#include "exec/kernels/conv2d_f32.h"
#include "unit/exec_reference.h"
#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using kernels::Conv2dParams;
using testing::all_close;
using testing::naive_conv;
using testing::random_floats;
using testing::random_int;

Conv2dParams random_params(std::mt19937& rng, int kind) {
  Conv2dParams p;
  p.batch = random_int(rng, 1, 3);
  p.group = kind == 1 ? 1 : random_int(rng, 1, 3);
  p.in_channels = p.group * random_int(rng, 1, 5);
  p.out_channels = p.group * random_int(rng, 1, 5);
  if (kind == 2) {  // depthwise with a channel multiplier
    p.group = p.in_channels = random_int(rng, 2, 7);
    p.out_channels = p.in_channels * random_int(rng, 1, 2);
  }
  p.in_h = random_int(rng, 1, 11);
  p.in_w = random_int(rng, 1, 13);
  if (kind == 1) return p;  // pointwise: defaults are 1x1, stride 1, no pad
  p.kernel_h = random_int(rng, 1, 4);
  p.kernel_w = random_int(rng, 1, 4);
  p.stride_h = random_int(rng, 1, 2);
  p.stride_w = random_int(rng, 1, 3);
  p.dilation_h = random_int(rng, 1, 2);
  p.dilation_w = random_int(rng, 1, 2);
  p.pad_top = random_int(rng, 0, 2);
  p.pad_bottom = random_int(rng, 0, 2);
  p.pad_left = random_int(rng, 0, 3);
  p.pad_right = random_int(rng, 0, 1);
  return p;
}

TEST(ExecConv2dKernel, MatchesDirectLoopsOnRandomGeometries) {
  std::mt19937 rng(7);
  int tested = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int kind = trial % 3;  // 0 general/grouped, 1 pointwise, 2 depthwise
    const Conv2dParams p = random_params(rng, kind);
    if (p.out_h() <= 0 || p.out_w() <= 0) continue;
    ++tested;
    const auto x = random_floats(rng, p.batch * p.in_channels * p.in_h * p.in_w);
    const auto w = random_floats(rng, p.weight_numel());
    const auto bias = trial % 4 == 0 ? std::vector<float>{} : random_floats(rng, p.out_channels);
    kernels::ActivationClamp act;
    if (trial % 5 == 1) act.min = 0.0f;
    if (trial % 5 == 2) { act.min = 0.0f; act.max = 0.5f; }
    const auto want = naive_conv(p, x, w, bias, act);
    for (int threads : {1, 2}) {
      std::vector<float> scratch(kernels::conv2d_f32_scratch_floats(p, threads) + 1);
      std::vector<float> y(want.size(), -999.0f);
      kernels::conv2d_f32(p, x.data(), w.data(), bias.empty() ? nullptr : bias.data(), y.data(), act,
                          scratch.data(), threads);
      ASSERT_TRUE(all_close(y, want)) << "trial " << trial << " threads " << threads << " N" << p.batch << " C"
                                      << p.in_channels << " K" << p.out_channels << " H" << p.in_h << " W"
                                      << p.in_w << " k" << p.kernel_h << "x" << p.kernel_w << " s" << p.stride_h
                                      << "," << p.stride_w << " d" << p.dilation_h << "," << p.dilation_w
                                      << " g" << p.group;
    }
  }
  EXPECT_GT(tested, 200);
}

TEST(ExecConv2dKernel, OutSizeFollowsOnnxFormula) {
  EXPECT_EQ(kernels::conv_out_size(28, 3, 1, 1, 1, 1), 28);
  EXPECT_EQ(kernels::conv_out_size(7, 3, 2, 1, 1, 1), 4);
  EXPECT_EQ(kernels::conv_out_size(5, 3, 1, 0, 0, 2), 1);
  EXPECT_EQ(kernels::conv_out_size(2, 5, 1, 0, 0, 1), 0);  // kernel does not fit
  // ceil_mode (pooling): 5 with kernel 2 stride 2 gives 3 windows; the last may not start in the padding.
  EXPECT_EQ(kernels::conv_out_size(5, 2, 2, 0, 0, 1, true), 3);
  EXPECT_EQ(kernels::conv_out_size(4, 2, 2, 0, 1, 1, true), 2);
}

// col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)>, which is what backward relies on.
TEST(ExecConv2dKernel, Col2imIsAdjointOfIm2col) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 100; ++trial) {
    Conv2dParams p = random_params(rng, 0);
    p.batch = 1;
    if (p.out_h() <= 0 || p.out_w() <= 0) continue;
    const int64_t cg = p.in_channels_per_group();
    const auto x = random_floats(rng, cg * p.in_h * p.in_w);
    const auto c = random_floats(rng, p.col_rows() * p.col_cols());
    std::vector<float> col(c.size()), dx(x.size(), 0.0f);
    kernels::im2col_f32(p, x.data(), col.data());
    kernels::col2im_f32(p, c.data(), dx.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < c.size(); ++i) lhs += static_cast<double>(col[i]) * c[i];
    for (size_t i = 0; i < x.size(); ++i) rhs += static_cast<double>(x[i]) * dx[i];
    ASSERT_NEAR(lhs, rhs, 1e-3 * (1 + std::fabs(lhs))) << "trial " << trial;
  }
}

}  // namespace
}  // namespace tinyopt
