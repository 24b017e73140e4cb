// Checker of the conv2d_maxpool_s8 family (declared in runtime_test_support.h, called per kernel variant by
// runtime_variants_test.cpp): the reference must equal the naive model (the naive conv of
// runtime_conv_cases.cpp, then a naive max pool with its clamp), and every variant the reference, on the conv
// cases combined with random pool windows (strides different from the kernel, padding, odd maps, windows
// that overlap) and the Fashion-MNIST teacher's conv + 2x2 pool layers.
#include "unit/runtime_case_runner.h"

namespace tinyopt::rt_test {
namespace {

struct ConvPoolCase {
  ConvCase conv;
  topt_pool2d_params pool{};
  topt_conv2d_maxpool_params params() const { return {conv.conv(), pool}; }
  size_t output_count() const {
    const topt_dims& o = pool.win.output;
    return static_cast<size_t>(o.n) * o.h * o.w * o.c;
  }
  std::string describe() const {
    return conv.describe() + " | pool " + rt_test::describe(pool.win) + " act [" + std::to_string(pool.act_min) +
           "," + std::to_string(pool.act_max) + "]";
  }
  // The naive conv's int8 outputs, max pooled over each window's valid taps, clamped.
  std::vector<int8_t> naive() const {
    const std::vector<int64_t> y = conv.naive();
    const topt_window2d& w = pool.win;
    std::vector<int8_t> out;
    for (int32_t b = 0; b < w.output.n; ++b)
      for (int32_t oy = 0; oy < w.output.h; ++oy)
        for (int32_t ox = 0; ox < w.output.w; ++ox)
          for (int32_t ch = 0; ch < w.output.c; ++ch) {
            int64_t m = INT64_MIN;
            for (int32_t ky = 0; ky < w.kernel_h; ++ky)
              for (int32_t kx = 0; kx < w.kernel_w; ++kx) {
                const int32_t iy = oy * w.stride_h - w.pad_top + ky, ix = ox * w.stride_w - w.pad_left + kx;
                if (iy < 0 || iy >= w.input.h || ix < 0 || ix >= w.input.w) continue;
                m = std::max(m, y[((static_cast<size_t>(b) * w.input.h + iy) * w.input.w + ix) * w.input.c + ch]);
              }
            out.push_back(static_cast<int8_t>(std::clamp<int64_t>(m, pool.act_min, pool.act_max)));
          }
    return out;
  }
};

// A pool window over conv case c's output: kernel, stride and padding as given, or random when kernel is 0.
// False when the window does not fit.
bool add_pool(Rng& rng, ConvPoolCase& c, int32_t kernel, int32_t stride, int32_t pad, int32_t pad_end) {
  topt_window2d& w = c.pool.win;
  w.input = c.conv.win.output;
  w.kernel_h = kernel ? kernel : rng.uniform(1, 3);
  w.kernel_w = kernel ? kernel : rng.uniform(1, 3);
  w.stride_h = kernel ? stride : rng.uniform(1, 3);
  w.stride_w = kernel ? stride : rng.uniform(1, 3);
  w.dilation_h = w.dilation_w = 1;
  w.pad_top = kernel ? pad : rng.uniform(0, w.kernel_h - 1);
  w.pad_left = kernel ? pad : rng.uniform(0, w.kernel_w - 1);
  const int32_t pad_bottom = kernel ? pad_end : rng.uniform(0, w.kernel_h - 1);
  const int32_t pad_right = kernel ? pad_end : rng.uniform(0, w.kernel_w - 1);
  const int32_t oh = (w.input.h + w.pad_top + pad_bottom - w.kernel_h) / w.stride_h + 1;
  const int32_t ow = (w.input.w + w.pad_left + pad_right - w.kernel_w) / w.stride_w + 1;
  if (w.input.h + w.pad_top + pad_bottom < w.kernel_h || w.input.w + w.pad_left + pad_right < w.kernel_w) return false;
  w.output = topt_dims{w.input.n, oh, ow, w.input.c};
  random_act_range(rng, c.conv.output_zero_point, -128, 127, &c.pool.act_min, &c.pool.act_max);
  return true;
}

std::vector<ConvPoolCase> conv_pool_cases() {
  std::vector<ConvPoolCase> cases;
  Rng rng(91);
  uint32_t seed = 5000;
  // the teacher's conv2 + pool1 and conv4 + pool2, a 2x2 pool of an odd map (the last row and column
  // dropped, then kept by end padding as ceil_mode does), 3x3 / stride 2 and 2x2 / stride 1 windows
  const struct {
    ConvTester conv;
    int32_t kernel, stride, pad, pad_end;
  } fixed[] = {
      {ConvTester().input(28, 28, 32).output_channels(32).kernel(3, 3).padding(1, 1, 1, 1), 2, 2, 0, 0},
      {ConvTester().input(14, 14, 64).output_channels(64).kernel(3, 3).padding(1, 1, 1, 1), 2, 2, 0, 0},
      {ConvTester().input(7, 7, 40).output_channels(33).kernel(3, 3).padding(1, 1, 1, 1), 2, 2, 0, 0},
      {ConvTester().input(7, 7, 40).output_channels(33).kernel(3, 3).padding(1, 1, 1, 1), 2, 2, 0, 1},
      {ConvTester().batch(2).input(15, 13, 8).output_channels(16).kernel(3, 3).padding(1, 1, 1, 1), 3, 2, 1, 1},
      {ConvTester().input(9, 11, 12).output_channels(70).kernel(3, 3).stride(1, 2).padding(1, 1, 1, 1), 2, 1, 0, 0},
      {ConvTester().input(16, 16, 4).output_channels(8).kernel(5, 5).dilation(2, 2).padding(4, 4, 4, 4), 2, 2, 1, 1},
  };
  for (const auto& f : fixed) {
    ConvPoolCase c;
    c.conv = ConvTester(f.conv).seed(++seed).build();
    if (add_pool(rng, c, f.kernel, f.stride, f.pad, f.pad_end)) cases.push_back(c);
  }
  for (const ConvCase& conv : conv_cases(ConvKind::kConv, false, false)) {
    ConvPoolCase c;
    c.conv = conv;
    if (add_pool(rng, c, 0, 0, 0, 0)) cases.push_back(c);
  }
  return cases;
}

}  // namespace

void check_conv2d_maxpool_s8(const conv2d_maxpool_s8_kernel& k) {
  CaseRunner<ConvPoolCase, int8_t>{
      [](const ConvPoolCase& c) { return c.describe(); },
      [](const ConvPoolCase& c) { return c.output_count(); },
      [](const ConvPoolCase& c) { return c.naive(); },
      [](const ConvPoolCase& c, int8_t* out) {
        const topt_conv2d_maxpool_params p = c.params();
        Scratch scratch(topt_conv2d_maxpool_s8__ref_scratch_bytes(&p));
        return topt_conv2d_maxpool_s8__ref(&p, c.conv.input8.data(), c.conv.weights.data(), c.conv.bias_s8(), out,
                                           scratch.get());
      },
      [&k](const ConvPoolCase& c) {
        const topt_conv2d_maxpool_params p = c.params();
        return k.supports(&p);
      },
      [&k](const ConvPoolCase& c) {
        const topt_conv2d_maxpool_params p = c.params();
        return k.scratch_bytes(&p);
      },
      [&k](const ConvPoolCase& c, int8_t* out, void* scratch) {
        const topt_conv2d_maxpool_params p = c.params();
        return k.run(&p, c.conv.input8.data(), c.conv.weights.data(), c.conv.bias_s8(), out, scratch);
      }}
      .check(k.name, conv_pool_cases());
}

TEST(RuntimeConvMaxPool, RejectsAPoolThatDoesNotReadTheConvOutput) {
  ConvPoolCase c;
  c.conv = ConvTester().input(8, 8, 16).output_channels(16).kernel(3, 3).padding(1, 1, 1, 1).build();
  Rng rng(3);
  ASSERT_TRUE(add_pool(rng, c, 2, 2, 0, 0));
  topt_conv2d_maxpool_params p = c.params();
  EXPECT_EQ(topt_conv2d_maxpool_params_check(&p), TOPT_OK);
  p.pool.win.input.c = 15;
  p.pool.win.output.c = 15;
  EXPECT_EQ(topt_conv2d_maxpool_params_check(&p), TOPT_ERR_SHAPE);
  std::vector<int8_t> out(c.output_count());
  Scratch scratch(4096);
  EXPECT_EQ(topt_conv2d_maxpool_s8__ref(&p, c.conv.input8.data(), c.conv.weights.data(), c.conv.bias_s8(), out.data(),
                                        scratch.get()),
            TOPT_ERR_SHAPE);
}

}  // namespace tinyopt::rt_test
