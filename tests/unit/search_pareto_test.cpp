// Pareto front of the optimize search: against an independent sweep in two objectives, the defining
// properties (every excluded point has a dominator on the front, no front point is dominated) on random
// points with many ties in four objectives, and the objective vectors built from Metrics.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tinyopt/search/pareto.h"

namespace tinyopt::search {
namespace {

// Two objectives, minimise both: sort by (x, y); a point is on the front iff its y is below every y seen at
// a strictly smaller x, and no point of the same x has a smaller y. Written independently of dominates().
std::vector<size_t> sweep_front_2d(const std::vector<std::vector<double>>& p) {
  std::vector<size_t> idx(p.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<size_t> front;
  double best_y_before = std::numeric_limits<double>::infinity();  // min y over strictly smaller x
  size_t i = 0;
  while (i < idx.size()) {
    size_t j = i;
    while (j < idx.size() && p[idx[j]][0] == p[idx[i]][0]) ++j;
    const double min_y_here = p[idx[i]][1];  // sorted: the first of the group has the least y
    for (size_t k = i; k < j; ++k)
      if (p[idx[k]][1] == min_y_here && min_y_here < best_y_before) front.push_back(idx[k]);
    best_y_before = std::min(best_y_before, min_y_here);
    i = j;
  }
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<std::vector<double>> random_points(std::mt19937& rng, int n, int dims, int levels) {
  std::uniform_int_distribution<int> d(0, levels - 1);
  std::vector<std::vector<double>> p(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(dims)));
  for (auto& v : p)
    for (double& x : v) x = d(rng);
  return p;
}

TEST(SearchPareto, MatchesAnIndependentSweepInTwoObjectives) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const auto p = random_points(rng, 1 + trial % 30, 2, trial % 2 ? 5 : 100);
    EXPECT_EQ(pareto_front(p), sweep_front_2d(p)) << "trial " << trial;
  }
}

TEST(SearchPareto, FrontIsExactlyTheUndominatedSetInFourObjectives) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 100; ++trial) {
    const auto p = random_points(rng, 2 + trial % 40, 4, 4);  // few levels: many ties and duplicates
    const std::vector<size_t> front = pareto_front(p);
    std::vector<bool> on(p.size(), false);
    for (size_t i : front) on[i] = true;
    for (size_t i = 0; i < p.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < p.size(); ++j) {
        // a dominates b: no worse anywhere, better somewhere (spelled out, not via dominates()).
        bool no_worse = true, better = false;
        for (size_t k = 0; k < 4; ++k) {
          no_worse = no_worse && p[j][k] <= p[i][k];
          better = better || p[j][k] < p[i][k];
        }
        dominated = dominated || (no_worse && better);
      }
      EXPECT_EQ(on[i], !dominated) << "trial " << trial << " point " << i;
    }
    // The front of the front is itself, and duplicates of a front point are on it too.
    std::vector<std::vector<double>> fp;
    for (size_t i : front) fp.push_back(p[i]);
    EXPECT_EQ(pareto_front(fp).size(), fp.size());
  }
}

TEST(SearchPareto, EqualPointsDoNotDominateEachOther) {
  EXPECT_FALSE(dominates({1, 2}, {1, 2}));
  EXPECT_TRUE(dominates({1, 2}, {1, 3}));
  EXPECT_FALSE(dominates({0, 3}, {1, 2}));
  EXPECT_EQ(pareto_front({{1, 2}, {1, 2}, {2, 3}}), (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(pareto_front({}).empty());
}

TEST(SearchPareto, ObjectivesUseOnlyMetricsEveryCandidateHas) {
  Metrics a, b;
  a.accuracy = 0.9, a.weight_bytes = 100;
  b.accuracy = 0.8, b.weight_bytes = 50;
  a.latency_ms = 2.0;  // b has none: latency is left out
  a.flash_bytes = 4000, b.flash_bytes = 3000;
  const Objectives o = objectives_of({a, b});
  EXPECT_EQ(o.names, (std::vector<std::string>{"accuracy", "flash_bytes"}));
  ASSERT_EQ(o.points.size(), 2u);
  EXPECT_EQ(o.points[0], (std::vector<double>{-0.9, 4000}));
  b.latency_ms = 1.0, a.energy_uj = 5, b.energy_uj = 6;
  b.flash_bytes.reset();
  const Objectives o2 = objectives_of({a, b});
  EXPECT_EQ(o2.names, (std::vector<std::string>{"accuracy", "latency_ms", "weight_bytes", "energy_uj"}));
  EXPECT_EQ(o2.points[1], (std::vector<double>{-0.8, 1.0, 50, 6}));
  // Both are on the front: a is more accurate, b smaller.
  EXPECT_EQ(pareto_front(o2.points).size(), 2u);
}

}  // namespace
}  // namespace tinyopt::search
