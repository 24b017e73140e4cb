// Finite-difference gradient checks of every op the training engine differentiates: analytic backward()
// against central differences of L = sum(r * y), for the input and every learned parameter.
#include <gtest/gtest.h>

#include "tinyopt/core/error.h"
#include "train_test_util.h"

namespace tinyopt {
namespace {

using testing::expect_gradients_match;
using testing::GradCheckOptions;
using testing::GraphBuilder;
using testing::random_away_from_zero;
using testing::random_vector;
using Ints = std::vector<int64_t>;

std::vector<float> input_for(const Graph& g, int64_t batch, uint64_t seed = 3) {
  int64_t n = batch;
  const Shape& s = g.value("x").shape;
  for (size_t i = 1; i < s.size(); ++i) n *= s[i];
  return random_vector(static_cast<size_t>(n), -1.0f, 1.0f, seed);
}

struct ConvCase {
  const char* name;
  int64_t c, k, group, kernel, stride, dilation;
  Ints pads;
  bool bias;
};

class ConvGrad : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvGrad, MatchesFiniteDifferences) {
  const ConvCase cc = GetParam();
  GraphBuilder b({cc.c, 7, 6});
  const std::string w = b.init({cc.k, cc.c / cc.group, cc.kernel, cc.kernel});
  std::vector<std::string> in = {"x", w};
  if (cc.bias) in.push_back(b.init({cc.k}));
  b.node(OpType::kConv, in,
         {{"group", cc.group}, {"strides", Ints{cc.stride, cc.stride}}, {"dilations", Ints{cc.dilation, cc.dilation}},
          {"pads", cc.pads}});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvGrad,
    ::testing::Values(ConvCase{"k3_pad1", 3, 4, 1, 3, 1, 1, {1, 1, 1, 1}, true},
                      ConvCase{"k3_stride2_asym_pad", 3, 5, 1, 3, 2, 1, {0, 1, 1, 0}, true},
                      ConvCase{"dilation2", 2, 3, 1, 3, 1, 2, {2, 2, 2, 2}, false},
                      ConvCase{"grouped", 4, 6, 2, 3, 1, 1, {1, 1, 1, 1}, true},
                      ConvCase{"depthwise", 4, 4, 4, 3, 1, 1, {1, 1, 1, 1}, true},
                      ConvCase{"depthwise_mult2_stride2", 3, 6, 3, 3, 2, 1, {1, 1, 1, 1}, true},
                      ConvCase{"pointwise", 5, 3, 1, 1, 1, 1, {0, 0, 0, 0}, true},
                      ConvCase{"pointwise_stride2", 3, 4, 1, 1, 2, 1, {0, 0, 0, 0}, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TrainGrad, GemmTransB) {
  GraphBuilder b({6});
  b.node(OpType::kGemm, {"x", b.init({4, 6}), b.init({4})}, {{"transB", int64_t{1}}, {"alpha", 0.7f}, {"beta", 1.3f}});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 3), {.batch = 3});
}

TEST(TrainGrad, GemmNoTransScalarBias) {
  GraphBuilder b({5});
  b.node(OpType::kGemm, {"x", b.init({5, 3}), b.init({1})});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

Graph batch_norm_graph() {
  GraphBuilder b({3, 4, 3});
  b.node(OpType::kBatchNormalization,
         {"x", b.init({3}, 0.5f, 1.5f), b.init({3}), b.init({3}), b.init({3}, 0.5f, 2.0f)},
         {{"epsilon", 1e-3f}, {"momentum", 0.8f}});
  return b.finish();
}

TEST(TrainGrad, BatchNormTrainingMode) {
  const Graph g = batch_norm_graph();
  expect_gradients_match(g, input_for(g, 3), {.batch = 3});
}

TEST(TrainGrad, BatchNormEvalMode) {
  const Graph g = batch_norm_graph();
  expect_gradients_match(g, input_for(g, 2), {.mode = train::Mode::kEval});
}

struct UnaryCase {
  const char* name;
  OpType op;
  float clip_lo, clip_hi;  // Clip only
};

class UnaryGrad : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryGrad, MatchesFiniteDifferences) {
  const UnaryCase uc = GetParam();
  GraphBuilder b({3, 5});
  std::vector<std::string> in = {"x"};
  if (uc.op == OpType::kClip) {
    in.push_back(b.init_values({}, {uc.clip_lo}));
    in.push_back(b.init_values({}, {uc.clip_hi}));
  }
  std::map<std::string, Attribute> attrs;
  if (uc.op == OpType::kLeakyRelu) attrs["alpha"] = 0.1f;
  b.node(uc.op, in, attrs);
  const Graph g = b.finish();
  // Inputs in [-4.5, 4.5] away from every kink (0, +-3, and the Clip bounds) by more than eps.
  std::vector<float> x = random_away_from_zero(30, 0.05f, 4.5f, 11);
  for (float& v : x)
    for (float kink : {-3.0f, 3.0f, uc.clip_lo, uc.clip_hi})
      if (std::abs(v - kink) < 0.05f) v = kink + 0.1f;
  expect_gradients_match(g, x);
}

INSTANTIATE_TEST_SUITE_P(Ops, UnaryGrad,
                         ::testing::Values(UnaryCase{"Relu", OpType::kRelu, 0, 0},
                                           UnaryCase{"Relu6", OpType::kClip, 0.0f, 6.0f},
                                           UnaryCase{"ClipSymmetric", OpType::kClip, -1.0f, 1.0f},
                                           UnaryCase{"LeakyRelu", OpType::kLeakyRelu, 0, 0},
                                           UnaryCase{"HardSwish", OpType::kHardSwish, 0, 0},
                                           UnaryCase{"HardSigmoid", OpType::kHardSigmoid, 0, 0},
                                           UnaryCase{"Sigmoid", OpType::kSigmoid, 0, 0},
                                           UnaryCase{"Tanh", OpType::kTanh, 0, 0}),
                         [](const auto& info) { return std::string(info.param.name); });

// Pool inputs: distinct values spaced 0.05 apart (> 2 eps), so no perturbation changes a window's max.
std::vector<float> distinct_values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 0.05f * static_cast<float>(i) - 0.025f * static_cast<float>(n);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(seed));
  return v;
}

TEST(TrainGrad, MaxPoolStridedPadded) {
  GraphBuilder b({2, 7, 7});
  b.node(OpType::kMaxPool, {"x"}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  const Graph g = b.finish();
  expect_gradients_match(g, distinct_values(2 * 2 * 49, 5), {.eps = 5e-3f});
}

TEST(TrainGrad, MaxPoolCeilModeDilated) {
  GraphBuilder b({2, 8, 7});
  b.node(OpType::kMaxPool, {"x"}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"dilations", Ints{1, 2}},
                                   {"ceil_mode", int64_t{1}}});
  const Graph g = b.finish();
  expect_gradients_match(g, distinct_values(2 * 2 * 56, 6), {.eps = 5e-3f});
}

TEST(TrainGrad, AveragePoolExcludePad) {
  GraphBuilder b({2, 6, 5});
  b.node(OpType::kAveragePool, {"x"}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

TEST(TrainGrad, AveragePoolIncludePadCeil) {
  GraphBuilder b({2, 6, 5});
  b.node(OpType::kAveragePool, {"x"}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}},
                                       {"count_include_pad", int64_t{1}}, {"ceil_mode", int64_t{1}}});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

TEST(TrainGrad, GlobalAveragePool) {
  GraphBuilder b({3, 4, 5});
  b.node(OpType::kGlobalAveragePool, {"x"});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

struct BinaryCase {
  const char* name;
  OpType op;
  Shape other;        // shape of the second operand
  bool other_batched; // computed from x (GlobalAveragePool of x) rather than a weight
};

class BinaryGrad : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryGrad, MatchesFiniteDifferences) {
  const BinaryCase bc = GetParam();
  GraphBuilder b({3, 4, 5});
  // A Conv in front gives the constant operand's path a learnable neighbour and x a gradient path.
  std::string other;
  if (bc.other_batched) {
    other = b.node(OpType::kGlobalAveragePool, {"x"});            // (N, 3, 1, 1): the SE gate shape
    other = b.node(OpType::kSigmoid, {other});
  } else {
    other = b.init(bc.other, 0.5f, 1.5f);  // positive: safe divisor
  }
  b.node(bc.op, {"x", other});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

INSTANTIATE_TEST_SUITE_P(Ops, BinaryGrad,
                         ::testing::Values(BinaryCase{"AddChannel", OpType::kAdd, {3, 1, 1}, false},
                                           BinaryCase{"SubRow", OpType::kSub, {5}, false},
                                           BinaryCase{"MulSqueezeExcite", OpType::kMul, {}, true},
                                           BinaryCase{"MulScalar", OpType::kMul, {}, false},
                                           BinaryCase{"DivChannel", OpType::kDiv, {3, 1, 1}, false},
                                           BinaryCase{"AddSameShape", OpType::kAdd, {3, 4, 5}, false}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TrainGrad, AddOfTwoBranchesResidual) {
  GraphBuilder b({2, 5, 5});
  const std::string c = b.node(OpType::kConv, {"x", b.init({2, 2, 3, 3}), b.init({2})}, {{"pads", Ints{1, 1, 1, 1}}});
  b.node(OpType::kAdd, {c, "x"});  // x read twice: gradients from both consumers add up
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

TEST(TrainGrad, ConcatChannels) {
  GraphBuilder b({2, 3, 3});
  const std::string c = b.node(OpType::kConv, {"x", b.init({3, 2, 1, 1})});
  b.node(OpType::kConcat, {"x", c}, {{"axis", int64_t{1}}});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

TEST(TrainGrad, FlattenReshapeSqueezeUnsqueeze) {
  GraphBuilder b({2, 3, 4});
  b.node(OpType::kFlatten, {"x"});
  b.node(OpType::kReshape, {b.last(), b.init_i64({3}, {0, 6, 4})});
  b.node(OpType::kUnsqueeze, {b.last(), b.init_i64({1}, {1})});
  b.node(OpType::kSqueeze, {b.last(), b.init_i64({1}, {1})});
  b.node(OpType::kMul, {b.last(), b.init({6, 4})});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

TEST(TrainGrad, TransposeChannelShuffle) {
  GraphBuilder b({6, 2, 3});
  b.node(OpType::kReshape, {"x", b.init_i64({5}, {-1, 2, 3, 2, 3})});
  b.node(OpType::kTranspose, {b.last()}, {{"perm", Ints{0, 2, 1, 3, 4}}});
  b.node(OpType::kReshape, {b.last(), b.init_i64({4}, {-1, 6, 2, 3})});
  b.node(OpType::kMul, {b.last(), b.init({6, 2, 3})});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

TEST(TrainGrad, DropoutTrainingAndEval) {
  GraphBuilder b({4, 5});
  b.node(OpType::kDropout, {"x", b.init_values({}, {0.3f})});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
  expect_gradients_match(g, input_for(g, 2), {.mode = train::Mode::kEval});
}

TEST(TrainGrad, SoftmaxInsideTheGraph) {
  GraphBuilder b({7});
  b.node(OpType::kSoftmax, {"x"}, {{"axis", int64_t{-1}}});
  b.node(OpType::kMul, {b.last(), b.init({7})});  // not trailing, so it stays on the tape
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 2));
}

// A small CNN with every common layer chained: checks the composition (tape order, fan-out).
TEST(TrainGrad, SmallCnnEndToEnd) {
  GraphBuilder b({2, 8, 8});
  b.node(OpType::kConv, {"x", b.init({4, 2, 3, 3}), b.init({4})}, {{"pads", Ints{1, 1, 1, 1}}});
  b.node(OpType::kBatchNormalization, {b.last(), b.init({4}, 0.5f, 1.5f), b.init({4}), b.init({4}), b.init({4}, 0.5f, 1.5f)});
  b.node(OpType::kHardSwish, {b.last()});
  b.node(OpType::kAveragePool, {b.last()}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  b.node(OpType::kConv, {b.last(), b.init({4, 1, 3, 3}), b.init({4})}, {{"group", int64_t{4}}, {"pads", Ints{1, 1, 1, 1}}});
  b.node(OpType::kGlobalAveragePool, {b.last()});
  b.node(OpType::kFlatten, {b.last()});
  b.node(OpType::kGemm, {b.last(), b.init({3, 4}), b.init({3})}, {{"transB", int64_t{1}}});
  const Graph g = b.finish();
  expect_gradients_match(g, input_for(g, 3), {.batch = 3});
}

TEST(TrainGraph, RefusesOpsWithoutGradientRule) {
  GraphBuilder b({4});
  b.node(OpType::kMatMul, {"x", b.init({4, 2})});
  const Graph g = b.finish();
  try {
    train::TrainGraph tg(g, 2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(MatMul): training does not support MatMul"), std::string::npos) << e.what();
  }
}

TEST(TrainGraph, RefusesBatchOffAxisZero) {
  GraphBuilder b({2, 3});
  b.node(OpType::kTranspose, {"x"}, {{"perm", Ints{1, 0, 2}}});
  const Graph g = b.finish();
  EXPECT_THROW(train::TrainGraph(g, 2), Error);
}

}  // namespace
}  // namespace tinyopt
