// Core IR: tensors, shape inference, verifier rules, node costs and the naive activation peak.
#include <gtest/gtest.h>

#include "tinyopt/core/error.h"
#include "tinyopt/core/op_cost.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/core/verifier.h"

namespace tinyopt {
namespace {

Value input_value(const std::string& name, Shape shape) {
  Value v;
  v.name = name;
  v.shape = std::move(shape);
  return v;
}

Node make_node(const std::string& name, OpType op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x(N,3,32,32) -> Conv 8x3x3x3 s2 p1 -> Relu -> GlobalAveragePool -> Flatten -> Gemm(10)
Graph small_cnn() {
  Graph g;
  g.set_value(input_value("x", {-1, 3, 32, 32}));
  g.inputs = {"x"};
  g.add_initializer("w", Tensor(DType::kF32, {8, 3, 3, 3}));
  g.add_initializer("b", Tensor(DType::kF32, {8}));
  g.add_initializer("fc_w", Tensor(DType::kF32, {10, 8}));
  g.add_initializer("fc_b", Tensor(DType::kF32, {10}));
  Node conv = make_node("conv", OpType::kConv, {"x", "w", "b"}, {"c"});
  conv.attrs["strides"] = std::vector<int64_t>{2, 2};
  conv.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(conv);
  g.nodes.push_back(make_node("relu", OpType::kRelu, {"c"}, {"r"}));
  g.nodes.push_back(make_node("gap", OpType::kGlobalAveragePool, {"r"}, {"p"}));
  g.nodes.push_back(make_node("flat", OpType::kFlatten, {"p"}, {"f"}));
  Node fc = make_node("fc", OpType::kGemm, {"f", "fc_w", "fc_b"}, {"y"});
  fc.attrs["transB"] = int64_t{1};
  g.nodes.push_back(fc);
  for (const char* v : {"c", "r", "p", "f", "y"}) g.set_value(input_value(v, {}));
  g.outputs = {"y"};
  return g;
}

TEST(Tensor, ShapesAndStorage) {
  Tensor t(DType::kF32, {2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96u);
  EXPECT_EQ(shape_strides(t.shape()), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(Tensor(DType::kI4, {3}).nbytes(), 2u);  // int4 packs two per byte, rounded up
  Tensor shared = t;
  shared.data<float>()[5] = 7.0f;
  EXPECT_EQ(t.data<float>()[5], 7.0f);              // copies share storage
  Tensor deep = t.clone();
  deep.data<float>()[5] = 1.0f;
  EXPECT_EQ(t.data<float>()[5], 7.0f);
  EXPECT_THROW(t.data<int8_t>(), Error);            // wrong dtype access is refused
  EXPECT_THROW(Tensor(DType::kF32, {1 << 20, 1 << 20, 16}), Error);  // allocation bomb
  EXPECT_THROW(t.reshaped({5, 5}), Error);
}

TEST(ShapeInference, SmallCnn) {
  Graph g = small_cnn();
  infer_shapes(g, 4);
  EXPECT_EQ(g.value("c").shape, (Shape{4, 8, 16, 16}));
  EXPECT_EQ(g.value("p").shape, (Shape{4, 8, 1, 1}));
  EXPECT_EQ(g.value("f").shape, (Shape{4, 8}));
  EXPECT_EQ(g.value("y").shape, (Shape{4, 10}));
  verify_graph(g);
}

TEST(ShapeInference, WindowsFollowOnnxRules) {
  Node pool = make_node("p", OpType::kMaxPool, {"x"}, {"y"});
  pool.attrs["kernel_shape"] = std::vector<int64_t>{3, 3};
  pool.attrs["strides"] = std::vector<int64_t>{2, 2};
  EXPECT_EQ(resolve_window(pool, {32, 31}).out, (std::vector<int64_t>{15, 15}));
  pool.attrs["ceil_mode"] = int64_t{1};
  EXPECT_EQ(resolve_window(pool, {32, 31}).out, (std::vector<int64_t>{16, 15}));
  pool.attrs["auto_pad"] = std::string("SAME_UPPER");
  const WindowGeometry same = resolve_window(pool, {32, 31});
  EXPECT_EQ(same.out, (std::vector<int64_t>{16, 16}));
  EXPECT_EQ(same.pad_begin, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(same.pad_end, (std::vector<int64_t>{1, 1}));
}

TEST(ShapeInference, ReshapeAndBroadcast) {
  Graph g;
  g.set_value(input_value("x", {2, 3, 4}));
  g.set_value(input_value("y", {3, 1}));
  g.inputs = {"x", "y"};
  const int64_t target[] = {0, -1};
  g.add_initializer("shape", Tensor::from_i64({2}, target));
  g.nodes.push_back(make_node("add", OpType::kAdd, {"x", "y"}, {"s"}));
  g.nodes.push_back(make_node("reshape", OpType::kReshape, {"s", "shape"}, {"r"}));
  g.set_value(input_value("s", {}));
  g.set_value(input_value("r", {}));
  g.outputs = {"r"};
  infer_shapes(g);
  EXPECT_EQ(g.value("s").shape, (Shape{2, 3, 4}));
  EXPECT_EQ(g.value("r").shape, (Shape{2, 12}));
  g.value("y").shape = {5, 1};
  EXPECT_THROW(infer_shapes(g), Error);
}

TEST(Verifier, NamesTheBrokenRule) {
  auto expect_rule = [](const Graph& g, const std::string& rule, const std::string& name) {
    try {
      verify_graph(g);
      FAIL() << "expected the verifier to reject (" << rule << ")";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("[" + rule + "]"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  Graph dangling = small_cnn();
  dangling.nodes[1].inputs[0] = "nowhere";
  expect_rule(dangling, "dangling", "relu");

  Graph cycle = small_cnn();
  std::swap(cycle.nodes[1], cycle.nodes[2]);  // gap reads r before relu makes it
  expect_rule(cycle, "order", "gap");

  Graph bad_init = small_cnn();
  bad_init.value("w").shape = {8, 3, 5, 5};
  expect_rule(bad_init, "initializer", "'w'");

  Graph mismatch = small_cnn();
  infer_shapes(mismatch);
  mismatch.value("c").shape = {1, 8, 15, 15};
  expect_rule(mismatch, "shape", "conv");

  Graph bad_channels = small_cnn();
  bad_channels.add_initializer("w", Tensor(DType::kF32, {8, 4, 3, 3}));
  expect_rule(bad_channels, "shape", "conv");

  Graph arity = small_cnn();
  arity.nodes[1].inputs.push_back("c");
  expect_rule(arity, "arity", "relu");
}

TEST(OpCost, CountsParamsMacsAndPeak) {
  Graph g = small_cnn();
  infer_shapes(g, 1);
  const NodeCost conv = node_cost(g, g.nodes[0]);
  EXPECT_EQ(conv.params, 8 * 3 * 3 * 3 + 8);
  EXPECT_EQ(conv.macs, 8 * 16 * 16 * 27);
  EXPECT_EQ(conv.weight_bytes, (8 * 27 + 8) * 4);
  EXPECT_EQ(conv.weight_bits, 32);
  const NodeCost fc = node_cost(g, g.nodes[4]);
  EXPECT_EQ(fc.params, 90);
  EXPECT_EQ(fc.macs, 80);
  EXPECT_EQ(node_cost(g, g.nodes[1]).params, 0);
  // Peak: conv output c (8x16x16 f32) and relu output r live together at step 1; input x is dead by then.
  // At step 0 x (3x32x32) and c are live: 12288 + 8192 bytes, the larger.
  EXPECT_EQ(naive_peak_activation_bytes(g), 3 * 32 * 32 * 4 + 8 * 16 * 16 * 4);
}

}  // namespace
}  // namespace tinyopt
