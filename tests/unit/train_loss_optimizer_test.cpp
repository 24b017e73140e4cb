// Losses against closed forms and finite differences; optimizers and schedules against hand-computed
// steps (the PyTorch update rules written out).
#include <gtest/gtest.h>

#include <cmath>

#include "tinyopt/core/error.h"
#include "tinyopt/train/loss.h"
#include "tinyopt/train/lr_schedule.h"
#include "tinyopt/train/optimizer.h"

namespace tinyopt::train {
namespace {

std::vector<double> softmax(const std::vector<double>& z, double t = 1.0) {
  double mx = z[0] / t;
  for (double v : z) mx = std::max(mx, v / t);
  std::vector<double> p;
  double s = 0;
  for (double v : z) s += std::exp(v / t - mx);
  for (double v : z) p.push_back(std::exp(v / t - mx) / s);
  return p;
}

TEST(CrossEntropy, ClosedFormWithLabelSmoothing) {
  const std::vector<float> z = {1.0f, -2.0f, 0.5f, 3.0f, 0.0f, -1.0f};  // 2 rows of 3 classes
  const std::vector<int32_t> y = {2, 0};
  const float eps = 0.1f;
  std::vector<float> g(6);
  const double loss = cross_entropy(z, y, 3, eps, g);
  double expect = 0;
  for (int i = 0; i < 2; ++i) {
    const auto p = softmax({z[i * 3], z[i * 3 + 1], z[i * 3 + 2]});
    double mean_nll = 0;
    for (double v : p) mean_nll -= std::log(v) / 3.0;
    expect += ((1 - eps) * -std::log(p[static_cast<size_t>(y[i])]) + eps * mean_nll) / 2.0;
    for (int j = 0; j < 3; ++j) {
      const double q = (j == y[i] ? 1 - eps : 0) + eps / 3.0;
      EXPECT_NEAR(g[static_cast<size_t>(i * 3 + j)], (p[static_cast<size_t>(j)] - q) / 2.0, 1e-6);
    }
  }
  EXPECT_NEAR(loss, expect, 1e-6);  // eps is a float
}

TEST(CrossEntropy, StableForHugeLogits) {
  const std::vector<float> z = {1000.0f, -1000.0f};
  std::vector<float> g(2);
  EXPECT_NEAR(cross_entropy(z, std::vector<int32_t>{1}, 2, 0.0f, g), 2000.0, 1e-3);
  EXPECT_NEAR(g[0], 1.0f, 1e-6);
}

TEST(CrossEntropy, RejectsLabelOutOfRange) {
  const std::vector<float> z = {0.0f, 0.0f};
  try {
    cross_entropy(z, std::vector<int32_t>{2}, 2, 0.0f, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 2 of sample 0"), std::string::npos) << e.what();
  }
}

TEST(Distillation, ValueIsClosedForm) {
  const std::vector<float> s = {0.3f, -1.0f, 2.0f}, t = {1.0f, 0.5f, -0.5f};
  const std::vector<int32_t> y = {1};
  const DistillationParams kd{3.0f, 0.7f, 0.0f};
  const double loss = distillation_loss(s, t, y, 3, kd, {});
  const auto ps = softmax({0.3, -1.0, 2.0}, 3.0), pt = softmax({1.0, 0.5, -0.5}, 3.0);
  double kl = 0;
  for (int j = 0; j < 3; ++j) kl += pt[static_cast<size_t>(j)] * std::log(pt[static_cast<size_t>(j)] / ps[static_cast<size_t>(j)]);
  const double ce = -std::log(softmax({0.3, -1.0, 2.0})[1]);
  EXPECT_NEAR(loss, 0.7 * 9.0 * kl + 0.3 * ce, 1e-6);
}

TEST(Distillation, GradientMatchesFiniteDifferences) {
  std::vector<float> s = {0.3f, -1.0f, 2.0f, 0.1f, 1.5f, -0.7f, 0.2f, 0.9f};  // 2 rows of 4
  const std::vector<float> t = {1.0f, 0.5f, -0.5f, 2.0f, -1.0f, 0.0f, 0.3f, 1.2f};
  const std::vector<int32_t> y = {1, 3};
  const DistillationParams kd{4.0f, 0.9f, 0.05f};
  std::vector<float> g(8);
  distillation_loss(s, t, y, 4, kd, g);
  for (size_t i = 0; i < s.size(); ++i) {
    const float saved = s[i], h = 1e-2f;
    s[i] = saved + h;
    const double up = distillation_loss(s, t, y, 4, kd, {});
    s[i] = saved - h;
    const double down = distillation_loss(s, t, y, 4, kd, {});
    s[i] = saved;
    EXPECT_NEAR(g[i], (up - down) / (2 * h), 2e-4) << "logit " << i;
  }
}

TEST(Distillation, ZeroAlphaIsCrossEntropy) {
  const std::vector<float> s = {0.3f, -1.0f, 2.0f}, t = {9.0f, 0.5f, -0.5f};
  const std::vector<int32_t> y = {0};
  EXPECT_NEAR(distillation_loss(s, t, y, 3, {2.0f, 0.0f, 0.0f}, {}), cross_entropy(s, y, 3, 0.0f, {}), 1e-9);
}

TEST(CountCorrect, FirstMaximumWins) {
  const std::vector<float> z = {1, 3, 3, 0, 5, 1};
  EXPECT_EQ(count_correct(z, std::vector<int32_t>{1, 1}, 3), 2);
  EXPECT_EQ(count_correct(z, std::vector<int32_t>{2, 0}, 3), 0);
}

// One parameter [p0, p1] with fixed gradients per step.
struct OneParam {
  std::vector<float> value{1.0f, -2.0f}, grad{0.5f, 0.25f};
  std::vector<ParamRef> refs() { return {{"p", {2}, value, grad}}; }
};

TEST(Optimizer, SgdMomentumWeightDecayTwoSteps) {
  OneParam p;
  Optimizer opt({"sgd", 0.9f, false, 0.1f}, p.refs());
  // step 1: d = g + 0.1 p = [0.6, 0.05]; buf = d; p = [1 - 0.06, -2 - 0.005]
  opt.step(0.1f);
  EXPECT_NEAR(p.value[0], 0.94f, 1e-6);
  EXPECT_NEAR(p.value[1], -2.005f, 1e-6);
  // step 2: d = [0.5 + 0.094, 0.25 - 0.2005] = [0.594, 0.0495]; buf = 0.9*[0.6,0.05] + d = [1.134, 0.0945]
  opt.step(0.1f);
  EXPECT_NEAR(p.value[0], 0.94f - 0.1134f, 1e-6);
  EXPECT_NEAR(p.value[1], -2.005f - 0.00945f, 1e-6);
}

TEST(Optimizer, SgdNesterov) {
  OneParam p;
  Optimizer opt({"sgd", 0.9f, true, 0.0f}, p.refs());
  opt.step(0.1f);  // buf = g; update = g + 0.9 g = 1.9 g
  EXPECT_NEAR(p.value[0], 1.0f - 0.1f * 1.9f * 0.5f, 1e-6);
  opt.step(0.1f);  // buf = 1.9 g; update = g + 0.9 * 1.9 g = 2.71 g
  EXPECT_NEAR(p.value[0], 1.0f - 0.1f * (1.9f + 2.71f) * 0.5f, 1e-6);
}

TEST(Optimizer, AdamBiasCorrectedSteps) {
  OneParam p;
  Optimizer opt({"adam", 0.0f, false, 0.0f, 0.9f, 0.999f, 1e-8f}, p.refs());
  opt.step(0.01f);  // m_hat = g, v_hat = g^2: the first step moves each weight by lr
  EXPECT_NEAR(p.value[0], 0.99f, 1e-6);
  EXPECT_NEAR(p.value[1], -2.01f, 1e-6);
  p.grad = {-0.5f, 0.25f};
  opt.step(0.01f);
  // m = 0.9*0.05 + 0.1*-0.5 = -0.005 -> m_hat = -0.005/0.19; v = 0.999*0.00025 + 0.001*0.25 = 0.00049975
  // -> v_hat = 0.00049975 / (1 - 0.999^2)
  const double m_hat = -0.005 / 0.19, v_hat = 0.00049975 / (1 - 0.999 * 0.999);
  EXPECT_NEAR(p.value[0], 0.99 - 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8), 1e-6);
}

TEST(Optimizer, AdamWDecouplesWeightDecay) {
  OneParam p;
  p.grad = {0.0f, 0.0f};
  Optimizer opt({"adamw", 0.0f, false, 0.5f}, p.refs());
  opt.step(0.1f);  // zero gradient: only the decay, p *= 1 - 0.05
  EXPECT_NEAR(p.value[0], 0.95f, 1e-6);
  EXPECT_NEAR(p.value[1], -1.9f, 1e-6);
}

TEST(Optimizer, RejectsUnknownKind) {
  OneParam p;
  EXPECT_THROW(Optimizer({"rmsprop"}, p.refs()), Error);
}

TEST(LrSchedule, WarmupThenCosine) {
  LrSchedule s;
  s.kind = "cosine";
  s.base_lr = 0.1f;
  s.total_steps = 110;
  s.warmup_steps = 10;
  EXPECT_NEAR(s.lr_at(0), 0.01f, 1e-7);
  EXPECT_NEAR(s.lr_at(9), 0.1f, 1e-7);
  EXPECT_NEAR(s.lr_at(10), 0.1f, 1e-7);
  EXPECT_NEAR(s.lr_at(60), 0.05f, 1e-6);
  EXPECT_NEAR(s.lr_at(110), 0.0f, 1e-7);
}

TEST(LrSchedule, StepDecay) {
  LrSchedule s;
  s.kind = "step";
  s.base_lr = 1.0f;
  s.steps_per_epoch = 10;
  s.step_epochs = 2;
  s.gamma = 0.5f;
  s.total_steps = 100;
  EXPECT_FLOAT_EQ(s.lr_at(19), 1.0f);
  EXPECT_FLOAT_EQ(s.lr_at(20), 0.5f);
  EXPECT_FLOAT_EQ(s.lr_at(45), 0.25f);
  s.kind = "linear";
  EXPECT_THROW(s.validate(), Error);
}

}  // namespace
}  // namespace tinyopt::train
