// Redesign transforms (passes/redesign.h): width multiplier, conv -> depthwise-separable with its rank-1
// initialization, input-resolution scaling, and bilinear dataset resizing. Every result must verify,
// round-trip through ONNX and run; the depthwise-separable initialization is checked against an
// independent computation (exact on rank-1 kernels, Eckart-Young optimal, output error ~ weight residual).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "passes_prune_test_util.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/data/resize.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/redesign.h"

namespace tinyopt::redesign {
namespace {

using prune::testing::random_input;
using prune::testing::randomized_arch;

const Node& node(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes)
    if (n.name == name) return n;
  throw std::runtime_error("no node " + name);
}

// Verifies, exports, re-imports and runs the graph on a random batch of 2; returns the re-imported graph.
Graph valid_and_runs(const Graph& g) {
  EXPECT_NO_THROW(verify_graph(g));
  Graph reloaded = parse_onnx(serialize_onnx(g), "redesigned.onnx");
  EXPECT_NO_THROW(verify_graph(reloaded));
  const std::vector<Tensor> y = FloatExecutor(reloaded).run({random_input(reloaded, 2)});
  EXPECT_EQ(y[0].dim(0), 2);
  return reloaded;
}

// ||a - b||_F / ||b||_F
double relative_error(const Tensor& a, const Tensor& b) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = a.data<float>()[i] - b.data<float>()[i];
    num += d * d;
    den += static_cast<double>(b.data<float>()[i]) * b.data<float>()[i];
  }
  return std::sqrt(num / den);
}

// ---- width multiplier ----

TEST(RedesignWidth, NarrowerCopiesLeadingChannelsAndKeepsClasses) {
  const Graph g = randomized_arch("fmnist-cnn");
  const Graph half = scale_width(g, 0.5f);
  valid_and_runs(half);
  EXPECT_EQ(half.value("conv2.weight").shape, (Shape{16, 16, 3, 3}));
  EXPECT_EQ(half.value("fc.weight").shape, (Shape{10, 64}));
  // conv2's filter o, input i, tap k is the original's (leading block).
  const Tensor& a = *g.value("conv2.weight").data;
  const Tensor& b = *half.value("conv2.weight").data;
  for (int64_t o : {0, 7, 15})
    for (int64_t i : {0, 9, 15})
      for (int64_t k = 0; k < 9; ++k) EXPECT_EQ(b.data<float>()[(o * 16 + i) * 9 + k], a.data<float>()[(o * 32 + i) * 9 + k]);
  // BN statistics follow (randomized, so not the builder's defaults).
  EXPECT_EQ(half.value("conv2_bn.mean").data->data<float>()[3], g.value("conv2_bn.mean").data->data<float>()[3]);
  EXPECT_LT(summarize_model(half).macs, summarize_model(g).macs / 3);
  EXPECT_EQ(half.metadata.at("tinyopt.arch.width"), "0.5");
}

TEST(RedesignWidth, WiderKeepsTheOriginalInTheLeadingBlock) {
  const Graph g = randomized_arch("resnet8");
  const Graph wide = scale_width(g, 1.5f);
  valid_and_runs(wide);
  const Tensor& a = *g.value("conv1.weight").data;
  const Tensor& b = *wide.value("conv1.weight").data;
  ASSERT_GT(b.dim(0), a.dim(0));
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(b.data<float>()[i], a.data<float>()[i]);  // C_in 3 unchanged
}

TEST(RedesignWidth, EveryBuiltinImageArchitecture) {
  for (const char* arch : {"fmnist-ds", "mobilenetv1", "ds-cnn", "squeezenet-fire", "shufflenet", "mbconv"}) {
    SCOPED_TRACE(arch);
    const Graph g = build_architecture(arch, ArchOptions{arch == std::string("mobilenetv1") ? 0.25f : 1.0f, 0, 1});
    const Graph narrow = scale_width(g, arch == std::string("mobilenetv1") ? 0.125f : 0.5f);
    valid_and_runs(narrow);
    EXPECT_LT(summarize_model(narrow).macs, summarize_model(g).macs);
  }
}

TEST(RedesignWidth, NeedsABuiltinArchitecture) {
  Graph g = randomized_arch("fmnist-cnn");
  g.metadata.erase("tinyopt.arch");
  try {
    scale_width(g, 0.5f);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("tinyopt prune --ratio"), std::string::npos) << e.what();
  }
}

// ---- depthwise-separable ----

TEST(RedesignSeparable, ExactOnRankOneKernels) {
  Graph g = randomized_arch("fmnist-cnn");
  // conv3's kernel W[o, i] = p[o, i] * d[i] (rank 1 per input channel): the factorization is exact.
  Tensor& w = *g.value("conv3.weight").data;
  const int64_t cout = w.dim(0), cin = w.dim(1);
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 0.3f);
  std::vector<float> d(static_cast<size_t>(cin * 9));
  for (float& v : d) v = n(rng);
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < cin; ++i) {
      const float p = n(rng);
      for (int64_t k = 0; k < 9; ++k) w.data<float>()[(o * cin + i) * 9 + k] = p * d[static_cast<size_t>(i * 9 + k)];
    }
  const SeparableResult r = to_depthwise_separable(g, {"conv3"});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_LT(r.layers[0].weight_residual, 1e-5);
  EXPECT_EQ(node(r.graph, "conv3_dw").attr_int("group", 1), cin);
  const Graph ds = valid_and_runs(r.graph);
  const Tensor x = random_input(g, 2);
  const Tensor ref = FloatExecutor(g).run({x})[0];
  const Tensor got = FloatExecutor(ds).run({x})[0];
  EXPECT_LT(relative_error(got, ref), 1e-4);
  EXPECT_LT(summarize_model(ds).macs, summarize_model(g).macs);
}

// The product of the dw filter and the pw column of input channel i, as a [C_out, 9] block.
std::vector<double> factor_product(const Graph& g, const std::string& conv, int64_t i) {
  const Tensor& dw = *g.value(node(g, conv + "_dw").inputs[1]).data;  // [C_in, 1, 3, 3]
  const Tensor& pw = *g.value(node(g, conv).inputs[1]).data;          // [C_out, C_in, 1, 1]
  const int64_t cout = pw.dim(0), cin = pw.dim(1);
  std::vector<double> out(static_cast<size_t>(cout * 9));
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t k = 0; k < 9; ++k)
      out[static_cast<size_t>(o * 9 + k)] = static_cast<double>(pw.data<float>()[o * cin + i]) * dw.data<float>()[i * 9 + k];
  return out;
}

TEST(RedesignSeparable, RandomKernelsGetTheBestRankOneFactorization) {
  const Graph g = randomized_arch("fmnist-cnn");
  const SeparableResult r = to_depthwise_separable(g, {"conv2"});
  const Tensor& w = *g.value("conv2.weight").data;  // [32, 32, 3, 3]
  const int64_t cout = w.dim(0), cin = w.dim(1);
  double total = 0, residual = 0;
  std::mt19937 rng(11);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int64_t i = 0; i < cin; ++i) {
    const std::vector<double> approx = factor_product(r.graph, "conv2", i);
    double res_i = 0;
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t k = 0; k < 9; ++k) {
        const double v = w.data<float>()[(o * cin + i) * 9 + k];
        total += v * v;
        res_i += (v - approx[static_cast<size_t>(o * 9 + k)]) * (v - approx[static_cast<size_t>(o * 9 + k)]);
      }
    residual += res_i;
    // Eckart-Young: no other rank-1 block (random unit v, best P = M v) is closer.
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> v(9);
      double norm = 0;
      for (double& x : v) {
        x = n(rng);
        norm += x * x;
      }
      double other = 0;
      for (int64_t o = 0; o < cout; ++o) {
        double p = 0;
        for (int64_t k = 0; k < 9; ++k) p += w.data<float>()[(o * cin + i) * 9 + k] * v[static_cast<size_t>(k)] / std::sqrt(norm);
        for (int64_t k = 0; k < 9; ++k) {
          const double d = w.data<float>()[(o * cin + i) * 9 + k] - p * v[static_cast<size_t>(k)] / std::sqrt(norm);
          other += d * d;
        }
      }
      EXPECT_LE(res_i, other * (1 + 1e-6) + 1e-12) << "input channel " << i;
    }
  }
  EXPECT_NEAR(r.layers[0].weight_residual, std::sqrt(residual / total), 1e-5);
  EXPECT_GT(r.layers[0].weight_residual, 0.3);  // a random kernel is far from rank 1: the test is not vacuous

  // On zero-mean random input the conv output's relative error tracks the kernel's residual.
  Graph a = g, b = r.graph;
  a.outputs = {"conv2"};
  b.outputs = {"conv2"};
  Tensor x(DType::kF32, {2, 1, 28, 28});
  for (float& v : x.span<float>()) v = static_cast<float>(n(rng));
  const Tensor ref = FloatExecutor(a).run_all({x}).at("conv2");
  const Tensor got = FloatExecutor(b).run_all({x}).at("conv2");
  const double err = relative_error(got, ref);
  EXPECT_LT(err, 1.3 * r.layers[0].weight_residual + 0.02);
  EXPECT_GT(err, 0.5 * r.layers[0].weight_residual);
}

TEST(RedesignSeparable, DefaultsToEveryStandardConvAndRejectsOthers) {
  const Graph g = randomized_arch("fmnist-cnn");
  EXPECT_EQ(separable_candidates(g), (std::vector<std::string>{"conv2", "conv3", "conv4", "conv5"}));  // conv1: C_in 1
  const SeparableResult r = to_depthwise_separable(g);
  EXPECT_EQ(r.layers.size(), 4u);
  valid_and_runs(r.graph);
  const Graph m = build_architecture("mobilenetv1", ArchOptions{0.25f, 0, 1});
  try {
    to_depthwise_separable(m, {"block2_dw"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("'block2_dw' (Conv)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(to_depthwise_separable(g, {"nope"}), Error);
}

// ---- resolution ----

TEST(RedesignResolution, ShapesMacsAndPooling) {
  const Graph g = randomized_arch("fmnist-cnn");
  const Graph small = scale_resolution(g, 20, 20);
  const Graph r = valid_and_runs(small);
  EXPECT_EQ(r.value(r.inputs[0]).shape, (Shape{-1, 1, 20, 20}));
  EXPECT_NEAR(static_cast<double>(summarize_model(small).macs) / static_cast<double>(summarize_model(g).macs),
              400.0 / 784.0, 0.02);
  // ds-cnn ends in an AveragePool over the whole map: it still covers it.
  const Graph ds = build_architecture("ds-cnn", ArchOptions{1.0f, 0, 1});
  const Shape in = ds.value(ds.inputs[0]).shape;
  const Graph ds2 = scale_resolution(ds, in[2] / 2, in[3] / 2);
  valid_and_runs(ds2);
  EXPECT_NE(node(ds2, "avgpool").attr_ints("kernel_shape"), node(ds, "avgpool").attr_ints("kernel_shape"));
  // ShuffleNet's shuffle Reshapes follow the new size.
  valid_and_runs(scale_resolution(randomized_arch("shufflenet"), 32, 32));
}

TEST(RedesignResolution, BadSizeOrNotAnImageModel) {
  try {
    scale_resolution(randomized_arch("fmnist-cnn"), 0, 5);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
  try {
    scale_resolution(randomized_arch("fc-ae"), 8, 8);  // input [N, 640]
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("[N, C, H, W]"), std::string::npos) << e.what();
  }
}

TEST(ResizeImages, BilinearHalfPixel) {
  Dataset d;
  d.x = Tensor::from_f32({1, 1, 2, 2}, std::vector<float>{0, 1, 2, 3});
  d.y = {4};
  const Dataset r = resize_images(d, 4, 4);
  ASSERT_EQ(r.x.shape(), (Shape{1, 1, 4, 4}));
  // Source coordinate of output o: (o + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (-> 1).
  const float row[4] = {0, 0.25f, 0.75f, 1};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) EXPECT_FLOAT_EQ(r.x.data<float>()[y * 4 + x], row[x] + 2 * row[y]) << y << "," << x;
  EXPECT_EQ(r.y, d.y);
  EXPECT_EQ(resize_images(d, 2, 2).x.data<float>(), d.x.data<float>());  // unchanged, not copied
  EXPECT_THROW(resize_images(d, 0, 3), Error);
}

}  // namespace
}  // namespace tinyopt::redesign
