// The optimize search's cost J, budget checks and the choice among finished candidates (select_best):
// J by hand, absent metrics left out, budgets met / violated / unchecked, the least-J feasible candidate,
// and the infeasible message naming the budget that cannot be met and the closest point.
#include <gtest/gtest.h>

#include <cmath>

#include "tinyopt/core/error.h"
#include "tinyopt/search/optimize.h"

namespace tinyopt::search {
namespace {

Metrics metrics(double acc, int64_t weight_bytes) {
  Metrics m;
  m.accuracy = acc;
  m.weight_bytes = weight_bytes;
  return m;
}

TEST(SearchObjectives, CostJByHand) {
  Metrics ref = metrics(0.93, 1000);
  ref.latency_ms = 10, ref.energy_uj = 200, ref.flash_bytes = 2000;
  Metrics m = metrics(0.90, 250);
  m.latency_ms = 4, m.energy_uj = 50, m.flash_bytes = 500;
  const CostWeights w{10, 0.5, 0.25, 2};
  // 10 * 0.1 + 0.5 * 0.4 + 0.25 * (500 / 2000) + 2 * 0.25
  EXPECT_NEAR(cost_j(m, ref, w), 1.0 + 0.2 + 0.0625 + 0.5, 1e-12);
  // Without the cost model: latency and energy terms drop out, size falls back to weight bytes.
  const Metrics ref2 = metrics(0.93, 1000), m2 = metrics(0.90, 250);
  EXPECT_NEAR(cost_j(m2, ref2, w), 1.0 + 0.25 * 0.25, 1e-12);
  EXPECT_NEAR(cost_j(ref, ref, CostWeights{}), 10 * 0.07 + 0.1 * 3, 1e-12);
}

TEST(SearchObjectives, ParsesWeightsAndRejectsBadOnes) {
  const CostWeights w = parse_cost_weights("1,0.5,2,0");
  EXPECT_EQ(w.accuracy, 1);
  EXPECT_EQ(w.latency, 0.5);
  EXPECT_EQ(w.size, 2);
  EXPECT_EQ(w.energy, 0);
  for (const char* bad : {"1,2,3", "1,2,3,4,5", "a,1,1,1", "1,-1,1,1", "0,0,0,0", "1,,1,1", "1,2x,1,1"}) {
    try {
      parse_cost_weights(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << bad;
    }
  }
}

TEST(SearchObjectives, BudgetChecksSayMetViolatedOrUnchecked) {
  Budgets b;
  b.max_flash_bytes = 1000;
  b.max_ram_bytes = 500;
  b.min_accuracy = 0.9;
  Metrics m = metrics(0.88, 100);
  m.flash_bytes = 1200;  // RAM not measured
  const std::vector<BudgetCheck> c = check_budgets(m, b);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].name, "flash");
  EXPECT_EQ(c[0].status, BudgetStatus::kViolated);
  EXPECT_NEAR(c[0].excess, 0.2, 1e-12);
  EXPECT_EQ(c[1].status, BudgetStatus::kUnchecked);
  EXPECT_EQ(c[2].status, BudgetStatus::kViolated);
  EXPECT_NEAR(c[2].excess, 0.02 / 0.9, 1e-12);
  EXPECT_FALSE(meets_budgets(c));
  EXPECT_NEAR(budget_distance(c), 0.2 + 0.02 / 0.9, 1e-12);
  m.flash_bytes = 1000, m.accuracy = 0.9;  // limits are inclusive
  EXPECT_TRUE(meets_budgets(check_budgets(m, b)));
}

OptimizeResult synthetic(const std::vector<Metrics>& ms) {
  OptimizeResult r;
  for (size_t i = 0; i < ms.size(); ++i) {
    Candidate c;
    c.spec = {static_cast<int>(i), i == 0 ? 1.0 : 0.5, i % 2 ? WeightPolicy::kInt4 : WeightPolicy::kInt8};
    c.metrics = ms[i];
    r.candidates.push_back(c);
  }
  return r;
}

TEST(SearchObjectives, ChoosesTheFeasibleCandidateOfLeastJ) {
  OptimizeResult r = synthetic({metrics(0.93, 1000), metrics(0.92, 300), metrics(0.85, 100), metrics(0.91, 400)});
  r.options.budgets.min_accuracy = 0.9;
  select_best(r);
  // Default weights (10, 0.1, 0.1, 0.1): J = #0 0.7 + 0.1, #1 0.8 + 0.03, #2 1.5 + 0.01, #3 0.9 + 0.04.
  ASSERT_TRUE(r.best);
  EXPECT_EQ(*r.best, 0);
  EXPECT_EQ(r.front, (std::vector<int>{0, 1, 2}));  // #3 is dominated by #1
  // Weigh size more: #1 wins; #2 is cheapest but misses the accuracy budget.
  r.options.weights = {1, 0, 1, 0};
  select_best(r);
  ASSERT_TRUE(r.best);
  EXPECT_EQ(*r.best, 1);
  EXPECT_TRUE(r.infeasible.empty());
  EXPECT_NEAR(r.j[2], 0.15 + 0.1, 1e-12);
}

TEST(SearchObjectives, DuplicatesAreLeftOutOfTheFront) {
  OptimizeResult r = synthetic({metrics(0.93, 1000), metrics(0.92, 300), metrics(0.92, 300)});
  r.candidates[2].duplicate = true;
  select_best(r);
  EXPECT_EQ(r.front, (std::vector<int>{0, 1}));
  EXPECT_TRUE(std::isnan(r.j[2]));
}

TEST(SearchObjectives, InfeasibleNamesTheBudgetAndTheClosestPoint) {
  OptimizeResult r = synthetic({metrics(0.93, 1000), metrics(0.92, 300), metrics(0.85, 100)});
  r.candidates[0].metrics.flash_bytes = 9000;
  r.candidates[1].metrics.flash_bytes = 6000;
  r.candidates[2].metrics.flash_bytes = 4000;
  r.options.budgets.max_flash_bytes = 2048;
  select_best(r);
  EXPECT_FALSE(r.best);
  ASSERT_TRUE(r.closest);
  EXPECT_EQ(*r.closest, 2);  // least excess over the flash budget
  EXPECT_NE(r.infeasible.find("flash <= 2.0 KiB cannot be met (best reached: 3.9 KiB by #2"), std::string::npos)
      << r.infeasible;
  EXPECT_NE(r.infeasible.find("closest achievable point: #2"), std::string::npos) << r.infeasible;

  // Each budget alone is met by someone, but not together.
  r.options.budgets.max_flash_bytes = 5000;
  r.options.budgets.min_accuracy = 0.9;
  select_best(r);
  EXPECT_FALSE(r.best);
  EXPECT_NE(r.infeasible.find("no candidate meets them all together"), std::string::npos) << r.infeasible;
  ASSERT_TRUE(r.closest);
  EXPECT_EQ(*r.closest, 2);  // misses accuracy by (0.9 - 0.85) / 0.9 = 5.6%; #1 misses flash by 20%
}

}  // namespace
}  // namespace tinyopt::search
