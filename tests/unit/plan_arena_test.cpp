// The memory planner on hand-made and random programs: every plan passes check_arena_plan, sits between
// the lower bound and the naive sum, never loses to the greedy-by-size baseline, is deterministic; the
// checker itself catches overlapping, misaligned, out-of-range and misordered plans.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/plan_buffers.h"
#include "tinyopt/core/error.h"
#include "tinyopt/plan/arena_plan.h"
#include "unit/plan_test_programs.h"

namespace tinyopt {
namespace {

ArenaPlanOptions baseline_options() {
  ArenaPlanOptions o;
  o.in_place = false;
  o.search_order = false;
  o.search_placement = false;
  return o;
}

// input (f32) -> quantize -> a (sizes[0]) -> conv -> b (sizes[1]) -> ... -> dequantize -> output (f32)
IntegerProgram chain(const std::vector<int64_t>& sizes, topt_family family = TOPT_FAMILY_conv2d_s8) {
  IntegerProgram p;
  auto tensor = [&](IntTensorKind kind, DType dt, int64_t n) {
    IntTensor t;
    t.name = "t" + std::to_string(p.tensors.size());
    t.kind = kind;
    t.dtype = dt;
    t.shape = {1, n};
    p.tensors.push_back(t);
    return static_cast<int>(p.tensors.size()) - 1;
  };
  auto step = [&](topt_family f, int in, int out) {
    IntegerStep s;
    s.family = f;
    s.inputs = {in};
    s.outputs = {out};
    p.steps.push_back(s);
  };
  const int in = tensor(IntTensorKind::kInput, DType::kF32, sizes.front());
  int prev = tensor(IntTensorKind::kActivation, DType::kI8, sizes.front());
  step(TOPT_FAMILY_quantize_s8, in, prev);
  for (size_t i = 1; i < sizes.size(); ++i) {
    const int t = tensor(IntTensorKind::kActivation, DType::kI8, sizes[i]);
    step(family, prev, t);
    prev = t;
  }
  const int out = tensor(IntTensorKind::kOutput, DType::kF32, sizes.back());
  step(TOPT_FAMILY_dequantize_s8, prev, out);
  p.inputs = {in};
  p.outputs = {out};
  p.integer_outputs = {prev};
  return p;
}

TEST(PlanIntervals, HalfOpenOverlap) {
  EXPECT_TRUE(detail::intervals_overlap(0, 10, 5, 15));
  EXPECT_TRUE(detail::intervals_overlap(5, 15, 0, 10));
  EXPECT_TRUE(detail::intervals_overlap(0, 10, 2, 3));
  EXPECT_FALSE(detail::intervals_overlap(0, 10, 10, 20));  // touching ends do not overlap
  EXPECT_FALSE(detail::intervals_overlap(10, 20, 0, 10));
  EXPECT_FALSE(detail::intervals_overlap(0, 0, 0, 10));    // empty
  EXPECT_FALSE(detail::intervals_overlap(3, 3, 0, 10));
}

TEST(PlanArena, ChainLowerBoundAndNaiveAreExact) {
  // Live pairs: (100,50) (50,200) (200,30); every size a multiple of 16 after alignment 16 except 50, 30.
  const IntegerProgram p = chain({100, 50, 200, 30});
  for (const ArenaPlanOptions& o : {baseline_options(), ArenaPlanOptions{}}) {
    const ArenaPlan plan = plan_arena(p, o);
    EXPECT_EQ(check_arena_plan(p, plan, o.alignment), "");
    // 112 + 64 + 208 + 32 aligned; the lower bound is at the conv writing the 200-byte tensor while the
    // 50-byte one is live: 208 (200 padded to the next aligned offset) + 50.
    EXPECT_EQ(plan.naive_bytes, 112u + 64u + 208u + 32u);
    EXPECT_EQ(plan.lower_bound_bytes, 208u + 50u);
    EXPECT_EQ(plan.arena_bytes, plan.lower_bound_bytes);
    EXPECT_EQ(plan.order, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(plan.offset[0], -1);  // the float input belongs to the caller
    EXPECT_EQ(plan.offset[5], -1);  // and so does the float output
  }
}

TEST(PlanArena, ElementwiseStepsRunInPlace) {
  const IntegerProgram p = chain({256, 256, 256, 256}, TOPT_FAMILY_clamp_s8);
  const ArenaPlan in_place = plan_arena(p);
  ArenaPlanOptions no;
  no.in_place = false;
  const ArenaPlan separate = plan_arena(p, no);
  EXPECT_EQ(check_arena_plan(p, in_place, 16), "");
  EXPECT_EQ(check_arena_plan(p, separate, 16), "");
  EXPECT_EQ(in_place.arena_bytes, 256u);
  EXPECT_EQ(separate.arena_bytes, 512u);
  for (int t : {1, 2, 3, 4}) EXPECT_EQ(in_place.offset[static_cast<size_t>(t)], 0);
  // The same plan for a conv chain would overlap live tensors: the checker refuses it.
  const IntegerProgram conv = chain({256, 256, 256, 256});
  EXPECT_NE(check_arena_plan(conv, in_place, 16), "");
}

TEST(PlanArena, CheckerCatchesBrokenPlans) {
  const IntegerProgram p = chain({100, 50, 200, 30});
  const ArenaPlan good = plan_arena(p);
  ASSERT_EQ(check_arena_plan(p, good, 16), "");
  ArenaPlan overlap = good;
  overlap.offset[2] = overlap.offset[3];  // tensors 2 and 3 are live together at the step writing 3
  EXPECT_NE(check_arena_plan(p, overlap, 16).find("overlaps"), std::string::npos) << check_arena_plan(p, overlap, 16);
  ArenaPlan misaligned = good;
  misaligned.offset[4] += 1;
  EXPECT_NE(check_arena_plan(p, misaligned, 16).find("aligned"), std::string::npos);
  ArenaPlan small = good;
  small.arena_bytes -= 1;
  EXPECT_NE(check_arena_plan(p, small, 16).find("past the arena"), std::string::npos);
  ArenaPlan reordered = good;
  std::swap(reordered.order[1], reordered.order[2]);
  EXPECT_NE(check_arena_plan(p, reordered, 16).find("runs before"), std::string::npos);
  ArenaPlan missing = good;
  missing.offset[2] = -1;
  EXPECT_NE(check_arena_plan(p, missing, 16).find("no offset"), std::string::npos);
}

TEST(PlanArena, ScratchIsLiveOnlyDuringItsStep) {
  IntegerProgram p = chain({64, 64, 64, 64});
  p.steps[1].scratch_bytes = 500;
  p.steps[3].scratch_bytes = 500;
  const ArenaPlan plan = plan_arena(p);
  EXPECT_EQ(check_arena_plan(p, plan, 16), "");
  EXPECT_GE(plan.scratch_offset[1], 0);
  EXPECT_EQ(plan.scratch_offset[0], -1);
  EXPECT_GE(plan.scratch_offset[3], 0);
  EXPECT_EQ(plan.lower_bound_bytes, 64u + 64u + 500u);  // two tensors and a scratch live at step 1
  EXPECT_LE(plan.arena_bytes, 640u);                     // the scratch's padding to 512 at most
  ArenaPlan no_scratch = plan;
  no_scratch.scratch_offset[3] = -1;
  EXPECT_NE(check_arena_plan(p, no_scratch, 16).find("needs scratch"), std::string::npos);
}

TEST(PlanArena, ReadingAnUnwrittenTensorIsAnInternalError) {
  IntegerProgram p = chain({64, 64, 64});
  std::swap(p.steps[1], p.steps[2]);  // the second conv now reads a tensor written after it
  try {
    plan_arena(p);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInternal);
    EXPECT_NE(std::string(e.what()).find("no earlier step writes"), std::string::npos) << e.what();
  }
}

TEST(PlanArena, RandomProgramsGiveValidPlansNoWorseThanTheBaseline) {
  int beat = 0, in_place_used = 0, reordered = 0;
  for (uint32_t seed = 0; seed < 150; ++seed) {
    const IntegerProgram p = testing::random_program(seed, 8 + static_cast<int>(seed % 30));
    const ArenaPlan base = plan_arena(p, baseline_options());
    const ArenaPlan ours = plan_arena(p);
    for (const ArenaPlan* plan : {&base, &ours}) {
      ASSERT_EQ(check_arena_plan(p, *plan, 16), "") << "seed " << seed << " " << plan->strategy;
      EXPECT_GE(plan->arena_bytes, plan->lower_bound_bytes) << "seed " << seed;
      EXPECT_LE(plan->arena_bytes, plan->naive_bytes) << "seed " << seed;
    }
    EXPECT_LE(ours.arena_bytes, base.arena_bytes) << "seed " << seed << " " << ours.strategy;
    beat += ours.arena_bytes < base.arena_bytes;
    in_place_used += ours.strategy.find(", 0 in-place") == std::string::npos;
    reordered += ours.order != base.order;
    // Deterministic: the same plan again.
    const ArenaPlan again = plan_arena(p);
    EXPECT_EQ(again.offset, ours.offset);
    EXPECT_EQ(again.order, ours.order);
    // Other alignments stay valid.
    ArenaPlanOptions a1;
    a1.alignment = 1;
    EXPECT_EQ(check_arena_plan(p, plan_arena(p, a1), 1), "") << "seed " << seed;
  }
  // The search must actually find something on branching programs.
  EXPECT_GT(beat, 30);
  EXPECT_GT(in_place_used, 30);
  EXPECT_GT(reordered, 10);
}

TEST(PlanArena, FloatBoundaryPlacedOnRequest) {
  const IntegerProgram p = chain({100, 50, 200});
  ArenaPlanOptions o;
  o.place_float_boundary = true;
  const ArenaPlan plan = plan_arena(p, o);
  EXPECT_EQ(check_arena_plan(p, plan, 16), "");
  EXPECT_GE(plan.offset[0], 0);
  EXPECT_GE(plan.offset.back(), 0);
}

}  // namespace
}  // namespace tinyopt
