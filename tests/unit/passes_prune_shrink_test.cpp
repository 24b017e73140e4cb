// Dependency groups and the physical shrink on every built-in architecture: the shrunk graph verifies,
// exports to ONNX, has fewer MACs and parameters, and computes what the masked original computes (the
// same channels zeroed, shapes unchanged) to 1e-5.
#include <gtest/gtest.h>

#include <algorithm>

#include "passes_prune_test_util.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/prune.h"

namespace tinyopt::prune {
namespace {

using testing::max_relative_difference;
using testing::random_input;
using testing::randomized_arch;

const DependencyGroup* group_with_member(const ChannelAnalysis& a, const std::string& member) {
  for (const DependencyGroup& g : a.groups)
    if (std::find(g.members.begin(), g.members.end(), member) != g.members.end()) return &g;
  return nullptr;
}

// Removes about a third of the channels of every prunable group (never all of them).
ChannelSelection some_channels(const ChannelAnalysis& a) {
  ChannelSelection s = empty_selection(a);
  for (size_t g = 0; g < a.groups.size(); ++g) {
    if (!a.groups[g].prunable) continue;
    for (size_t c = 0; c + 1 < a.groups[g].channels.size(); ++c) s.removed[g][c] = (c * 7 + g) % 3 == 0;
  }
  return s;
}

struct ArchCase {
  std::string name;
  float width;
};

class ShrinkEveryArch : public ::testing::TestWithParam<ArchCase> {};

TEST_P(ShrinkEveryArch, ShrunkEqualsMaskedAndIsSmaller) {
  const Graph g = randomized_arch(GetParam().name, GetParam().width);
  const ChannelAnalysis a = analyze_channels(g);
  const ChannelSelection sel = some_channels(a);
  const Graph shrunk = shrink_channels(g, a, sel);
  const Graph masked = mask_channels(g, a, sel);
  ASSERT_NO_THROW(verify_graph(shrunk));
  ASSERT_NO_THROW(verify_graph(masked));
  const ModelSummary before = summarize_model(g), after = summarize_model(shrunk);
  EXPECT_LT(after.macs, before.macs);
  EXPECT_LT(after.params, before.params);
  // Exports and re-imports as a valid model.
  const Graph reloaded = parse_onnx(serialize_onnx(shrunk), GetParam().name + ".onnx");
  ASSERT_NO_THROW(verify_graph(reloaded));

  const Tensor x = random_input(g, 2);
  const Tensor ref = FloatExecutor(masked).run({x})[0];
  const Tensor got = FloatExecutor(reloaded).run({x})[0];
  EXPECT_LE(max_relative_difference(ref, got), 1e-5) << GetParam().name;
  // The mask really changes the model (the test would be vacuous otherwise).
  const Tensor orig = FloatExecutor(g).run({x})[0];
  EXPECT_GT(max_relative_difference(orig, ref), 1e-4) << GetParam().name;
}

// The same through the real selection path: L1 scores, half of every prunable group (per-group ratio,
// --round-to 4, default minimum widths), as `tinyopt prune --method l1 --ratio 0.5` does before fine-tuning.
TEST_P(ShrinkEveryArch, L1HalfSelectionEqualsMaskedAndIsSmaller) {
  const Graph g = randomized_arch(GetParam().name, GetParam().width);
  const ChannelAnalysis a = analyze_channels(g);
  PruneTarget t;
  t.ratio = 0.5;
  const SelectionResult r = select_channels(g, a, channel_scores(g, a, Criterion::kL1), t);
  const Graph shrunk = shrink_channels(g, a, r.selection);
  ASSERT_NO_THROW(verify_graph(shrunk));
  const ModelSummary before = summarize_model(g), after = summarize_model(shrunk);
  EXPECT_LT(after.macs, before.macs);
  EXPECT_LT(after.params, before.params);
  EXPECT_EQ(after.macs, r.macs);
  const Tensor x = random_input(g, 2);
  const Tensor ref = FloatExecutor(mask_channels(g, a, r.selection)).run({x})[0];
  const Tensor got = FloatExecutor(parse_onnx(serialize_onnx(shrunk), "p.onnx")).run({x})[0];
  EXPECT_LE(max_relative_difference(ref, got), 1e-5) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(Prune, ShrinkEveryArch,
                         ::testing::Values(ArchCase{"fmnist-cnn", 1.0f}, ArchCase{"fmnist-ds", 1.0f},
                                           ArchCase{"resnet8", 1.0f}, ArchCase{"mobilenetv1", 0.25f},
                                           ArchCase{"ds-cnn", 1.0f}, ArchCase{"squeezenet-fire", 1.0f},
                                           ArchCase{"shufflenet", 1.0f}, ArchCase{"mbconv", 1.0f},
                                           ArchCase{"fc-ae", 1.0f}),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(PruneGroups, ResidualAddTiesBothBranches) {
  const ChannelAnalysis a = analyze_channels(randomized_arch("resnet8"));
  // The stem conv and the first stack's second conv feed the same Add: one group, one channel per index.
  const DependencyGroup* g = group_with_member(a, "'conv1' (Conv) output");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->prunable) << g->reason;
  EXPECT_NE(std::find(g->members.begin(), g->members.end(), "'stack1_conv2' (Conv) output"), g->members.end());
  EXPECT_EQ(g->channels.size(), 16u);
  for (const Channel& c : g->channels) EXPECT_GE(c.elements.size(), 2u);
}

TEST(PruneGroups, DepthwiseSharesItsProducersChannels) {
  const ChannelAnalysis a = analyze_channels(randomized_arch("mobilenetv1", 0.25f));
  const DependencyGroup* g = group_with_member(a, "'block2_dw' (Conv) input");
  ASSERT_NE(g, nullptr);
  EXPECT_NE(std::find(g->members.begin(), g->members.end(), "'conv1' (Conv) output"), g->members.end());
  EXPECT_NE(std::find(g->members.begin(), g->members.end(), "'block2_pw' (Conv) input"), g->members.end());
}

TEST(PruneGroups, GraphOutputAndGroupedShuffleAreReported) {
  const ChannelAnalysis a = analyze_channels(randomized_arch("shufflenet"));
  EXPECT_EQ(a.shuffles.size(), 4u);
  const DependencyGroup* logits = group_with_member(a, "'fc' (Gemm) output");
  ASSERT_NE(logits, nullptr);
  EXPECT_FALSE(logits->prunable);
  EXPECT_NE(logits->reason.find("graph output 'logits'"), std::string::npos) << logits->reason;
  // Grouped convs tie channel j of each of the 4 groups: every channel holds 4k of gconv2's channels.
  const DependencyGroup* g = group_with_member(a, "'stage2_unit1_gconv2' (Conv) output");
  ASSERT_NE(g, nullptr);
  int gconv2 = -1;
  for (size_t s = 0; s < a.spaces.size(); ++s)
    if (a.spaces[s].node == "stage2_unit1_gconv2") gconv2 = static_cast<int>(s);
  for (const Channel& c : g->channels) {
    size_t mine = 0;
    for (int64_t e : c.elements) mine += a.space_of(e) == gconv2 ? 1 : 0;
    EXPECT_EQ(mine % 4, 0u);
  }
}

TEST(PruneGroups, UnknownOpMakesItsChannelsUnprunableWithAReason) {
  Graph g = randomized_arch("fmnist-cnn");
  // Softmax over the channels of conv2's output: removing a channel would change every other one.
  for (Node& n : g.nodes)
    if (n.name == "conv2_relu") n.op = OpType::kSoftmax;
  const ChannelAnalysis a = analyze_channels(g);
  const DependencyGroup* conv2 = group_with_member(a, "'conv2' (Conv) output");
  ASSERT_NE(conv2, nullptr);
  EXPECT_FALSE(conv2->prunable);
  EXPECT_NE(conv2->reason.find("'conv2_relu' (Softmax)"), std::string::npos) << conv2->reason;
  const DependencyGroup* conv1 = group_with_member(a, "'conv1' (Conv) output");
  ASSERT_NE(conv1, nullptr);
  EXPECT_TRUE(conv1->prunable) << conv1->reason;
}

TEST(PruneShrink, FlattenGemmDropsWholeColumnBlocks) {
  // fmnist-ds ends GAP -> Flatten -> fc; fc-ae is Gemm -> BN -> Gemm. Use fc-ae for Gemm -> Gemm columns
  // and check the shrunk FC weight shapes directly.
  const Graph g = randomized_arch("fc-ae");
  const ChannelAnalysis a = analyze_channels(g);
  ChannelSelection sel = empty_selection(a);
  const DependencyGroup* first = group_with_member(a, "'dense1' (Gemm) output");
  ASSERT_NE(first, nullptr);
  const size_t gi = static_cast<size_t>(first - a.groups.data());
  sel.removed[gi][0] = sel.removed[gi][5] = true;
  const Graph shrunk = shrink_channels(g, a, sel);
  EXPECT_EQ(shrunk.value("dense1.weight").shape, (Shape{126, 640}));
  EXPECT_EQ(shrunk.value("dense2.weight").shape, (Shape{128, 126}));
}

}  // namespace
}  // namespace tinyopt::prune
