// fold_batch_norm: the folded graph computes what the original computes (float executor, 1e-5 relative),
// has no BatchNormalization left where one could be folded, verifies, and leaves unfoldable BNs alone.
#include <gtest/gtest.h>

#include "passes_test_util.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/passes/fold_batch_norm.h"

namespace tinyopt {
namespace {

using testing::model_with_random_bn;
using testing::random_images;

int count_op(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

void expect_same_outputs(const Graph& a, const Graph& b, const Tensor& x) {
  const Tensor ya = FloatExecutor(a, ExecOptions{1}).run({x}).at(0);
  const Tensor yb = FloatExecutor(b, ExecOptions{1}).run({x}).at(0);
  ASSERT_EQ(ya.shape(), yb.shape());
  float scale = 0;
  for (float v : ya.span<float>()) scale = std::max(scale, std::abs(v));
  for (int64_t i = 0; i < ya.numel(); ++i)
    ASSERT_NEAR(ya.data<float>()[i], yb.data<float>()[i], 1e-5f * scale + 1e-7f) << "output element " << i;
}

TEST(FoldBatchNorm, ConvAndDepthwiseFoldExactly) {
  for (const char* arch : {"fmnist-cnn", "fmnist-ds"}) {
    SCOPED_TRACE(arch);
    const Graph g = model_with_random_bn(arch, 0.25f, 7);
    ASSERT_GT(count_op(g, OpType::kBatchNormalization), 0);
    const Graph folded = fold_batch_norm(g);
    verify_graph(folded);
    EXPECT_EQ(count_op(folded, OpType::kBatchNormalization), 0);
    EXPECT_EQ(count_op(folded, OpType::kConv), count_op(g, OpType::kConv));
    EXPECT_EQ(folded.outputs, g.outputs);
    for (const Node& n : folded.nodes)
      if (n.op == OpType::kConv) {
        EXPECT_EQ(n.inputs.size(), 3u) << n.name << " gained a bias";
      }
    // The input graph is untouched.
    EXPECT_GT(count_op(g, OpType::kBatchNormalization), 0);
    expect_same_outputs(g, folded, random_images(3, {1, 28, 28}, 11));
  }
}

// x (2, 4) -> Gemm(W (3, 4), transB=1, alpha 0.5, beta 2, C) -> BN -> y; and a BN on a graph input (unfoldable).
Graph gemm_bn_graph(int64_t trans_b) {
  Graph g;
  g.set_value(Value{"x", {-1, 4}, DType::kF32, {}, {}});
  std::vector<float> w(12), c = {0.1f, -0.2f, 0.3f};
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.1f * static_cast<float>(i) - 0.5f;
  g.add_initializer("W", Tensor::from_f32(trans_b ? Shape{3, 4} : Shape{4, 3}, w));
  g.add_initializer("C", Tensor::from_f32({3}, c));
  const std::vector<float> gamma = {1.5f, 0.5f, -1.0f}, beta = {0.1f, 0.2f, -0.3f}, mean = {0.4f, -0.1f, 0.0f},
                           var = {0.9f, 2.0f, 0.3f};
  g.add_initializer("gamma", Tensor::from_f32({3}, gamma));
  g.add_initializer("beta", Tensor::from_f32({3}, beta));
  g.add_initializer("mean", Tensor::from_f32({3}, mean));
  g.add_initializer("var", Tensor::from_f32({3}, var));
  g.set_value(Value{"h", {-1, 3}, DType::kF32, {}, {}});
  g.set_value(Value{"y", {-1, 3}, DType::kF32, {}, {}});
  Node gemm{"fc", OpType::kGemm, {"x", "W", "C"}, {"h"}, {}};
  gemm.attrs["transB"] = trans_b;
  gemm.attrs["alpha"] = 0.5f;
  gemm.attrs["beta"] = 2.0f;
  Node bn{"bn", OpType::kBatchNormalization, {"h", "gamma", "beta", "mean", "var"}, {"y"}, {}};
  bn.attrs["epsilon"] = 1e-3f;
  g.nodes = {gemm, bn};
  g.inputs = {"x"};
  g.outputs = {"y"};
  return g;
}

TEST(FoldBatchNorm, GemmWithAlphaBetaAndBothWeightLayouts) {
  for (int64_t trans_b : {0, 1}) {
    SCOPED_TRACE(trans_b);
    const Graph g = gemm_bn_graph(trans_b);
    verify_graph(g);
    const Graph folded = fold_batch_norm(g);
    verify_graph(folded);
    ASSERT_EQ(folded.nodes.size(), 1u);
    EXPECT_EQ(folded.nodes[0].outputs[0], "y");
    EXPECT_FALSE(folded.has_value("gamma"));
    const std::vector<float> xs = {0.3f, -1.0f, 2.0f, 0.5f, 1.0f, 0.0f, -0.7f, 0.25f};
    expect_same_outputs(g, folded, Tensor::from_f32({2, 4}, xs));
  }
}

TEST(FoldBatchNorm, LeavesUnfoldableBatchNormInPlace) {
  Graph g = gemm_bn_graph(1);
  // The Gemm output is also a graph output: folding would change it, so the BN stays.
  g.outputs = {"y", "h"};
  const Graph folded = fold_batch_norm(g);
  verify_graph(folded);
  EXPECT_EQ(count_op(folded, OpType::kBatchNormalization), 1);
}

}  // namespace
}  // namespace tinyopt
