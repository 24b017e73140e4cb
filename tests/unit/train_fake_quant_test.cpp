// The fake-quantization training op (QAT): its forward against the float executor's QuantizeLinear ->
// DequantizeLinear, its input gradient against the straight-through mask, its scale gradient against the
// LSQ formula written out here, finite differences where the op is smooth, and the optimizer leaving
// the scales out of weight decay.
#include <gtest/gtest.h>

#include <cmath>

#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/train/optimizer.h"
#include "tinyopt/train/train_graph.h"
#include "train_test_util.h"

namespace tinyopt {
namespace {

using testing::GraphBuilder;
using testing::random_vector;
using train::FakeQuant;
using train::FakeQuantMap;
using train::Mode;
using train::TrainGraph;

FakeQuant spec(int32_t qmin, int32_t qmax, std::vector<float> scale, std::vector<int32_t> zero_point, int axis,
               bool learn_scale) {
  FakeQuant f;
  f.qmin = qmin;
  f.qmax = qmax;
  f.scale = std::move(scale);
  f.zero_point = std::move(zero_point);
  f.axis = axis;
  f.learn_scale = learn_scale;
  return f;
}

// x (batch, 3, 4, 5) -> Identity: the fake quantization of the graph input is all there is.
Graph identity_graph() {
  GraphBuilder b({3, 4, 5});
  b.node(OpType::kIdentity, {"x"});
  return b.finish();
}

// The same graph with x -> QuantizeLinear -> DequantizeLinear in front, for the float executor.
Graph qdq_graph(float scale, int32_t zp, DType zp_type) {
  Graph g = identity_graph();
  g.add_initializer("s", Tensor::scalar_f32(scale));
  Tensor z(zp_type, {});
  if (zp_type == DType::kI8) z.data<int8_t>()[0] = static_cast<int8_t>(zp);
  else z.data<int16_t>()[0] = static_cast<int16_t>(zp);
  g.add_initializer("zp", z);
  Node q{"q", OpType::kQuantizeLinear, {"x", "s", "zp"}, {"xq"}, {}};
  Node dq{"dq", OpType::kDequantizeLinear, {"xq", "s", "zp"}, {"xdq"}, {}};
  g.nodes[0].inputs[0] = "xdq";
  g.nodes.insert(g.nodes.begin(), {q, dq});
  infer_shapes(g, 1);  // declares xq and xdq
  g.value("x").shape[0] = -1;
  return g;
}

// Values around and beyond the int8 range of scale 0.125 with zp -3, including exact half steps (the
// scale is a power of two, so x / s is exact and half-to-even rounding is exercised).
std::vector<float> probe_values(size_t n, float scale) {
  std::vector<float> v = random_vector(n, -20.0f, 20.0f, 5);
  for (size_t i = 0; i < n; i += 7) v[i] = (std::round(v[i] / scale) + 0.5f) * scale;
  return v;
}

struct RangeCase {
  const char* name;
  int32_t qmin, qmax, zp;
  DType zp_type;
};

class FakeQuantForward : public ::testing::TestWithParam<RangeCase> {};

TEST_P(FakeQuantForward, EqualsExecutorQuantizeDequantize) {
  const RangeCase rc = GetParam();
  const float scale = rc.zp_type == DType::kI8 ? 0.125f : 0.0009765625f;
  const int64_t batch = 3;
  const std::vector<float> x = probe_values(static_cast<size_t>(batch * 60), scale);

  FakeQuantMap fq{{"x", spec(rc.qmin, rc.qmax, {scale}, {rc.zp}, 0, true)}};
  TrainGraph tg(identity_graph(), batch, 1, false, fq);
  const auto y = tg.forward(x, batch, Mode::kTrain);

  FloatExecutor exec(qdq_graph(scale, rc.zp, rc.zp_type));
  const Tensor ref = exec.run({Tensor::from_f32({batch, 3, 4, 5}, x)}).at(0);
  ASSERT_EQ(static_cast<int64_t>(y.size()), ref.numel());
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_EQ(y[i], ref.data<float>()[i]) << "element " << i << " x=" << x[i] << " scale=" << scale << " zp=" << rc.zp;
}

INSTANTIATE_TEST_SUITE_P(Ranges, FakeQuantForward,
                         ::testing::Values(RangeCase{"int8_asymmetric", -128, 127, -3, DType::kI8},
                                           RangeCase{"int8_relu_output", -128, 127, -128, DType::kI8},
                                           RangeCase{"int16_symmetric", -32768, 32767, 0, DType::kI16}),
                         [](const auto& info) { return std::string(info.param.name); });

// Per-output-channel int4 weights of a Conv, against DequantizeLinear of the weights quantized by the
// executor's QuantizeLinear (their |w / s| <= 7, so the int8 container's wider clamp never applies).
TEST(FakeQuantForward, PerChannelInt4WeightsMatchExecutor) {
  GraphBuilder b({2, 5, 5});
  const std::string w = b.init({4, 2, 3, 3});
  b.node(OpType::kConv, {"x", w}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  const Graph g = b.finish();
  const Tensor& wt = *g.value(w).data;
  std::vector<float> scale(4);
  for (int64_t c = 0; c < 4; ++c) {
    float m = 0.0f;
    for (int64_t i = 0; i < 18; ++i) m = std::max(m, std::abs(wt.data<float>()[c * 18 + i]));
    scale[static_cast<size_t>(c)] = m / 7.0f;
  }
  FakeQuantMap fq{{w, spec(-7, 7, scale, {}, 0, true)}};
  TrainGraph tg(g, 2, 1, false, fq);
  const std::vector<float> x = random_vector(100, -1.0f, 1.0f, 9);
  const auto y = tg.forward(x, 2, Mode::kEval);

  Graph q = g;
  q.add_initializer("ws", Tensor::from_f32({4}, scale));
  q.add_initializer("wz", Tensor(DType::kI8, {4}));
  Node qn{"qw", OpType::kQuantizeLinear, {w, "ws", "wz"}, {"wq"}, {{"axis", int64_t{0}}}};
  Node dn{"dqw", OpType::kDequantizeLinear, {"wq", "ws", "wz"}, {"wdq"}, {{"axis", int64_t{0}}}};
  q.nodes.back().inputs[1] = "wdq";
  q.nodes.insert(q.nodes.begin(), {qn, dn});
  infer_shapes(q, 2);
  const Tensor ref = FloatExecutor(q).run({Tensor::from_f32({2, 2, 5, 5}, x)}).at(0);
  ASSERT_EQ(static_cast<int64_t>(y.size()), ref.numel());
  for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], ref.data<float>()[i]) << "element " << i;
}

// Runs forward and backward with d(loss)/dy = r; returns (dx, d(loss)/d(scale)).
struct Grads {
  std::vector<float> dx, ds;
};
Grads run_backward(TrainGraph& tg, const std::vector<float>& x, int64_t batch, const std::vector<float>& r) {
  tg.forward(x, batch, Mode::kTrain);
  tg.backward(r);
  Grads g;
  g.dx.assign(tg.input_gradient().begin(), tg.input_gradient().end());
  for (const auto& p : tg.parameters())
    if (p.name == train::fake_quant_scale_name("x")) g.ds.assign(p.grad.begin(), p.grad.end());
  return g;
}

TEST(FakeQuantBackward, InputGradientIsTheStraightThroughMask) {
  const float scale = 0.125f;
  const int32_t zp = -3, qmin = -128, qmax = 127;
  const int64_t batch = 2;
  const std::vector<float> x = probe_values(static_cast<size_t>(batch * 60), scale);
  const std::vector<float> r = random_vector(x.size(), -1.0f, 1.0f, 11);
  TrainGraph tg(identity_graph(), batch, 1, true, {{"x", spec(qmin, qmax, {scale}, {zp}, 0, true)}});
  const Grads g = run_backward(tg, x, batch, r);
  ASSERT_EQ(g.dx.size(), x.size());
  int inside = 0, outside = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double q = std::nearbyint(static_cast<double>(x[i] / scale)) + zp;
    const bool in_range = q >= qmin && q <= qmax;
    (in_range ? inside : outside)++;
    EXPECT_EQ(g.dx[i], in_range ? r[i] : 0.0f) << "element " << i << " x=" << x[i];
  }
  EXPECT_GT(inside, 10);  // the probe covers both sides of the clamp
  EXPECT_GT(outside, 10);
}

// LSQ written out independently: sum over elements of r * (round(v) - v | qmin - zp | qmax - zp), times
// g = 1 / sqrt(N * Qp) with N the features per sample and Qp = max(qmax - zp, zp - qmin).
double lsq_scale_gradient(const std::vector<float>& x, const std::vector<float>& r, float s, int32_t zp, int32_t qmin,
                          int32_t qmax, int64_t features) {
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = static_cast<double>(x[i] / s);
    const double rounded = std::nearbyint(v);
    const double q = rounded + zp;
    const double d = q < qmin ? qmin - zp : (q > qmax ? qmax - zp : rounded - v);
    sum += r[i] * d;
  }
  const double qp = std::max(qmax - zp, zp - qmin);
  return sum / std::sqrt(static_cast<double>(features) * qp);
}

TEST(FakeQuantBackward, ScaleGradientIsLsq) {
  const struct {
    float scale;
    int32_t zp, qmin, qmax;
  } cases[] = {{0.125f, -3, -128, 127}, {0.07f, -128, -128, 127}, {0.0003f, 0, -32768, 32767}, {0.9f, 0, -7, 7}};
  for (const auto& c : cases) {
    const int64_t batch = 3;
    const std::vector<float> x = probe_values(static_cast<size_t>(batch * 60), c.scale);
    const std::vector<float> r = random_vector(x.size(), -1.0f, 1.0f, 13);
    TrainGraph tg(identity_graph(), batch, 1, true, {{"x", spec(c.qmin, c.qmax, {c.scale}, {c.zp}, 0, true)}});
    const Grads g = run_backward(tg, x, batch, r);
    ASSERT_EQ(g.ds.size(), 1u);
    const double want = lsq_scale_gradient(x, r, c.scale, c.zp, c.qmin, c.qmax, 60);
    EXPECT_NEAR(g.ds[0], want, 1e-5 * std::max(1.0, std::abs(want))) << "scale " << c.scale << " zp " << c.zp;
  }
}

// Per-channel weights: each channel's scale gradient is LSQ over that channel alone, with N = its
// elements.
TEST(FakeQuantBackward, PerChannelScaleGradientIsLsqPerChannel) {
  GraphBuilder b({6});
  const std::string w = b.init({3, 6}, -1.0f, 1.0f);
  b.node(OpType::kGemm, {"x", w}, {{"transB", int64_t{1}}});
  const Graph g = b.finish();
  const std::vector<float> scale = {0.1f, 0.05f, 0.3f};  // channel 1 clips at [-7, 7] * 0.05
  TrainGraph tg(g, 2, 1, false, {{w, spec(-7, 7, scale, {}, 0, true)}});
  const std::vector<float> x = random_vector(12, -1.0f, 1.0f, 3);
  tg.forward(x, 2, Mode::kTrain);
  const std::vector<float> r = random_vector(6, -1.0f, 1.0f, 4);
  tg.backward(r);
  // d(loss)/d(w_fq)[c][k] = sum_n r[n][c] * x[n][k] (y = x w^T).
  const std::vector<float> wv(g.value(w).data->data<float>(), g.value(w).data->data<float>() + 18);
  for (size_t c = 0; c < 3; ++c) {
    std::vector<float> xc(6), rc(6);
    for (size_t k = 0; k < 6; ++k) {
      xc[k] = wv[c * 6 + k];
      rc[k] = r[c] * x[k] + r[3 + c] * x[6 + k];
    }
    const double want = lsq_scale_gradient(xc, rc, scale[c], 0, -7, 7, 6);
    for (const auto& p : tg.parameters())
      if (p.name == train::fake_quant_scale_name(w)) {
        EXPECT_NEAR(p.grad[c], want, 1e-5) << "channel " << c;
      }
  }
}

// Where the op is smooth in s -- every value clamped, or every value far from a rounding boundary --
// central differences of L = sum(r * y) agree with the analytic gradient: exactly the LSQ gradient
// (over g) when clamped; when inside the range, the true derivative is sum(r * round(v)) and LSQ's
// straight-through term -sum(r * v) is the documented difference.
TEST(FakeQuantBackward, ScaleGradientMatchesFiniteDifferencesWhereSmooth) {
  const float scale = 0.5f;
  const int32_t zp = 2, qmin = -7, qmax = 7;
  const int64_t batch = 2, n = batch * 60;
  std::vector<float> clamped = random_vector(static_cast<size_t>(n), 6.0f, 9.0f, 21);
  for (size_t i = 0; i < clamped.size(); i += 2) clamped[i] = -clamped[i];  // both sides
  std::vector<float> inside(static_cast<size_t>(n));
  const std::vector<float> steps = random_vector(static_cast<size_t>(n), -8.0f, 4.0f, 22);
  for (size_t i = 0; i < inside.size(); ++i) inside[i] = (std::round(steps[i]) + 0.2f) * scale;  // 0.2 from a grid point
  const std::vector<float> r = random_vector(static_cast<size_t>(n), -1.0f, 1.0f, 23);
  const double g = 1.0 / std::sqrt(60.0 * std::max(qmax - zp, zp - qmin));

  for (const auto* x : {&clamped, &inside}) {
    TrainGraph tg(identity_graph(), batch, 1, true, {{"x", spec(qmin, qmax, {scale}, {zp}, 0, true)}});
    const Grads grads = run_backward(tg, *x, batch, r);
    auto loss = [&](float s) {
      TrainGraph t(identity_graph(), batch, 1, false, {{"x", spec(qmin, qmax, {s}, {zp}, 0, false)}});
      const auto y = t.forward(*x, batch, Mode::kEval);
      double sum = 0.0;
      for (size_t i = 0; i < y.size(); ++i) sum += static_cast<double>(y[i]) * r[i];
      return sum;
    };
    const float eps = 1e-3f;
    const double numeric = (loss(scale + eps) - loss(scale - eps)) / (2.0 * eps);
    double ste_term = 0.0;
    if (x == &inside)
      for (size_t i = 0; i < x->size(); ++i) ste_term -= r[i] * static_cast<double>((*x)[i] / scale);
    EXPECT_NEAR(grads.ds.at(0) / g, numeric + ste_term, 1e-3 * std::max(1.0, std::abs(numeric)))
        << (x == &clamped ? "clamped values" : "values inside the range");
  }
}

TEST(FakeQuantTraining, ScalesAreParametersWithoutWeightDecay) {
  GraphBuilder b({4});
  const std::string w = b.init({2, 4});
  b.node(OpType::kGemm, {"x", w}, {{"transB", int64_t{1}}});
  const Graph g = b.finish();
  TrainGraph tg(g, 1, 1, false, {{w, spec(-127, 127, {0.01f, 0.02f}, {}, 0, true)}, {"x", spec(-128, 127, {0.1f}, {0}, 0, false)}});
  // The learned scale is a parameter, the fixed one is not.
  int scales = 0;
  for (auto& p : tg.parameters()) {
    if (p.name == train::fake_quant_scale_name(w)) {
      ++scales;
      EXPECT_FALSE(p.weight_decay);
    }
    EXPECT_NE(p.name, train::fake_quant_scale_name("x"));
    std::fill(p.grad.begin(), p.grad.end(), 0.0f);
  }
  EXPECT_EQ(scales, 1);
  train::Optimizer opt({"sgd", 0.0f, false, 0.5f}, tg.parameters());
  opt.step(1.0f);  // zero gradients: only weight decay moves parameters
  const train::FakeQuantMap learned = tg.fake_quant();
  EXPECT_EQ(learned.at(w).scale, (std::vector<float>{0.01f, 0.02f}));
  const Graph out = tg.to_graph();
  EXPECT_FLOAT_EQ(out.value(w).data->data<float>()[0], 0.5f * g.value(w).data->data<float>()[0]);
  EXPECT_FALSE(out.has_value(train::fake_quant_scale_name(w)));
}

TEST(FakeQuantTraining, RefusesUnknownValuesAndBadParameters) {
  const Graph g = identity_graph();
  try {
    TrainGraph tg(g, 1, 1, false, {{"nope", spec(-128, 127, {0.1f}, {}, 0, true)}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(TrainGraph(g, 1, 1, false, {{"x", spec(-128, 127, {0.0f}, {}, 0, true)}}), Error);
  EXPECT_THROW(TrainGraph(g, 1, 1, false, {{"x", spec(-7, 7, {0.1f}, {9}, 0, true)}}), Error);
}

}  // namespace
}  // namespace tinyopt
