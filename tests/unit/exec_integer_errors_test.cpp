// Errors of the integer executor: an op with no integer kernel (named, with the supported list), QDQ
// patterns it cannot lower (per-channel activations, asymmetric weights, uint8, unquantized outputs,
// grouped convolution), malformed graphs and inputs. Each is one tinyopt::Error(kBadInput) naming the node;
// none crashes.
#include <gtest/gtest.h>

#include "tinyopt/core/error.h"
#include "tinyopt/exec/integer_executor.h"
#include "unit/exec_integer_models.h"
#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

// The message of the Error(kBadInput) that building an executor for g throws ("" when none).
std::string lowering_error(const Graph& g) {
  try {
    IntegerExecutor exec(g);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
    return m;
  }
  return "";
}

Graph quantized_cnn() {
  const Graph f = testing::cnn_model(11);
  return testing::quantize_for_test(f, {testing::model_input(f, 16, 1)});
}

TEST(ExecIntegerErrors, OpWithoutIntegerKernelIsNamedWithTheSupportedOps) {
  testing::GraphBuilder b;
  std::mt19937 rng(1);
  b.input("x", {-1, 2, 4, 4})
      .init("w", testing::random_tensor(rng, {3, 2, 1, 1}))
      .node(OpType::kConv, {"x", "w"}, {"c"}, {{"kernel_shape", std::vector<int64_t>{1, 1}}})
      .node(OpType::kSigmoid, {"c"}, {"s"})
      .output("s");
  const Graph q = testing::quantize_for_test(b.graph(), {testing::model_input(b.graph(), 4, 1)});
  const std::string m = lowering_error(q);
  EXPECT_NE(m.find("node 'n1' (Sigmoid) has no integer kernel in tinyopt's runtime"), std::string::npos) << m;
  EXPECT_NE(m.find("supported: Conv"), std::string::npos) << m;
}

TEST(ExecIntegerErrors, PerChannelActivationQuantization) {
  Graph g = quantized_cnn();
  g.value("x/scale").data = Tensor::from_f32({2}, std::vector<float>{0.01f, 0.02f});
  g.value("x/zp").data = Tensor(DType::kI8, {2});
  for (Node& n : g.nodes)
    if (n.inputs[0] == "x" || n.inputs[0] == "x/q") n.attrs["axis"] = int64_t{1};
  const std::string m = lowering_error(g);
  EXPECT_NE(m.find("(QuantizeLinear): activations must be quantized per tensor"), std::string::npos) << m;
}

TEST(ExecIntegerErrors, AsymmetricWeights) {
  Graph g = quantized_cnn();
  Tensor zp(DType::kI8, {4});
  zp.data<int8_t>()[2] = 3;
  g.value("c1.w/zp").data = zp;
  const std::string m = lowering_error(g);
  EXPECT_NE(m.find("(Conv): weights 'c1.w/q' are not symmetric (zero point 3)"), std::string::npos) << m;
}

TEST(ExecIntegerErrors, Uint8Activations) {
  Graph g = quantized_cnn();
  g.value("pool/zp").data = Tensor(DType::kU8, {});
  const std::string m = lowering_error(g);
  EXPECT_NE(m.find("zero point is u8"), std::string::npos) << m;
}

TEST(ExecIntegerErrors, UnquantizedOutputOfAnIntegerOp) {
  Graph g = quantized_cnn();
  g.outputs.push_back("c2");  // the conv's float output, also read by its Relu
  const std::string m = lowering_error(g);
  EXPECT_NE(m.find("(Conv): output 'c2' must feed exactly one QuantizeLinear"), std::string::npos) << m;
}

TEST(ExecIntegerErrors, GroupedConvolutionThatIsNotDepthwise) {
  testing::GraphBuilder b;
  std::mt19937 rng(2);
  b.input("x", {-1, 4, 4, 4})
      .init("w", testing::random_tensor(rng, {4, 2, 1, 1}))
      .node(OpType::kConv, {"x", "w"}, {"c"}, {{"kernel_shape", std::vector<int64_t>{1, 1}}, {"group", int64_t{2}}})
      .output("c");
  const Graph q = testing::quantize_for_test(b.graph(), {testing::model_input(b.graph(), 4, 1)});
  EXPECT_NE(lowering_error(q).find("grouped convolution (group 2, not depthwise) has no integer kernel"),
            std::string::npos);
}

TEST(ExecIntegerErrors, FloatGraphAndUnquantizedInputs) {
  const Graph f = testing::cnn_model(12);
  const std::string m = lowering_error(f);
  EXPECT_NE(m.find("input 'x' is not quantized"), std::string::npos) << m;
}

TEST(ExecIntegerErrors, MalformedGraphsThrowInsteadOfCrashing) {
  {  // scale of a DequantizeLinear computed at run time
    Graph g = quantized_cnn();
    for (Node& n : g.nodes)
      if (n.op == OpType::kDequantizeLinear && n.inputs[0] == "c1.w/q") n.inputs[1] = "x/dq";
    EXPECT_FALSE(lowering_error(g).empty());
  }
  {  // weight DequantizeLinear with the wrong number of scales
    Graph g = quantized_cnn();
    g.value("c1.w/scale").data = Tensor::from_f32({3}, std::vector<float>{0.1f, 0.1f, 0.1f});
    EXPECT_FALSE(lowering_error(g).empty());
  }
  {  // zero / negative scale
    Graph g = quantized_cnn();
    g.value("flat/scale").data = Tensor::scalar_f32(0.0f);
    EXPECT_FALSE(lowering_error(g).empty());
  }
  {  // bias out of range
    Graph g = quantized_cnn();
    Tensor big(DType::kI32, {5});
    big.data<int32_t>()[0] = 2000000000;
    g.value("fc.b/q").data = big;
    EXPECT_NE(lowering_error(g).find("exceeds the integer kernels' bias range"), std::string::npos);
  }
  {  // DequantizeLinear parameters differing from the QuantizeLinear's
    Graph g = quantized_cnn();
    g.add_initializer("other", Tensor::scalar_f32(0.5f));
    for (Node& n : g.nodes)
      if (n.op == OpType::kDequantizeLinear && n.inputs[0] == "pool/q") n.inputs[1] = "other";
    EXPECT_NE(lowering_error(g).find("differ from the QuantizeLinear's"), std::string::npos);
  }
}

TEST(ExecIntegerErrors, InputsThatDoNotFitTheModel) {
  IntegerExecutor exec(quantized_cnn());
  std::mt19937 rng(3);
  EXPECT_THROW(exec.run({testing::random_tensor(rng, {2, 3, 8, 8})}), Error);
  EXPECT_THROW(exec.run({}), Error);
  EXPECT_THROW(exec.run({Tensor(DType::kI8, {1, 2, 8, 8})}), Error);
  EXPECT_EQ(exec.run({testing::random_tensor(rng, {3, 2, 8, 8})}).at(0).shape(), (Shape{3, 5}));
  EXPECT_EQ(exec.run({Tensor(DType::kF32, {0, 2, 8, 8})}).at(0).shape(), (Shape{0, 5}));
}

}  // namespace
}  // namespace tinyopt
