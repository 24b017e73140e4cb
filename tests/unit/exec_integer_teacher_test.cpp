// The shipped Fashion-MNIST teacher (models/fmnist-cnn.onnx), BN-folded and quantized to int8 by the test
// builder on 64 test images, run by the integer executor and by the float executor's simulation of the
// same QDQ graph on 64 other images: every activation and the logits within one step on >= 99% (the bound
// of exec_integer_executor_test.cpp), the same top-1 class on >= 63 of 64 images, and the integer executor's
// accuracy on those images close to the float model's. Also: the executor's conv + max pool fusion
// (fuse_conv_maxpool) gives the unfused program's bytes. Skips when the model or the dataset is absent.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "unit/exec_integer_models.h"

namespace tinyopt {
namespace {

// The teacher quantized by the test builder on 64 test images, and 64 other test images; false (with the
// reason in *why) when the model or the dataset is absent.
bool teacher_qdq(Graph* f, Graph* qdq, Dataset* eval, std::string* why) {
  const std::string model = std::string(TINYOPT_SOURCE_DIR) + "/models/fmnist-cnn.onnx";
  if (!std::filesystem::exists(model)) {
    *why = model + " is absent";
    return false;
  }
  Dataset test;
  try {
    test = load_dataset("fashion-mnist", Split::kTest);
  } catch (const std::exception& e) {
    *why = std::string("fashion-mnist is not installed: ") + e.what();
    return false;
  }
  *f = load_onnx(model);
  *eval = take(test, 64, 64);
  *qdq = testing::quantize_for_test(*f, {take(test, 64, 0).x});
  return true;
}

size_t steps_of(const IntegerProgram& p, topt_family family) {
  size_t n = 0;
  for (const IntegerStep& s : p.steps) n += s.family == family;
  return n;
}

int64_t argmax_row(const Tensor& logits, int64_t row) {
  const int64_t classes = logits.dim(1);
  const float* p = logits.data<float>() + row * classes;
  int64_t best = 0;
  for (int64_t c = 1; c < classes; ++c)
    if (p[c] > p[best]) best = c;
  return best;
}

TEST(ExecIntegerTeacher, FmnistCnnInt8AgreesWithTheFloatSimulation) {
  Graph f, qdq;
  Dataset eval;
  std::string why;
  if (!teacher_qdq(&f, &qdq, &eval, &why)) GTEST_SKIP() << why;
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

TEST(ExecIntegerTeacher, FusedConvMaxPoolGivesTheUnfusedBytes) {
  Graph f, qdq;
  Dataset eval;
  std::string why;
  if (!teacher_qdq(&f, &qdq, &eval, &why)) GTEST_SKIP() << why;
  IntegerExecutor fused(qdq, {.threads = 2}), plain(qdq, {.threads = 2, .fuse_conv_maxpool = false});
  // conv2 + pool1 and conv4 + pool2 fused wherever a kernel other than the family reference takes them
  // (the x86 VNNI one on AVX512-VNNI CPUs); the unfused program keeps both pools
  EXPECT_EQ(steps_of(plain.program(), TOPT_FAMILY_maxpool2d_s8), 2u);
  EXPECT_EQ(steps_of(plain.program(), TOPT_FAMILY_conv2d_maxpool_s8), 0u);
  const size_t n_fused = steps_of(fused.program(), TOPT_FAMILY_conv2d_maxpool_s8);
  EXPECT_EQ(fused.program().steps.size() + n_fused, plain.program().steps.size());
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) {
    EXPECT_EQ(n_fused, 2u);
  }
  const Tensor a = fused.run_integer({eval.x}).at(0), b = plain.run_integer({eval.x}).at(0);
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(0, std::memcmp(a.data<int8_t>(), b.data<int8_t>(), static_cast<size_t>(a.numel())));
  // a conv output that is also a graph output is not fused away
  Graph g = qdq;
  for (const Node& n : qdq.nodes)
    if (n.op == OpType::kQuantizeLinear) g.outputs.push_back(n.outputs.at(0));
  EXPECT_EQ(steps_of(IntegerExecutor(g).program(), TOPT_FAMILY_conv2d_maxpool_s8), 0u);
}

}  // namespace
}  // namespace tinyopt
