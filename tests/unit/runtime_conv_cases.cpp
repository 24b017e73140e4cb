// Definitions for runtime_conv_cases.h: case construction, the naive model and the case lists.
#include "unit/runtime_conv_cases.h"

#include <cmath>

namespace tinyopt::rt_test {

size_t ConvCase::output_count() const {
  return static_cast<size_t>(win.output.n) * win.output.h * win.output.w * win.output.c;
}

topt_channel_quant ConvCase::quant() const {
  return topt_channel_quant{input_zero_point, output_zero_point,         act_min,
                            act_max,          requant.multiplier.data(), requant.shift.data()};
}

topt_conv2d_params ConvCase::conv() const { return topt_conv2d_params{win, quant()}; }
topt_dwconv2d_params ConvCase::dwconv() const { return topt_dwconv2d_params{win, depth_multiplier, quant()}; }
topt_dense_params ConvCase::dense() const { return topt_dense_params{win.input.n, win.input.c, win.output.c, quant()}; }

std::string ConvCase::describe() const {
  std::ostringstream os;
  os << (kind == ConvKind::kConv        ? "conv"
         : kind == ConvKind::kDepthwise ? "depthwise"
                                        : "dense")
     << (int16 ? " int16-act" : " int8-act") << (int4 ? " int4-weights" : " int8-weights")
     << (has_bias ? "" : " no-bias") << " seed " << seed;
  if (kind == ConvKind::kDepthwise) os << " depth_multiplier " << depth_multiplier;
  os << "\n  " << rt_test::describe(win) << "\n  " << rt_test::describe(quant(), win.output.c);
  return os.str();
}

std::vector<int64_t> ConvCase::naive() const {
  const topt_window2d& w = win;
  std::vector<int64_t> out(output_count());
  const int64_t lo = act_min, hi = act_max;
  size_t o = 0;
  for (int32_t b = 0; b < w.output.n; ++b)
    for (int32_t oy = 0; oy < w.output.h; ++oy)
      for (int32_t ox = 0; ox < w.output.w; ++ox)
        for (int32_t oc = 0; oc < w.output.c; ++oc) {
          int64_t acc = has_bias ? (int16 ? bias64[oc] : bias32[oc]) : 0;
          for (int32_t ky = 0; ky < w.kernel_h; ++ky)
            for (int32_t kx = 0; kx < w.kernel_w; ++kx) {
              const int32_t iy = oy * w.stride_h - w.pad_top + ky * w.dilation_h;
              const int32_t ix = ox * w.stride_w - w.pad_left + kx * w.dilation_w;
              if (iy < 0 || iy >= w.input.h || ix < 0 || ix >= w.input.w) continue;
              const size_t pixel = ((static_cast<size_t>(b) * w.input.h + iy) * w.input.w + ix) * w.input.c;
              auto x = [&](int32_t ic) -> int64_t {
                return int16 ? input16[pixel + ic] : int64_t{input8[pixel + ic]} - input_zero_point;
              };
              if (kind == ConvKind::kDepthwise) {
                const int32_t ic = oc / depth_multiplier;
                acc += x(ic) * weights[(static_cast<size_t>(ky) * w.kernel_w + kx) * w.output.c + oc];
              } else {
                for (int32_t ic = 0; ic < w.input.c; ++ic)
                  acc +=
                      x(ic) * weights[((static_cast<size_t>(oc) * w.kernel_h + ky) * w.kernel_w + kx) * w.input.c + ic];
              }
            }
          const int32_t m = requant.multiplier[oc], s = requant.shift[oc];
          if (int16) {
            const int64_t v = naive_requant64(acc, m, s);
            out[o++] = v < lo ? lo : (v > hi ? hi : v);
          } else {
            out[o++] = naive_output_s8(acc, m, s, output_zero_point, act_min, act_max);
          }
        }
  return out;
}

ConvCase ConvTester::build() const {
  ConvCase c;
  Rng rng(seed_);
  c.kind = kind_;
  c.seed = seed_;
  c.int16 = int16_;
  c.int4 = int4_;
  c.has_bias = bias_;
  c.depth_multiplier = kind_ == ConvKind::kDepthwise ? mult_ : 1;
  const int32_t cout = kind_ == ConvKind::kDepthwise ? c_ * mult_ : cout_;
  topt_window2d& w = c.win;
  w.input = topt_dims{n_, h_, w_, c_};
  w.kernel_h = kh_;
  w.kernel_w = kw_;
  w.stride_h = sh_;
  w.stride_w = sw_;
  w.dilation_h = dh_;
  w.dilation_w = dw_;
  w.pad_top = pt_;
  w.pad_left = pl_;
  const int32_t oh = (h_ + pt_ + pb_ - dh_ * (kh_ - 1) - 1) / sh_ + 1;
  const int32_t ow = (w_ + pl_ + pr_ - dw_ * (kw_ - 1) - 1) / sw_ + 1;
  w.output = topt_dims{n_, std::max(oh, 1), std::max(ow, 1), cout};

  const size_t in_count = static_cast<size_t>(n_) * h_ * w_ * c_;
  const int64_t k = kind_ == ConvKind::kDepthwise ? int64_t{kh_} * kw_ : int64_t{kh_} * kw_ * c_;
  const size_t w_count = kind_ == ConvKind::kDepthwise ? static_cast<size_t>(kh_) * kw_ * cout
                                                       : static_cast<size_t>(cout) * kh_ * kw_ * c_;
  double x_std, w_std;
  if (int16_) {
    c.input16 = rng.values<int16_t>(in_count, -32768, 32767);
    x_std = 18900;
  } else {
    c.input_zero_point = rng.uniform(-128, 127);
    c.input8 = rng.values<int8_t>(in_count, -128, 127);
    x_std = 74 + std::abs(c.input_zero_point) / 2.0;
    c.output_zero_point = rng.uniform(-128, 127);
  }
  c.weights = int4_ ? rng.values<int8_t>(w_count, -8, 7) : rng.values<int8_t>(w_count, -128, 127);
  w_std = int4_ ? 4.6 : 74;
  if (int4_) c.packed = pack_int4(c.weights);
  const bool extreme_bias = rng.chance(0.1);
  for (int32_t oc = 0; oc < cout; ++oc) {
    if (int16_) {
      const int64_t big = (int64_t{1} << 46) - 1;
      c.bias64.push_back(extreme_bias ? (rng.chance(0.5) ? big : -big)
                                      : int64_t{rng.uniform(-1 << 30, 1 << 30)} * rng.uniform(0, 64));
    } else {
      c.bias32.push_back(extreme_bias ? (rng.chance(0.5) ? (1 << 30) : -(1 << 30)) : rng.uniform(-(1 << 18), 1 << 18));
    }
  }
  const double acc_std = std::sqrt(static_cast<double>(k)) * x_std * w_std;
  c.requant = random_channel_requant(rng, cout, acc_std, int16_ ? 9000 : 45, int16_ ? 14 : 30);
  if (int16_)
    random_act_range(rng, 0, -32768, 32767, &c.act_min, &c.act_max);
  else
    random_act_range(rng, c.output_zero_point, -128, 127, &c.act_min, &c.act_max);
  return c;
}

namespace {

// Random window shapes; every dimension small so the naive model stays fast.
ConvTester random_tester(Rng& rng, ConvKind kind, uint32_t seed) {
  ConvTester t;
  const int32_t kh = rng.uniform(1, 5), kw = rng.uniform(1, 5);
  const int32_t dh = rng.chance(0.25) ? 2 : 1, dw = rng.chance(0.25) ? 2 : 1;
  t.batch(rng.uniform(1, 3))
      .input(rng.uniform(1, 11), rng.uniform(1, 11), rng.uniform(1, 40))
      .kernel(kh, kw)
      .stride(rng.uniform(1, 3), rng.uniform(1, 3))
      .dilation(dh, dw)
      .padding(rng.uniform(0, kh - 1), rng.uniform(0, kw - 1), rng.uniform(0, kh - 1), rng.uniform(0, kw - 1))
      .output_channels(rng.uniform(1, 24))
      .bias(!rng.chance(0.1))
      .seed(seed);
  if (kind == ConvKind::kDepthwise) t.depthwise(rng.chance(0.7) ? 1 : rng.uniform(2, 3));
  if (kind == ConvKind::kDense)
    t.batch(rng.uniform(1, 6))
        .input(1, 1, rng.uniform(1, 300))
        .kernel(1, 1)
        .stride(1, 1)
        .dilation(1, 1)
        .padding(0, 0, 0, 0);
  return t;
}

}  // namespace

std::vector<ConvCase> conv_cases(ConvKind kind, bool int16, bool int4) {
  std::vector<ConvTester> t;
  uint32_t seed = 1000;
  auto add = [&](ConvTester x) { t.push_back(x.seed(++seed)); };
  if (kind == ConvKind::kConv) {
    // pointwise: channels around SIMD widths, batch > 1, a DS-CNN layer
    const int32_t pw[][2] = {{1, 1}, {3, 5}, {8, 16}, {15, 17}, {16, 4}, {17, 33}, {33, 7}, {64, 64}, {31, 2}};
    for (const auto& io : pw) add(ConvTester().batch(io[0] % 3 + 1).input(3, 5, io[0]).output_channels(io[1]));
    add(ConvTester().input(25, 5, 64).output_channels(64));
    add(ConvTester().batch(2).input(1, 1, 100).output_channels(10).bias(false));
    // general windows
    add(ConvTester().input(8, 8, 16).output_channels(16).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().batch(2).input(9, 7, 3).output_channels(8).kernel(3, 3).stride(2, 2).padding(0, 0, 1, 1));
    add(ConvTester().input(7, 9, 5).output_channels(6).kernel(3, 3).dilation(2, 2).padding(2, 2, 2, 2));
    add(ConvTester().input(49, 10, 1).output_channels(12).kernel(10, 4).stride(2, 2).padding(4, 1, 5, 1));
    add(ConvTester().input(6, 6, 17).output_channels(19).kernel(1, 3).padding(0, 1, 0, 1));
    add(ConvTester().input(5, 5, 2).output_channels(3).kernel(5, 5).padding(4, 4, 4,
                                                                            4));     // border outputs see no input
    add(ConvTester().input(8, 8, 16).output_channels(5).kernel(1, 1).stride(2, 2));  // 1x1 but not pointwise
    add(ConvTester().input(3, 3, 1).output_channels(1).kernel(3, 3));
    add(ConvTester().input(32, 32, 16).output_channels(16).kernel(3, 3).padding(1, 1, 1, 1));  // ResNet-8 layer
    // output rows of 7 or 8 pixels (x86 VNNI row tiles, skipping filter rows that read only the border): the
    // Fashion-MNIST teacher's 14 x 14 and 7 x 7 layers, a strided dilated one whose top row reads one filter
    // row, and one whose first and last output rows read no input at all
    add(ConvTester().input(14, 14, 32).output_channels(64).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().input(7, 7, 64).output_channels(40).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().batch(2).input(13, 15, 8).output_channels(16).kernel(3, 3).stride(2, 2).dilation(2, 1).padding(3, 1, 3, 1));
    add(ConvTester().input(3, 9, 4).output_channels(9).kernel(3, 3).padding(4, 0, 4, 0));
    // few input channels (x86 VNNI row runs: a filter row's taps read as quads of the unpadded channels, the
    // quads' tails past the row facing zero weights): the Fashion-MNIST first layer; stride 2 with odd input
    // widths into 7- and 8-wide rows; 2 channels over 11-wide rows (tiles across rows); a 5-wide kernel row
    // (2 quads, 3 bytes of tail) strided; a horizontally dilated 2-channel one (channels padded instead)
    add(ConvTester().input(28, 28, 1).output_channels(32).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().input(15, 13, 1).output_channels(33).kernel(3, 3).stride(2, 2).padding(1, 1, 1, 1));
    add(ConvTester().input(10, 15, 2).output_channels(8).kernel(3, 3).stride(2, 2).padding(0, 1, 1, 1));
    add(ConvTester().input(9, 11, 2).output_channels(31).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().batch(2).input(7, 9, 1).output_channels(5).kernel(2, 5).stride(1, 2).padding(1, 2, 0, 2));
    add(ConvTester().batch(2).input(11, 9, 2).output_channels(17).kernel(3, 2).stride(2, 1).dilation(2, 2).padding(2, 1, 1, 0));
  } else if (kind == ConvKind::kDepthwise) {
    const int32_t channels[] = {1, 3, 8, 15, 16, 17, 24, 33, 64};
    for (int32_t ch : channels) add(ConvTester().depthwise(1).input(6, 5, ch).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().depthwise(1).input(25, 5, 64).kernel(3, 3).padding(1, 1, 1, 1));  // DS-CNN layer
    add(ConvTester().depthwise(1).batch(2).input(9, 9, 20).kernel(3, 3).stride(2, 2).padding(0, 0, 1, 1));
    add(ConvTester().depthwise(1).input(9, 9, 24).kernel(5, 5).dilation(2, 2).padding(4, 4, 4, 4));
    add(ConvTester().depthwise(1).input(10, 10, 8).kernel(9, 9).padding(4, 4, 4, 4));  // 81 taps
    add(ConvTester().depthwise(2).input(5, 5, 7).kernel(3, 3).padding(1, 1, 1, 1));
    add(ConvTester().depthwise(3).input(4, 6, 3).kernel(3, 1).stride(1, 2));
    add(ConvTester().depthwise(1).input(5, 5, 16).kernel(3, 3).padding(2, 2, 2, 2).bias(false));
  } else {
    const int32_t io[][2] = {{1, 1}, {3, 5}, {15, 4}, {16, 16}, {17, 33}, {31, 8}, {64, 12}, {250, 10}, {640, 128}};
    for (const auto& x : io) add(ConvTester().dense().batch(x[0] % 4 + 1).input(1, 1, x[0]).output_channels(x[1]));
    add(ConvTester().dense().batch(7).input(1, 1, 40).output_channels(3).bias(false));
  }
  Rng rng(int16 ? 77 : (int4 ? 55 : 33));
  for (int i = 0; i < 40; ++i) t.push_back(random_tester(rng, kind, ++seed));
  std::vector<ConvCase> cases;
  for (auto& x : t) {
    if (int16) x.int16_activations();
    if (int4) x.int4_weights();
    cases.push_back(x.build());
  }
  return cases;
}

}  // namespace tinyopt::rt_test
