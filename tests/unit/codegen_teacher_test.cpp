// The shipped Fashion-MNIST teacher, quantized by the product's PTQ (int8 and W4A8), through `codegen` for the
// host: the generated C compiles with `cc -std=c99 -Wall -Wextra -Werror`, and on 200 real test images every
// int8 output byte equals the integer executor's (run_integer) and every float of tinyopt_model_invoke_f32
// equals the executor's run() bit for bit. The generated Makefile builds, and its example prints the
// executor's class for the embedded image. Skips when the model or Fashion-MNIST is absent.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>

#include "support/test_support.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/exec/integer_executor.h"
#include "unit/codegen_test_support.h"

namespace tinyopt {
namespace {

constexpr int64_t kSamples = 200;

void expect_byte_exact(const Graph& qdq, const std::string& label) {
  const std::optional<Dataset> data = testing::fmnist_test(kSamples, 1000);
  ASSERT_TRUE(data.has_value());
  testing::TempDir dir;
  CodegenOptions options;
  options.sample_input = data->x;
  const CodegenResult r = generate_c_project(qdq, host_target(), dir.file("fw"), options);
  ASSERT_EQ(r.input_size, 784);
  ASSERT_EQ(r.output_size, 10);

  const testing::DriverRun run = testing::run_generated_model(r, data->x);
  ASSERT_EQ(run.error, "");
  IntegerExecutor exec(qdq, {.threads = 2});
  const Tensor want_q = exec.run_integer({data->x}).at(0);
  const Tensor want_f = exec.run({data->x}).at(0);
  ASSERT_EQ(run.int8.size(), static_cast<size_t>(want_q.numel()));
  ASSERT_EQ(run.f32.size(), static_cast<size_t>(want_f.numel()));
  int64_t mismatches = 0, samples_equal = 0;
  for (int64_t s = 0; s < kSamples; ++s) {
    bool same = true;
    for (int64_t c = 0; c < 10; ++c) {
      const size_t i = static_cast<size_t>(s * 10 + c);
      if (run.int8[i] != want_q.data<int8_t>()[i]) {
        if (mismatches++ < 5)
          ADD_FAILURE() << label << " sample " << s << " output " << c << ": generated " << int(run.int8[i])
                        << ", executor " << int(want_q.data<int8_t>()[i]);
        same = false;
      }
    }
    samples_equal += same;
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(std::memcmp(run.f32.data(), want_f.data<float>(), run.f32.size() * sizeof(float)), 0)
      << label << ": tinyopt_model_invoke_f32 differs from IntegerExecutor::run";
  std::cout << "[ codegen   ] " << label << ": " << samples_equal << "/" << kSamples
            << " samples byte-identical to the integer executor; weights " << r.weight_bytes << " B, params "
            << r.params_bytes << " B, arena " << r.arena_bytes << " B\n";

  // The generated Makefile and example, warning-free.
  const auto make = testing::run_command("make -s -C " + r.dir + " EXTRA_CFLAGS=-Werror 2>&1");
  ASSERT_EQ(make.exit_code, 0) << make.out << make.err;
  const auto ex = testing::run_command(r.dir + "/example");
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  int best = 0;
  for (int c = 1; c < 10; ++c)
    if (want_q.data<int8_t>()[c] > want_q.data<int8_t>()[best]) best = c;
  EXPECT_NE(ex.out.find("argmax: " + std::to_string(best) + "\n"), std::string::npos) << ex.out;
}

TEST(CodegenTeacher, Int8ByteExactWithTheIntegerExecutor) {
  const std::optional<Graph> q = testing::quantized_teacher(8);
  if (!q) GTEST_SKIP() << "models/fmnist-cnn.onnx or fashion-mnist is absent";
  expect_byte_exact(*q, "fmnist-cnn int8");
}

TEST(CodegenTeacher, W4A8ByteExactWithTheIntegerExecutor) {
  const std::optional<Graph> q = testing::quantized_teacher(4);
  if (!q) GTEST_SKIP() << "models/fmnist-cnn.onnx or fashion-mnist is absent";
  expect_byte_exact(*q, "fmnist-cnn W4A8");
}

}  // namespace
}  // namespace tinyopt
