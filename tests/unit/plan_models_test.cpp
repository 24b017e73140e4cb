// The memory planner on real quantized models: the built-in MLPerf Tiny / Fashion-MNIST architectures
// quantized by the product's PTQ get valid plans within 5% of the lower bound (issue 6's goal), and
// programs RUN from one arena at the planned offsets, with every dead byte overwritten with noise before
// each step, give byte-identical outputs to the integer executor (the plan is correct, not only its
// arithmetic).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iostream>

#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/passes/quantize.h"
#include "tinyopt/plan/arena_plan.h"
#include "unit/exec_integer_models.h"
#include "unit/plan_test_programs.h"

namespace tinyopt {
namespace {

void expect_same_as_executor(const Graph& qdq, const ArenaPlanOptions& options, const std::string& what) {
  IntegerExecutor ex(qdq);
  const IntegerProgram& program = ex.program();
  const ArenaPlan plan = plan_arena(program, options);
  ASSERT_EQ(check_arena_plan(program, plan, options.alignment), "") << what;
  const std::vector<Tensor> inputs = {testing::model_input(qdq, 3, 5)};
  const std::vector<Tensor> floats = ex.run(inputs);
  const std::vector<Tensor> ints = ex.run_integer(inputs);
  const auto got = testing::run_from_arena(program, plan, inputs);
  ASSERT_EQ(got.size(), 3u);
  for (size_t b = 0; b < got.size(); ++b) {
    ASSERT_EQ(got[b].size(), floats.size() + ints.size());
    for (size_t i = 0; i < got[b].size(); ++i) {
      const Tensor& want = i < floats.size() ? floats[i] : ints[i - floats.size()];
      const size_t bytes = want.nbytes() / 3;
      ASSERT_EQ(got[b][i].size(), bytes) << what << " output " << i;
      EXPECT_EQ(std::memcmp(got[b][i].data(), want.bytes() + b * bytes, bytes), 0)
          << what << ": sample " << b << " output " << i << " differs from the integer executor (" << plan.strategy << ")";
    }
  }
}

TEST(PlanModels, SmallModelsRunFromOneArena) {
  const std::vector<std::pair<std::string, Graph>> models = {
      {"cnn", testing::cnn_model(1)}, {"mobile", testing::mobile_model(2)},
      {"residual", testing::residual_model(3)}, {"concat", testing::concat_model(4)}};
  for (const auto& [name, f] : models) {
    Dataset calib;
    calib.x = testing::model_input(f, 4, 9);
    quant::QuantizeOptions o;
    o.calibrator = quant::Calibrator::kMinMax;
    o.bias_correction = false;
    const Graph qdq = quant::quantize_model(f, calib, o).qdq;
    ArenaPlanOptions baseline;
    baseline.in_place = baseline.search_order = baseline.search_placement = false;
    expect_same_as_executor(qdq, baseline, name + " (baseline plan)");
    expect_same_as_executor(qdq, ArenaPlanOptions{}, name);
    ArenaPlanOptions tight;
    tight.alignment = 1;
    expect_same_as_executor(qdq, tight, name + " (alignment 1)");
  }
}

// The runner has teeth: a plan that puts the first conv's output over the residual input the add still
// needs (which the checker also refuses) changes the results.
TEST(PlanModels, ABrokenPlanChangesTheOutputs) {
  Dataset calib;
  const Graph f = testing::residual_model(3);
  calib.x = testing::model_input(f, 4, 9);
  quant::QuantizeOptions o;
  o.calibrator = quant::Calibrator::kMinMax;
  o.bias_correction = false;
  const Graph qdq = quant::quantize_model(f, calib, o).qdq;
  IntegerExecutor ex(qdq);
  const IntegerProgram& program = ex.program();
  ArenaPlan plan = plan_arena(program);
  ASSERT_EQ(program.steps[0].family, TOPT_FAMILY_quantize_s8);
  ASSERT_EQ(program.steps[1].family, TOPT_FAMILY_conv2d_s8);
  const int x = program.steps[0].outputs[0], conv_out = program.steps[1].outputs[0];
  ASSERT_EQ(program.tensors[static_cast<size_t>(x)].bytes(), program.tensors[static_cast<size_t>(conv_out)].bytes());
  plan.offset[static_cast<size_t>(conv_out)] = plan.offset[static_cast<size_t>(x)];
  EXPECT_NE(check_arena_plan(program, plan, 16), "");
  const std::vector<Tensor> inputs = {testing::model_input(qdq, 1, 5)};
  const std::vector<Tensor> want = ex.run_integer(inputs);
  const auto got = testing::run_from_arena(program, plan, inputs);
  const std::vector<uint8_t>& ints = got[0].back();
  EXPECT_NE(std::memcmp(ints.data(), want.back().bytes(), ints.size()), 0);
}

TEST(PlanModels, BuiltInArchitecturesWithinFivePercentOfTheLowerBound) {
  struct Arch {
    std::string name;
    float width;
    bool run;  // also run it from the arena (the larger ones are planned and checked only)
  };
  for (const Arch& a : {Arch{"fmnist-cnn", 1.0f, true}, Arch{"ds-cnn", 1.0f, true}, Arch{"resnet8", 1.0f, true},
                        Arch{"mobilenetv1", 0.25f, false}, Arch{"fc-ae", 1.0f, true}}) {
    const Graph qdq = testing::quantized_architecture(a.name, a.width);
    const IntegerProgram program = lower_qdq_graph(qdq);
    ArenaPlanOptions baseline;
    baseline.in_place = baseline.search_order = baseline.search_placement = false;
    const ArenaPlan base = plan_arena(program, baseline);
    const ArenaPlan ours = plan_arena(program);
    ASSERT_EQ(check_arena_plan(program, base, 16), "") << a.name;
    ASSERT_EQ(check_arena_plan(program, ours, 16), "") << a.name;
    EXPECT_LE(ours.arena_bytes, base.arena_bytes) << a.name;
    EXPECT_GE(ours.arena_bytes, ours.lower_bound_bytes) << a.name;
    EXPECT_LE(static_cast<double>(ours.arena_bytes), 1.05 * static_cast<double>(ours.lower_bound_bytes))
        << a.name << ": " << ours.strategy;
    std::cout << "[ arena     ] " << a.name << ": naive " << ours.naive_bytes << ", greedy " << base.arena_bytes
              << ", ours " << ours.arena_bytes << ", lower bound " << ours.lower_bound_bytes << " (" << ours.strategy
              << ")\n";
    if (a.run) expect_same_as_executor(qdq, ArenaPlanOptions{}, a.name);
  }
}

}  // namespace
}  // namespace tinyopt
