// The shipped Fashion-MNIST teacher (models/fmnist-cnn.onnx), BN-folded and quantized to int8 by the test
// builder on 64 test images, run by the integer executor and by the float executor's simulation of the
// same QDQ graph on 64 other images: every activation and the logits within one step on >= 99% (the bound
// of exec_integer_executor_test.cpp), the same top-1 class on >= 63 of 64 images, and the integer executor's
// accuracy on those images close to the float model's. Skips when the model or the dataset is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "unit/exec_integer_models.h"

namespace tinyopt {
namespace {

int64_t argmax_row(const Tensor& logits, int64_t row) {
  const int64_t classes = logits.dim(1);
  const float* p = logits.data<float>() + row * classes;
  int64_t best = 0;
  for (int64_t c = 1; c < classes; ++c)
    if (p[c] > p[best]) best = c;
  return best;
}

TEST(ExecIntegerTeacher, FmnistCnnInt8AgreesWithTheFloatSimulation) {
  const std::string model = std::string(TINYOPT_SOURCE_DIR) + "/models/fmnist-cnn.onnx";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << model << " is absent";
  Dataset test;
  try {
    test = load_dataset("fashion-mnist", Split::kTest);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "fashion-mnist is not installed: " << e.what();
  }
  const Graph f = load_onnx(model);
  const Dataset calib = take(test, 64, 0), eval = take(test, 64, 64);
  const Graph qdq = testing::quantize_for_test(f, {calib.x});
  const testing::ModelAgreement m = testing::integer_vs_float(qdq, {eval.x}, 2);
  std::cout << "[ teacher   ] all activations: " << m.activations.describe() << "; logits: " << m.outputs.describe()
            << "\n";
  EXPECT_GE(static_cast<double>(m.activations.within_one), 0.99 * static_cast<double>(m.activations.elements))
      << m.activations.describe();
  EXPECT_GE(static_cast<double>(m.outputs.within_one), 0.99 * static_cast<double>(m.outputs.elements))
      << m.outputs.describe();

  IntegerExecutor iexec(qdq, {.threads = 2});
  FloatExecutor sim(qdq, ExecOptions{2}), fp32(f, ExecOptions{2});
  const Tensor li = iexec.run({eval.x}).at(0), ls = sim.run({eval.x}).at(0), lf = fp32.run({eval.x}).at(0);
  int same = 0, correct_int = 0, correct_fp32 = 0;
  for (int64_t i = 0; i < 64; ++i) {
    same += argmax_row(li, i) == argmax_row(ls, i);
    correct_int += argmax_row(li, i) == eval.y[static_cast<size_t>(i)];
    correct_fp32 += argmax_row(lf, i) == eval.y[static_cast<size_t>(i)];
  }
  std::cout << "[ teacher   ] top-1 same as simulation " << same << "/64, correct int8 " << correct_int
            << "/64, fp32 " << correct_fp32 << "/64\n";
  EXPECT_GE(same, 63);
  EXPECT_GE(correct_int, correct_fp32 - 2);
}

}  // namespace
}  // namespace tinyopt
