// Float executor, node level: Conv (attributes, auto_pad, 1-D, bias), pooling (auto_pad, Indices),
// Gemm, MatMul, BatchNormalization and ReduceMean against direct loops written here.
#include <gtest/gtest.h>

#include <cmath>

#include "unit/exec_reference.h"
#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using kernels::Conv2dParams;
using testing::all_close;
using testing::naive_conv;
using testing::random_int;
using testing::random_tensor;
using testing::run_single;
using testing::values_of;

TEST(ExecNnOps, ConvAttributesAndAutoPad) {
  std::mt19937 rng(5);
  struct Case {
    std::string auto_pad;
    int64_t h, w, k, stride, dilation, group;
  };
  const Case cases[] = {{"NOTSET", 9, 7, 3, 2, 1, 1}, {"SAME_UPPER", 8, 9, 3, 2, 1, 2},
                        {"SAME_LOWER", 8, 9, 4, 2, 1, 1}, {"VALID", 10, 6, 3, 1, 2, 3},
                        {"SAME_UPPER", 5, 5, 3, 1, 1, 6}};  // the last one depthwise
  for (const Case& c : cases) {
    Conv2dParams p;
    p.batch = 2;
    p.in_channels = 6;
    p.out_channels = c.group == 6 ? 12 : 4 * c.group;
    p.group = c.group;
    p.in_h = c.h;
    p.in_w = c.w;
    p.kernel_h = p.kernel_w = c.k;
    p.stride_h = p.stride_w = c.stride;
    p.dilation_h = p.dilation_w = c.dilation;
    std::map<std::string, Attribute> attrs = {{"group", c.group},
                                              {"strides", std::vector<int64_t>{c.stride, c.stride}},
                                              {"dilations", std::vector<int64_t>{c.dilation, c.dilation}}};
    if (c.auto_pad == "NOTSET") {
      p.pad_top = 1, p.pad_left = 0, p.pad_bottom = 2, p.pad_right = 1;
      attrs["pads"] = std::vector<int64_t>{1, 0, 2, 1};
    } else {
      attrs["auto_pad"] = c.auto_pad;
      if (c.auto_pad != "VALID") {  // total = (ceil(in/s)-1)*s + (k-1)*d + 1 - in; odd pad at the end for UPPER
        auto same = [&](int64_t in, int64_t* begin, int64_t* end) {
          const int64_t out = (in + c.stride - 1) / c.stride;
          const int64_t total = std::max<int64_t>(0, (out - 1) * c.stride + (c.k - 1) * c.dilation + 1 - in);
          *begin = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
          *end = total - *begin;
        };
        same(c.h, &p.pad_top, &p.pad_bottom);
        same(c.w, &p.pad_left, &p.pad_right);
      }
    }
    const Tensor x = random_tensor(rng, {p.batch, p.in_channels, p.in_h, p.in_w});
    const Tensor w = random_tensor(rng, {p.out_channels, p.in_channels / p.group, p.kernel_h, p.kernel_w});
    const Tensor b = random_tensor(rng, {p.out_channels});
    const auto want = naive_conv(p, values_of(x), values_of(w), values_of(b), {});
    for (int threads : {1, 2}) {
      const auto got = run_single(OpType::kConv, {x, w, b}, attrs, 1, threads);
      ASSERT_EQ(got[0].shape(), (Shape{p.batch, p.out_channels, p.out_h(), p.out_w()})) << c.auto_pad;
      EXPECT_TRUE(all_close(values_of(got[0]), want)) << c.auto_pad << " threads " << threads;
    }
  }
}

TEST(ExecNnOps, Conv1dIsConv2dWithUnitHeight) {
  std::mt19937 rng(6);
  const Tensor x = random_tensor(rng, {3, 4, 11});
  const Tensor w = random_tensor(rng, {5, 4, 3});
  Conv2dParams p;
  p.batch = 3, p.in_channels = 4, p.out_channels = 5, p.in_w = 11, p.kernel_w = 3, p.stride_w = 2, p.pad_left = 1,
  p.pad_right = 2;
  const auto want = naive_conv(p, values_of(x), values_of(w), {}, {});
  const auto got = run_single(OpType::kConv, {x, w},
                              {{"strides", std::vector<int64_t>{2}}, {"pads", std::vector<int64_t>{1, 2}}});
  ASSERT_EQ(got[0].shape(), (Shape{3, 5, p.out_w()}));
  EXPECT_TRUE(all_close(values_of(got[0]), want));
}

// 3-D convolution against a reference that pads the input explicitly and then slides without bounds checks.
TEST(ExecNnOps, Conv3dGroupsStridesPadsDilations) {
  std::mt19937 rng(14);
  const int64_t n = 2, c = 4, k = 6, group = 2;
  const Shape in = {5, 4, 6}, kernel = {2, 3, 2}, stride = {1, 2, 1}, dil = {2, 1, 1};
  const std::vector<int64_t> pads = {1, 0, 1, 0, 1, 1};  // begins (D, H, W), then ends
  const Tensor x = random_tensor(rng, {n, c, in[0], in[1], in[2]});
  const Tensor w = random_tensor(rng, {k, c / group, kernel[0], kernel[1], kernel[2]});
  const Tensor b = random_tensor(rng, {k});
  Shape padded(3), out(3);
  for (size_t i = 0; i < 3; ++i) {
    padded[i] = in[i] + pads[i] + pads[3 + i];
    out[i] = (padded[i] - dil[i] * (kernel[i] - 1) - 1) / stride[i] + 1;
  }
  std::vector<double> xp(static_cast<size_t>(n * c * padded[0] * padded[1] * padded[2]), 0.0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t r = i;
    const int64_t ww = r % in[2]; r /= in[2];
    const int64_t hh = r % in[1]; r /= in[1];
    const int64_t dd = r % in[0]; r /= in[0];
    xp[static_cast<size_t>((((r * padded[0]) + dd + pads[0]) * padded[1] + hh + pads[1]) * padded[2] + ww + pads[2])] = x.data<float>()[i];
  }
  std::vector<float> want;
  for (int64_t bn = 0; bn < n; ++bn)
    for (int64_t ko = 0; ko < k; ++ko)
      for (int64_t d = 0; d < out[0]; ++d)
        for (int64_t h = 0; h < out[1]; ++h)
          for (int64_t wo = 0; wo < out[2]; ++wo) {
            double s = b.data<float>()[ko];
            const int64_t g = ko / (k / group);
            for (int64_t ci = 0; ci < c / group; ++ci)
              for (int64_t a = 0; a < kernel[0]; ++a)
                for (int64_t bb = 0; bb < kernel[1]; ++bb)
                  for (int64_t e = 0; e < kernel[2]; ++e)
                    s += double{w.data<float>()[(((ko * (c / group) + ci) * kernel[0] + a) * kernel[1] + bb) * kernel[2] + e]} *
                         xp[static_cast<size_t>(((((bn * c + g * (c / group) + ci) * padded[0]) + d * stride[0] + a * dil[0]) *
                                                     padded[1] + h * stride[1] + bb * dil[1]) * padded[2] + wo * stride[2] + e * dil[2])];
            want.push_back(static_cast<float>(s));
          }
  const auto got = run_single(OpType::kConv, {x, w, b},
                              {{"group", group}, {"strides", stride}, {"dilations", dil}, {"pads", pads}});
  ASSERT_EQ(got[0].shape(), (Shape{n, k, out[0], out[1], out[2]}));
  EXPECT_TRUE(all_close(values_of(got[0]), want));
}

// ConvTranspose against a scatter loop: every input element adds w * x to the outputs its kernel covers.
TEST(ExecNnOps, ConvTransposeMatchesScatterLoop) {
  std::mt19937 rng(15);
  struct Case {
    int64_t group, stride, dilation, out_pad;
    std::vector<int64_t> pads;  // top, left, bottom, right
    bool one_d;
  };
  const Case cases[] = {{1, 1, 1, 0, {0, 0, 0, 0}, false}, {2, 2, 1, 1, {1, 0, 0, 1}, false},
                        {1, 3, 2, 2, {2, 1, 1, 0}, false}, {3, 2, 1, 0, {0, 1, 0, 1}, true}};
  for (const Case& c : cases) {
    const int64_t n = 2, cin = 3 * c.group, cout_g = 2, kh = c.one_d ? 1 : 3, kw = 2, h = c.one_d ? 1 : 4, w = 5;
    const Tensor x = c.one_d ? random_tensor(rng, {n, cin, w}) : random_tensor(rng, {n, cin, h, w});
    const Tensor wt = c.one_d ? random_tensor(rng, {cin, cout_g, kw}) : random_tensor(rng, {cin, cout_g, kh, kw});
    const Tensor b = random_tensor(rng, {cout_g * c.group});
    const int64_t pt = c.one_d ? 0 : c.pads[0], pl = c.pads[1], pb = c.one_d ? 0 : c.pads[2], pr = c.pads[3];
    const int64_t oh = c.one_d ? 1 : c.stride * (h - 1) + c.out_pad + (kh - 1) * c.dilation + 1 - pt - pb;
    const int64_t ow = c.stride * (w - 1) + c.out_pad + (kw - 1) * c.dilation + 1 - pl - pr;
    const int64_t cout = cout_g * c.group, cin_g = cin / c.group;
    std::vector<double> y(static_cast<size_t>(n * cout * oh * ow), 0.0);
    for (int64_t bn = 0; bn < n; ++bn)
      for (int64_t k = 0; k < cin; ++k)
        for (int64_t i = 0; i < h; ++i)
          for (int64_t j = 0; j < w; ++j) {
            const float xv = x.data<float>()[((bn * cin + k) * h + i) * w + j];
            for (int64_t co = 0; co < cout_g; ++co)
              for (int64_t a = 0; a < kh; ++a)
                for (int64_t e = 0; e < kw; ++e) {
                  const int64_t yi = i * c.stride - pt + a * c.dilation, yj = j * c.stride - pl + e * c.dilation;
                  if (yi < 0 || yi >= oh || yj < 0 || yj >= ow) continue;
                  const int64_t oc = (k / cin_g) * cout_g + co;
                  y[static_cast<size_t>(((bn * cout + oc) * oh + yi) * ow + yj)] +=
                      double{xv} * wt.data<float>()[((k * cout_g + co) * kh + a) * kw + e];
                }
          }
    std::vector<float> want;
    for (size_t i = 0; i < y.size(); ++i)
      want.push_back(static_cast<float>(y[i] + b.data<float>()[(static_cast<int64_t>(i) / (oh * ow)) % cout]));
    std::map<std::string, Attribute> attrs = {{"group", c.group}};
    if (c.one_d) {
      attrs["strides"] = std::vector<int64_t>{c.stride};
      attrs["dilations"] = std::vector<int64_t>{c.dilation};
      attrs["output_padding"] = std::vector<int64_t>{c.out_pad};
      attrs["pads"] = std::vector<int64_t>{pl, pr};
    } else {
      attrs["strides"] = std::vector<int64_t>{c.stride, c.stride};
      attrs["dilations"] = std::vector<int64_t>{c.dilation, c.dilation};
      attrs["output_padding"] = std::vector<int64_t>{c.out_pad, c.out_pad};
      attrs["pads"] = std::vector<int64_t>{pt, pl, pb, pr};
    }
    const auto got = run_single(OpType::kConvTranspose, {x, wt, b}, attrs, 1, 2);
    ASSERT_EQ(got[0].shape(), c.one_d ? (Shape{n, cout, ow}) : (Shape{n, cout, oh, ow}));
    EXPECT_TRUE(all_close(values_of(got[0]), want)) << "group " << c.group << " stride " << c.stride;
  }
  // output_shape and auto_pad decide the pads (ONNX: the odd pad at the end for SAME_UPPER).
  const Tensor x = random_tensor(rng, {1, 1, 3, 3}), wt = random_tensor(rng, {1, 2, 3, 3});
  const auto same = run_single(OpType::kConvTranspose, {x, wt},
                               {{"strides", std::vector<int64_t>{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}});
  EXPECT_EQ(same[0].shape(), (Shape{1, 2, 6, 6}));
  const auto shaped = run_single(OpType::kConvTranspose, {x, wt},
                                 {{"strides", std::vector<int64_t>{3, 2}}, {"output_shape", std::vector<int64_t>{10, 8}}});
  EXPECT_EQ(shaped[0].shape(), (Shape{1, 2, 10, 8}));
}

TEST(ExecNnOps, ConvRejectsInconsistentChannelsAndBias) {
  std::mt19937 rng(7);
  EXPECT_THROW(run_single(OpType::kConv, {random_tensor(rng, {1, 3, 5, 5}), random_tensor(rng, {4, 2, 3, 3})}), Error);
  EXPECT_THROW(run_single(OpType::kConv, {random_tensor(rng, {1, 3, 5, 5}), random_tensor(rng, {4, 3, 3, 3}),
                                          random_tensor(rng, {3})}),
               Error);
}

TEST(ExecNnOps, PoolingSameUpperCeilModeAndIndices) {
  // 1x1x5x5 ramp, kernel 2 stride 2: with SAME_UPPER the output is 3x3 and the last row/col windows are
  // clipped (pads only at the end); max picks the bottom-right element of each window.
  std::vector<float> ramp(25);
  for (int i = 0; i < 25; ++i) ramp[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  const Tensor x = Tensor::from_f32({1, 1, 5, 5}, ramp);
  const std::map<std::string, Attribute> same = {{"kernel_shape", std::vector<int64_t>{2, 2}},
                                                 {"strides", std::vector<int64_t>{2, 2}},
                                                 {"auto_pad", std::string("SAME_UPPER")}};
  const auto mp = run_single(OpType::kMaxPool, {x}, same, 2);
  EXPECT_EQ(values_of(mp[0]), (std::vector<float>{7, 9, 10, 17, 19, 20, 22, 24, 25}));
  EXPECT_EQ(std::vector<int64_t>(mp[1].data<int64_t>(), mp[1].data<int64_t>() + 9),
            (std::vector<int64_t>{6, 8, 9, 16, 18, 19, 21, 23, 24}));
  const auto ap = run_single(OpType::kAveragePool, {x}, same);
  EXPECT_EQ(values_of(ap[0]), (std::vector<float>{4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25}));
  // ceil_mode gives the same 3x3 without padding; count_include_pad changes the border divisors.
  const auto ceil = run_single(OpType::kAveragePool, {x},
                               {{"kernel_shape", std::vector<int64_t>{2, 2}},
                                {"strides", std::vector<int64_t>{2, 2}},
                                {"ceil_mode", int64_t{1}}});
  EXPECT_EQ(values_of(ceil[0]), values_of(ap[0]));
  const auto incl = run_single(OpType::kAveragePool, {x},
                               {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                                {"count_include_pad", int64_t{1}}});
  EXPECT_FLOAT_EQ(incl[0].data<float>()[0], (1 + 2 + 6 + 7) / 9.0f);
  // Indices over a batch count from the start of the whole tensor.
  std::mt19937 rng(8);
  const Tensor xb = random_tensor(rng, {2, 3, 4, 4});
  const auto mb = run_single(OpType::kMaxPool, {xb}, {{"kernel_shape", std::vector<int64_t>{2, 2}}}, 2);
  for (int64_t i = 0; i < mb[0].numel(); ++i)
    EXPECT_EQ(mb[0].data<float>()[i], xb.data<float>()[mb[1].data<int64_t>()[i]]);
}

TEST(ExecNnOps, GlobalAveragePoolAnyRank) {
  std::mt19937 rng(9);
  const Tensor x = random_tensor(rng, {2, 3, 4, 5, 2});
  const auto got = run_single(OpType::kGlobalAveragePool, {x});
  ASSERT_EQ(got[0].shape(), (Shape{2, 3, 1, 1, 1}));
  for (int64_t p = 0; p < 6; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < 40; ++i) sum += x.data<float>()[p * 40 + i];
    EXPECT_NEAR(got[0].data<float>()[p], sum / 40, 1e-5);
  }
}

TEST(ExecNnOps, GemmAllAttributesAndBiasShapes) {
  std::mt19937 rng(10);
  for (int trial = 0; trial < 48; ++trial) {
    const int64_t m = random_int(rng, 1, 9), n = random_int(rng, 1, 17), k = random_int(rng, 1, 13);
    const bool ta = trial % 2, tb = (trial / 2) % 2;
    const float alpha = trial % 3 == 0 ? 1.0f : 0.5f, beta = trial % 5 == 0 ? 0.0f : 1.5f;
    const Shape c_shapes[] = {{}, {n}, {1, n}, {m, 1}, {m, n}, {1}};
    const int c_kind = (trial / 4) % 7;  // 6 = no C
    const Tensor a = random_tensor(rng, ta ? Shape{k, m} : Shape{m, k});
    const Tensor b = random_tensor(rng, tb ? Shape{n, k} : Shape{k, n});
    const Tensor c = c_kind < 6 ? random_tensor(rng, c_shapes[c_kind]) : Tensor();
    std::vector<float> want(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t q = 0; q < k; ++q)
          s += double{a.data<float>()[ta ? q * m + i : i * k + q]} * b.data<float>()[tb ? j * k + q : q * n + j];
        double cv = 0;
        if (!c.empty()) {
          const Shape& cs = c.shape();
          const int64_t rows = cs.size() == 2 ? cs[0] : 1, cols = cs.empty() ? 1 : cs.back();
          cv = c.data<float>()[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
        }
        want[static_cast<size_t>(i * n + j)] = static_cast<float>(alpha * s + beta * cv);
      }
    const auto got = run_single(OpType::kGemm, {a, b, c},
                                {{"transA", int64_t{ta}}, {"transB", int64_t{tb}}, {"alpha", alpha}, {"beta", beta}},
                                1, 1 + trial % 2);
    ASSERT_EQ(got[0].shape(), (Shape{m, n}));
    EXPECT_TRUE(all_close(values_of(got[0]), want)) << "trial " << trial;
  }
}

TEST(ExecNnOps, MatMulBroadcastsBatchesAndPromotesVectors) {
  std::mt19937 rng(11);
  struct Case { Shape a, b, y; };
  const Case cases[] = {{{3, 4}, {4, 5}, {3, 5}},          {{2, 3, 4}, {4, 5}, {2, 3, 5}},
                        {{2, 1, 3, 4}, {3, 4, 2}, {2, 3, 3, 2}}, {{4}, {2, 4, 3}, {2, 3}},
                        {{2, 3, 4}, {4}, {2, 3}},          {{4}, {4}, {}}};
  for (const Case& c : cases) {
    const Tensor a = random_tensor(rng, c.a), b = random_tensor(rng, c.b);
    Shape a2 = c.a, b2 = c.b;  // promoted operand shapes
    if (a2.size() == 1) a2.insert(a2.begin(), 1);
    if (b2.size() == 1) b2.push_back(1);
    const int64_t m = a2[a2.size() - 2], k = a2.back(), n = b2.back();
    const size_t rank = std::max(a2.size(), b2.size());
    Shape batch(rank - 2);
    for (size_t i = 0; i < rank - 2; ++i) {
      const int64_t da = i + a2.size() >= rank ? a2[i + a2.size() - rank] : 1;
      const int64_t db = i + b2.size() >= rank ? b2[i + b2.size() - rank] : 1;
      batch[i] = std::max(da, db);
    }
    std::vector<float> want;
    for (int64_t bi = 0; bi < shape_numel(batch); ++bi) {
      // operand matrix index for output batch bi
      auto mat = [&](const Shape& s) {
        int64_t rem = bi, idx = 0, stride = 1;
        for (size_t d = rank - 2; d-- > 0;) {
          const int64_t coord = rem % batch[d];
          rem /= batch[d];
          const int64_t sd = d + s.size() >= rank ? s[d + s.size() - rank] : 1;
          idx += (sd == 1 ? 0 : coord) * stride;
          stride *= sd;
        }
        return idx;
      };
      const float* ap = a.data<float>() + mat(a2) * m * k;
      const float* bp = b.data<float>() + mat(b2) * k * n;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t q = 0; q < k; ++q) s += double{ap[i * k + q]} * bp[q * n + j];
          want.push_back(static_cast<float>(s));
        }
    }
    const auto got = run_single(OpType::kMatMul, {a, b});
    ASSERT_EQ(got[0].shape(), c.y) << shape_str(c.a) << " x " << shape_str(c.b);
    EXPECT_TRUE(all_close(values_of(got[0]), want)) << shape_str(c.a) << " x " << shape_str(c.b);
  }
}

TEST(ExecNnOps, BatchNormInferenceAndTrainingStatistics) {
  std::mt19937 rng(12);
  const Tensor x = random_tensor(rng, {2, 3, 4, 5});
  const Tensor scale = random_tensor(rng, {3}), bias = random_tensor(rng, {3}), mean = random_tensor(rng, {3});
  const Tensor var = random_tensor(rng, {3}, 0.1f, 2.0f);
  const auto got = run_single(OpType::kBatchNormalization, {x, scale, bias, mean, var}, {{"epsilon", 1e-3f}});
  std::vector<float> want;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = (i / 20) % 3;
    want.push_back((x.data<float>()[i] - mean.data<float>()[c]) / std::sqrt(var.data<float>()[c] + 1e-3f) *
                       scale.data<float>()[c] + bias.data<float>()[c]);
  }
  EXPECT_TRUE(all_close(values_of(got[0]), want));
  // training_mode: batch statistics normalise; running stats blend with momentum.
  const auto tr = run_single(OpType::kBatchNormalization, {x, scale, bias, mean, var},
                             {{"training_mode", int64_t{1}}, {"momentum", 0.8f}}, 3);
  for (int64_t c = 0; c < 3; ++c) {
    double s = 0, sq = 0;
    for (int64_t nb = 0; nb < 2; ++nb)
      for (int64_t i = 0; i < 20; ++i) s += x.data<float>()[(nb * 3 + c) * 20 + i];
    const double m = s / 40;
    for (int64_t nb = 0; nb < 2; ++nb)
      for (int64_t i = 0; i < 20; ++i) sq += std::pow(x.data<float>()[(nb * 3 + c) * 20 + i] - m, 2);
    EXPECT_NEAR(tr[1].data<float>()[c], mean.data<float>()[c] * 0.8 + m * 0.2, 1e-5);
    EXPECT_NEAR(tr[2].data<float>()[c], var.data<float>()[c] * 0.8 + sq / 40 * 0.2, 1e-5);
    const float y0 = tr[0].data<float>()[c * 20];
    EXPECT_NEAR(y0, (x.data<float>()[c * 20] - m) / std::sqrt(sq / 40 + 1e-5) * scale.data<float>()[c] + bias.data<float>()[c], 1e-4);
  }
}

TEST(ExecNnOps, ReduceMeanAxesAndKeepdims) {
  std::mt19937 rng(13);
  const Shape shape = {2, 3, 4, 5};
  const Tensor x = random_tensor(rng, shape);
  const auto strides = shape_strides(shape);
  const std::vector<std::vector<int64_t>> axis_sets = {{2, 3}, {1}, {0, 2}, {-1, 1}, {}, {0, 1, 2, 3}};
  for (const auto& axes : axis_sets) {
    for (int64_t keep : {0, 1}) {
      std::vector<bool> red(4, axes.empty());
      for (int64_t a : axes) red[static_cast<size_t>(a < 0 ? a + 4 : a)] = true;
      Shape out_keep;
      for (size_t d = 0; d < 4; ++d) out_keep.push_back(red[d] ? 1 : shape[d]);
      std::vector<double> sum(static_cast<size_t>(shape_numel(out_keep)), 0.0);
      const auto out_strides = shape_strides(out_keep);
      for (int64_t i = 0; i < x.numel(); ++i) {
        int64_t o = 0;
        for (size_t d = 0; d < 4; ++d) o += red[d] ? 0 : (i / strides[d]) % shape[d] * out_strides[d];
        sum[static_cast<size_t>(o)] += x.data<float>()[i];
      }
      const double count = static_cast<double>(x.numel()) / static_cast<double>(sum.size());
      std::vector<float> want;
      for (double s : sum) want.push_back(static_cast<float>(s / count));
      std::vector<Tensor> in = {x};
      if (!axes.empty()) in.push_back(Tensor::from_i64({static_cast<int64_t>(axes.size())}, axes));
      const auto got = run_single(OpType::kReduceMean, in, {{"keepdims", keep}});
      Shape out_shape;
      for (size_t d = 0; d < 4; ++d)
        if (!red[d] || keep) out_shape.push_back(out_keep[d]);
      ASSERT_EQ(got[0].shape(), out_shape);
      EXPECT_TRUE(all_close(values_of(got[0]), want)) << "axes " << axes.size() << " keep " << keep;
    }
  }
}

}  // namespace
}  // namespace tinyopt
