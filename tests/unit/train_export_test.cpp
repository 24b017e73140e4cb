// The trainer's output is an ordinary inference graph: every built-in architecture compiles for
// training, its eval-mode forward equals the float executor's output, and a trained model exported to
// ONNX and loaded back evaluates the same in the executor as in the trainer's eval mode.
#include <gtest/gtest.h>

#include <cmath>

#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/train/train_graph.h"
#include "train_test_util.h"

namespace tinyopt::train {
namespace {

// Moves BN running statistics away from the identity so eval mode is not trivially the same as a
// freshly initialised graph.
void perturb_state(TrainGraph& tg) {
  uint64_t seed = 100;
  for (const ParamRef& s : tg.state()) {
    const bool var = s.name.find("var") != std::string::npos;
    const auto v = testing::random_vector(s.value.size(), var ? 0.5f : -0.2f, var ? 1.5f : 0.2f, seed++);
    std::copy(v.begin(), v.end(), s.value.begin());
  }
}

void expect_close(std::span<const float> ours, const Tensor& ref, const std::string& what) {
  ASSERT_EQ(static_cast<int64_t>(ours.size()), ref.numel()) << what;
  const float* r = ref.data<float>();
  for (size_t i = 0; i < ours.size(); ++i)
    ASSERT_NEAR(ours[i], r[i], 1e-4f + 1e-4f * std::abs(r[i])) << what << " element " << i;
}

class BuiltinArchitecture : public ::testing::TestWithParam<std::string> {};

TEST_P(BuiltinArchitecture, TrainsAndMatchesTheExecutorInEvalMode) {
  const Graph model = build_architecture(GetParam(), {.width = 0.5f, .num_classes = 0, .seed = 3});
  const int64_t batch = 2;
  TrainGraph tg(model, batch, 2);
  perturb_state(tg);
  Shape shape = {batch};
  for (int64_t d : tg.sample_input_shape()) shape.push_back(d);
  const auto x = testing::random_vector(static_cast<size_t>(batch * tg.input_numel()), 0.0f, 1.0f, 5);

  // One training step runs end to end with finite gradients.
  const auto y = tg.forward(x, batch, Mode::kTrain);
  std::vector<float> dy = testing::random_vector(y.size(), -1.0f, 1.0f, 6);
  tg.backward(dy);
  for (const ParamRef& p : tg.parameters())
    for (float g : p.grad) ASSERT_TRUE(std::isfinite(g)) << p.name;

  const auto eval = tg.forward(x, batch, Mode::kEval);
  const std::vector<float> ours(eval.begin(), eval.end());
  FloatExecutor exec(tg.to_graph(), {.threads = 1});
  const auto ref = exec.run({Tensor::from_f32(shape, x)});
  expect_close(ours, ref.at(0), GetParam());
}

INSTANTIATE_TEST_SUITE_P(All, BuiltinArchitecture, ::testing::ValuesIn(architecture_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(TrainExport, OnnxRoundTripEvaluatesLikeEvalMode) {
  const Graph model = build_architecture("fmnist-ds", {.width = 0.5f, .num_classes = 0, .seed = 1});
  TrainGraph tg(model, 4, 1);
  const auto x = testing::random_vector(static_cast<size_t>(4 * tg.input_numel()), 0.0f, 1.0f, 7);
  for (int step = 0; step < 3; ++step) {  // moves weights and running statistics
    const auto y = tg.forward(x, 4, Mode::kTrain);
    tg.backward(testing::random_vector(y.size(), -1.0f, 1.0f, 8 + static_cast<uint64_t>(step)));
    for (const ParamRef& p : tg.parameters())
      for (size_t i = 0; i < p.value.size(); ++i) p.value[i] -= 0.1f * p.grad[i];
  }
  const auto eval = tg.forward(x, 4, Mode::kEval);
  const std::vector<float> ours(eval.begin(), eval.end());
  testing::TempDir dir;
  save_onnx(tg.to_graph(), dir.file("m.onnx"));
  FloatExecutor exec(load_onnx(dir.file("m.onnx")), {.threads = 1});
  const auto ref = exec.run({Tensor::from_f32({4, 1, 28, 28}, x)});
  expect_close(ours, ref.at(0), "fmnist-ds after ONNX round trip");
}

}  // namespace
}  // namespace tinyopt::train
