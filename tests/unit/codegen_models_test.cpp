// The MLPerf Tiny reference shapes (ds-cnn, resnet8, mobilenetv1-0.25, fc-ae) with random weights, quantized
// by the product's PTQ, through `codegen` for the host: the C compiles with -Werror and every output byte on
// random inputs equals the integer executor's (run_integer), and the float wrapper equals run() bit for bit.
// Together these cover every kernel family the four models use (conv, depthwise, pointwise, dense, add,
// average pool) and the NCHW <-> NHWC conversions at the boundary (resnet8, mobilenetv1: 3-channel input).
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <set>

#include "support/test_support.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/exec/integer_executor.h"
#include "unit/codegen_test_support.h"

namespace tinyopt {
namespace {

struct Case {
  const char* arch;
  float width;
};

class CodegenModels : public ::testing::TestWithParam<Case> {};

TEST_P(CodegenModels, ByteExactWithTheIntegerExecutor) {
  const Case c = GetParam();
  const Graph q = testing::quantized_architecture(c.arch, c.width);
  const Tensor x = testing::random_inputs(q, 12, 99);
  testing::TempDir dir;
  const CodegenResult r = generate_c_project(q, host_target(), dir.file("fw"));
  const testing::DriverRun run = testing::run_generated_model(r, x);
  ASSERT_EQ(run.error, "");
  IntegerExecutor exec(q, {.threads = 2});
  const Tensor want_q = exec.run_integer({x}).at(0), want_f = exec.run({x}).at(0);
  ASSERT_EQ(run.int8.size(), static_cast<size_t>(want_q.numel()));
  int64_t mismatches = 0;
  for (size_t i = 0; i < run.int8.size(); ++i)
    if (run.int8[i] != want_q.data<int8_t>()[i] && mismatches++ < 5)
      ADD_FAILURE() << c.arch << " output byte " << i << " (sample " << i / static_cast<size_t>(r.output_size)
                    << "): generated " << int(run.int8[i]) << ", executor " << int(want_q.data<int8_t>()[i]);
  EXPECT_EQ(mismatches, 0);
  // Random weights must still give varied outputs, or equality would prove little.
  const std::set<int8_t> distinct(run.int8.begin(), run.int8.end());
  EXPECT_GE(distinct.size(), 8u) << c.arch << ": the outputs hardly vary";
  ASSERT_EQ(run.f32.size(), static_cast<size_t>(want_f.numel()));
  EXPECT_EQ(std::memcmp(run.f32.data(), want_f.data<float>(), run.f32.size() * sizeof(float)), 0);
  std::cout << "[ codegen   ] " << c.arch << ": " << x.dim(0) << " samples x " << r.output_size
            << " outputs byte-identical (" << distinct.size() << " distinct values); " << r.steps.size() << " kernel calls, weights " << r.weight_bytes
            << " B, arena " << r.arena_bytes << " B (lower bound " << r.arena_lower_bound_bytes << ")\n";
}

INSTANTIATE_TEST_SUITE_P(MlperfTiny, CodegenModels,
                         ::testing::Values(Case{"ds-cnn", 1.0f}, Case{"resnet8", 1.0f}, Case{"mobilenetv1", 0.25f},
                                           Case{"fc-ae", 1.0f}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string n = i.param.arch;
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace tinyopt
