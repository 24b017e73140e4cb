// Importance criteria, channel selection (ratio, MAC and parameter targets, minimum widths, rounding),
// the iterative schedule and unstructured magnitude pruning, on small built-in models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "passes_prune_test_util.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/passes/prune.h"

namespace tinyopt::prune {
namespace {

using testing::randomized_arch;

const DependencyGroup& group_of(const ChannelAnalysis& a, const std::string& member, size_t* index = nullptr) {
  for (size_t i = 0; i < a.groups.size(); ++i)
    for (const std::string& m : a.groups[i].members)
      if (m == member) {
        if (index) *index = i;
        return a.groups[i];
      }
  throw std::runtime_error("no group with member " + member);
}

std::map<std::string, int64_t> widths_after(const Graph& g, const ChannelAnalysis& a, const ChannelSelection& s) {
  std::map<std::string, int64_t> w;
  for (const auto& [node, bw] : space_widths(a, s)) w[node] = bw.second;
  (void)g;
  return w;
}

TEST(PruneImportance, L1IsTheMeanNormalizedFilterNorm) {
  const Graph g = randomized_arch("fmnist-cnn");
  const ChannelAnalysis a = analyze_channels(g);
  size_t gi = 0;
  group_of(a, "'conv3' (Conv) output", &gi);
  const auto scores = channel_scores(g, a, Criterion::kL1);
  // Independent computation: conv3 weight [64, 32, 3, 3], row L1 norms over their mean.
  const Tensor& w = *g.value("conv3.weight").data;
  std::vector<double> norms(64, 0.0);
  for (int64_t i = 0; i < w.numel(); ++i) norms[static_cast<size_t>(i / (32 * 9))] += std::abs(w.data<float>()[i]);
  const double mean = std::accumulate(norms.begin(), norms.end(), 0.0) / 64;
  ASSERT_EQ(scores[gi].size(), 64u);
  for (size_t c = 0; c < 64; ++c) EXPECT_NEAR(scores[gi][c], norms[c] / mean, 1e-9);
}

TEST(PruneImportance, SlimmingRemovesTheSmallestGammas) {
  Graph g = randomized_arch("fmnist-cnn");
  Tensor gamma = g.value("conv3_bn.scale").data->clone();
  for (int c : {3, 17, 40}) gamma.data<float>()[c] = 1e-4f;
  g.value("conv3_bn.scale").data = gamma;
  const ChannelAnalysis a = analyze_channels(g);
  size_t gi = 0;
  group_of(a, "'conv3' (Conv) output", &gi);
  PruneTarget t;
  t.ratio = 3.0 / 64.0;
  t.round_to = 1;
  const SelectionResult r = select_channels(g, a, channel_scores(g, a, Criterion::kSlimming), t);
  std::vector<size_t> removed;
  for (size_t c = 0; c < r.selection.removed[gi].size(); ++c)
    if (r.selection.removed[gi][c]) removed.push_back(c);
  EXPECT_EQ(removed, (std::vector<size_t>{3, 17, 40}));
}

TEST(PruneImportance, TaylorScoresAreFiniteAndInformative) {
  const Graph g = randomized_arch("fmnist-ds");
  Dataset d;
  d.x = testing::random_input(g, 32);
  for (int i = 0; i < 32; ++i) d.y.push_back(i % 10);
  d.num_classes = 10;
  const ChannelAnalysis a = analyze_channels(g);
  TaylorOptions o;
  o.data = &d;
  o.batches = 2;
  o.batch = 16;
  const auto scores = channel_scores(g, a, Criterion::kTaylor, o);
  double total = 0;
  for (size_t gi = 0; gi < a.groups.size(); ++gi)
    for (double s : scores[gi]) {
      ASSERT_TRUE(std::isfinite(s));
      ASSERT_GE(s, 0.0);
      total += s;
    }
  EXPECT_GT(total, 0.0);
  EXPECT_THROW(channel_scores(g, a, Criterion::kTaylor, {}), Error);  // no data
}

TEST(PruneSelect, UniformRatioHonoursRoundingAndMinimumWidths) {
  const Graph g = randomized_arch("fmnist-cnn");
  const ChannelAnalysis a = analyze_channels(g);
  const auto scores = channel_scores(g, a, Criterion::kL1);
  PruneTarget half;
  half.ratio = 0.5;
  auto w = widths_after(g, a, select_channels(g, a, scores, half).selection);
  EXPECT_EQ(w["conv1"], 16);
  EXPECT_EQ(w["conv3"], 32);
  EXPECT_EQ(w["conv5"], 64);
  EXPECT_EQ(w["fc"], 10);  // logits are never pruned
  PruneTarget most;
  most.ratio = 0.99;  // clamped at max(4, 10% of the width), rounded up to 4
  w = widths_after(g, a, select_channels(g, a, scores, most).selection);
  EXPECT_EQ(w["conv1"], 4);
  EXPECT_EQ(w["conv3"], 8);
  EXPECT_EQ(w["conv5"], 16);
  most.round_to = 16;
  most.min_channels = 2;
  w = widths_after(g, a, select_channels(g, a, scores, most).selection);
  EXPECT_EQ(w["conv1"], 16);
  EXPECT_EQ(w["conv5"], 16);
}

TEST(PruneSelect, TargetMacsIsMetWithTheLeastPruning) {
  const Graph g = randomized_arch("resnet8");
  const ChannelAnalysis a = analyze_channels(g);
  const auto scores = channel_scores(g, a, Criterion::kL2);
  const int64_t macs = summarize_model(g).macs;
  PruneTarget t;
  t.target_macs = macs / 2;
  const SelectionResult r = select_channels(g, a, scores, t);
  EXPECT_LE(r.macs, macs / 2);
  EXPECT_GT(r.macs, macs / 4);  // not grossly over-pruned
  const Graph shrunk = shrink_channels(g, a, r.selection);
  verify_graph(shrunk);
  EXPECT_EQ(summarize_model(shrunk).macs, r.macs);

  PruneTarget params;
  params.target_params = summarize_model(g).params / 3;
  EXPECT_LE(select_channels(g, a, scores, params).params, params.target_params);
}

TEST(PruneSelect, ExplicitWidthsKeepTheHighestScoredChannels) {
  const Graph g = randomized_arch("fmnist-cnn");
  const ChannelAnalysis a = analyze_channels(g);
  const auto scores = channel_scores(g, a, Criterion::kL1);
  PruneTarget t;
  t.widths = {{"conv1", 12}, {"conv5", 56}};
  t.round_to = 8;  // asked widths are exact: neither rounded nor clamped
  const ChannelSelection sel = select_channels(g, a, scores, t).selection;
  auto w = widths_after(g, a, sel);
  EXPECT_EQ(w["conv1"], 12);
  EXPECT_EQ(w["conv2"], 32);
  EXPECT_EQ(w["conv5"], 56);
  // The 20 channels conv1 loses are its 20 lowest-scored ones.
  size_t gi = 0;
  group_of(a, "'conv1' (Conv) output", &gi);
  std::vector<double> kept, dropped;
  for (size_t c = 0; c < scores[gi].size(); ++c) (sel.removed[gi][c] ? dropped : kept).push_back(scores[gi][c]);
  ASSERT_EQ(dropped.size(), 20u);
  EXPECT_LE(*std::max_element(dropped.begin(), dropped.end()), *std::min_element(kept.begin(), kept.end()));

  for (const auto& [bad, says] : std::vector<std::pair<std::map<std::string, int64_t>, std::string>>{
           {{{"conv1", 33}}, "conv1 has 32 channels"},
           {{{"conv1", 0}}, "conv1 has 32 channels"},
           {{{"fc", 5}}, "--widths fc"},
           {{{"nope", 4}}, "no layer of that name"}}) {
    PruneTarget b;
    b.widths = bad;
    try {
      select_channels(g, a, scores, b);
      FAIL() << says;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
}

TEST(PruneSchedule, ExplicitWidthsAreReachedStepByStep) {
  const Graph g = randomized_arch("fmnist-cnn");
  PruneOptions o;
  o.target.widths = {{"conv2", 8}, {"conv4", 20}};
  o.steps = 2;
  std::vector<int64_t> conv4_width;
  auto fine_tune = [&](const Graph& step_graph, int) {
    for (const ChannelSpace& s : analyze_channels(step_graph).spaces)
      if (s.node == "conv4") conv4_width.push_back(s.width);
    return step_graph;
  };
  const Graph out = prune_structured(g, o, fine_tune, nullptr);
  ASSERT_EQ(conv4_width.size(), 2u);
  EXPECT_EQ(conv4_width[0], 36);  // 64 * (20/64)^(1/2) = 35.8, rounded up to a multiple of 4
  EXPECT_EQ(conv4_width[1], 20);
  for (const ChannelSpace& s : analyze_channels(out).spaces) {
    if (s.node == "conv2") {
      EXPECT_EQ(s.width, 8);
    } else if (s.node == "conv3") {
      EXPECT_EQ(s.width, 64);
    }
  }
}

TEST(PruneSelect, ImpossibleRequestsFailWithAReason) {
  const Graph g = randomized_arch("fmnist-cnn");
  const ChannelAnalysis a = analyze_channels(g);
  const auto scores = channel_scores(g, a, Criterion::kL1);
  PruneTarget tiny;
  tiny.target_macs = 1000;
  try {
    select_channels(g, a, scores, tiny);
    FAIL() << "expected an infeasible target";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInfeasible);
    EXPECT_NE(std::string(e.what()).find("smallest achievable is"), std::string::npos) << e.what();
  }
  PruneTarget bad;
  bad.ratio = 1.0;
  try {
    select_channels(g, a, scores, bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
  }
  // A lone Gemm from the graph input to the graph output has nothing prunable.
  Graph lone;
  lone.inputs = {"x"};
  lone.outputs = {"y"};
  lone.set_value({"x", {-1, 8}, DType::kF32, {}, {}});
  lone.add_initializer("w", Tensor(DType::kF32, {4, 8}));
  lone.set_value({"y", {-1, 4}, DType::kF32, {}, {}});
  lone.nodes.push_back({"fc", OpType::kGemm, {"x", "w"}, {"y"}, {{"transB", int64_t{1}}}});
  const ChannelAnalysis la = analyze_channels(lone);
  PruneTarget half;
  half.ratio = 0.5;
  try {
    select_channels(lone, la, channel_scores(lone, la, Criterion::kL1), half);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInfeasible);
    EXPECT_NE(std::string(e.what()).find("nothing is prunable"), std::string::npos) << e.what();
  }
}

TEST(PruneSchedule, IterativeStepsFineTuneBetweenSteps) {
  const Graph g = randomized_arch("fmnist-ds");
  const int64_t macs = summarize_model(g).macs;
  PruneOptions o;
  o.target.target_macs = macs * 6 / 10;
  o.steps = 3;
  std::vector<int64_t> step_macs;
  int tuned = 0;
  const Graph out = prune_structured(
      g, o, [&](const Graph& p, int) { ++tuned; return p; },
      [&](const PruneStep& s) { step_macs.push_back(s.macs); });
  EXPECT_EQ(tuned, 3);
  ASSERT_EQ(step_macs.size(), 3u);
  EXPECT_GE(step_macs[0], step_macs[1]);
  EXPECT_GE(step_macs[1], step_macs[2]);
  EXPECT_LE(step_macs[2], o.target.target_macs);
  EXPECT_EQ(summarize_model(out).macs, step_macs[2]);
  verify_graph(out);
}

TEST(PruneMagnitude, ZeroesTheSmallestWeightsAndKeepsShapes) {
  const Graph g = randomized_arch("fmnist-cnn");
  const MagnitudeResult global = magnitude_prune(g, 0.5, true);
  EXPECT_NEAR(static_cast<double>(global.zeros) / static_cast<double>(global.weights), 0.5, 0.01);
  EXPECT_EQ(global.graph.value("conv3.weight").shape, g.value("conv3.weight").shape);
  const MagnitudeResult local = magnitude_prune(g, 0.3, false);
  for (const LayerSparsity& l : local.layers)
    EXPECT_NEAR(static_cast<double>(l.zeros) / static_cast<double>(l.weights), 0.3, 0.01) << l.node;
  // Every kept weight is at least as large as every zeroed one within a layer.
  const auto w0 = g.value("conv2.weight").data->span<float>();
  const auto w1 = local.graph.value("conv2.weight").data->span<float>();
  float max_zeroed = 0, min_kept = INFINITY;
  for (size_t i = 0; i < w0.size(); ++i) {
    if (w1[i] == 0.0f) max_zeroed = std::max(max_zeroed, std::abs(w0[i]));
    else min_kept = std::min(min_kept, std::abs(w1[i]));
  }
  EXPECT_LE(max_zeroed, min_kept);
  EXPECT_EQ(weight_sparsity(g)[0].zeros, 0);
}

}  // namespace
}  // namespace tinyopt::prune
