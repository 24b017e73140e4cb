// Opset canonicalization on import: older-opset attribute forms become opset-18 inputs, auto_pad becomes
// pads, legacy Softmax keeps its meaning, and legacy forms with no opset-18 equivalent are refused.
#include <gtest/gtest.h>

#include "onnx_model_builder.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

using testing::OnnxModelBuilder;

float scalar_f32(const Graph& g, const std::string& name) {
  const Tensor& t = *g.value(name).data;
  EXPECT_EQ(t.numel(), 1);
  return t.data<float>()[0];
}

std::vector<int64_t> ints(const Graph& g, const std::string& name) {
  const auto s = g.value(name).data->span<int64_t>();
  return {s.begin(), s.end()};
}

TEST(OnnxCanonicalize, ClipOpset6AttrsBecomeInputs) {
  const Graph g = parse_onnx(testing::small_cnn_onnx(6).bytes(), "cnn6.onnx");
  const Node& clip = g.nodes[5];
  ASSERT_EQ(clip.op, OpType::kClip);
  EXPECT_TRUE(clip.attrs.empty());
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_EQ(scalar_f32(g, clip.inputs[1]), 0.0f);
  EXPECT_EQ(scalar_f32(g, clip.inputs[2]), 6.0f);
}

TEST(OnnxCanonicalize, ClipWithOnlyMaxLeavesMinEmpty) {
  OnnxModelBuilder b(10);
  b.input("x", {4}).output("y");
  testing::attr_float(b.node("Clip", {"x"}, {"y"}, "clip"), "max", 2.5f);
  const Graph g = parse_onnx(b.bytes(), "clip.onnx");
  ASSERT_EQ(g.nodes[0].inputs.size(), 3u);
  EXPECT_EQ(g.nodes[0].inputs[1], "");
  EXPECT_EQ(scalar_f32(g, g.nodes[0].inputs[2]), 2.5f);
}

TEST(OnnxCanonicalize, PadOpset2AttrsBecomeInputs) {
  OnnxModelBuilder b(9);
  b.input("x", {1, 2, 3, 3}).output("y");
  auto& pad = b.node("Pad", {"x"}, {"y"}, "pad");
  testing::attr_ints(pad, "pads", {0, 0, 1, 2, 0, 0, 3, 4});
  testing::attr_float(pad, "value", 1.5f);
  testing::attr_string(pad, "mode", "constant");
  const Graph g = parse_onnx(b.bytes(), "pad.onnx");
  const Node& n = g.nodes[0];
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(ints(g, n.inputs[1]), (std::vector<int64_t>{0, 0, 1, 2, 0, 0, 3, 4}));
  EXPECT_EQ(scalar_f32(g, n.inputs[2]), 1.5f);
  EXPECT_EQ(n.attr_string("mode", ""), "constant");
  EXPECT_FALSE(n.has_attr("pads"));
  EXPECT_EQ(g.value("y").shape, (Shape{1, 2, 7, 9}));
}

TEST(OnnxCanonicalize, AxesAttrsBecomeInputs) {
  OnnxModelBuilder b(11);
  b.input("x", {2, 1, 3}).output("y");
  testing::attr_ints(b.node("Squeeze", {"x"}, {"s"}, "sq"), "axes", {1});
  testing::attr_ints(b.node("Unsqueeze", {"s"}, {"u"}, "unsq"), "axes", {0});
  auto& mean = b.node("ReduceMean", {"u"}, {"y"}, "mean");
  testing::attr_ints(mean, "axes", {1, 2});
  testing::attr_int(mean, "keepdims", 0);
  const Graph g = parse_onnx(b.bytes(), "axes.onnx");
  EXPECT_EQ(ints(g, g.nodes[0].inputs.at(1)), std::vector<int64_t>{1});
  EXPECT_EQ(ints(g, g.nodes[1].inputs.at(1)), std::vector<int64_t>{0});
  EXPECT_EQ(ints(g, g.nodes[2].inputs.at(1)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(g.nodes[2].attr_int("keepdims", 1), 0);
  for (const Node& n : g.nodes) EXPECT_FALSE(n.has_attr("axes")) << n.name;
  EXPECT_EQ(g.value("y").shape, (Shape{1}));
}

TEST(OnnxCanonicalize, ReduceMeanOpset18IsKept) {
  OnnxModelBuilder b(18);
  b.input("x", {2, 3}).output("y").initializer("axes", Tensor::from_i64({1}, std::vector<int64_t>{1}));
  b.node("ReduceMean", {"x", "axes"}, {"y"});
  const Graph g = parse_onnx(b.bytes(), "mean18.onnx");
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "axes"}));
  EXPECT_EQ(g.value("y").shape, (Shape{2, 1}));
}

TEST(OnnxCanonicalize, DropoutRatioAndIsTest) {
  OnnxModelBuilder b(6);
  b.input("x", {4}).output("y");
  auto& d = b.node("Dropout", {"x"}, {"y"}, "drop");
  testing::attr_float(d, "ratio", 0.25f);
  testing::attr_int(d, "is_test", 1);
  const Graph g = parse_onnx(b.bytes(), "drop.onnx");
  EXPECT_TRUE(g.nodes[0].attrs.empty());
  EXPECT_EQ(scalar_f32(g, g.nodes[0].inputs.at(1)), 0.25f);
}

TEST(OnnxCanonicalize, LegacySoftmaxOnLastAxisStaysOneNode) {
  OnnxModelBuilder b(11);
  b.input("x", {-1, 10}).output("y");
  b.node("Softmax", {"x"}, {"y"}, "sm");  // default axis 1 == last axis of a 2-D input
  const Graph g = parse_onnx(b.bytes(), "sm.onnx");
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].attr_int("axis", -99), 1);
}

TEST(OnnxCanonicalize, LegacySoftmaxOnInnerAxisFlattens) {
  OnnxModelBuilder b(12);
  b.input("x", {-1, 3, 4, 5}).output("y");
  b.node("Softmax", {"x"}, {"y"}, "sm");  // softmax over the 60 values of each sample
  const Graph g = parse_onnx(b.bytes(), "sm.onnx");
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].op, OpType::kFlatten);
  EXPECT_EQ(g.nodes[0].attr_int("axis", 0), 1);
  EXPECT_EQ(g.nodes[1].op, OpType::kSoftmax);
  EXPECT_EQ(g.nodes[1].attr_int("axis", 0), -1);
  EXPECT_EQ(g.nodes[2].op, OpType::kReshape);
  EXPECT_EQ(g.nodes[2].outputs, std::vector<std::string>{"y"});
  EXPECT_EQ(ints(g, g.nodes[2].inputs[1]), (std::vector<int64_t>{-1, 3, 4, 5}));
  EXPECT_EQ(g.value("y").shape, (Shape{-1, 3, 4, 5}));
}

TEST(OnnxCanonicalize, AutoPadBecomesPads) {
  OnnxModelBuilder b(13);
  b.input("x", {1, 1, 7, 8}).output("y").initializer("w", testing::ramp_f32({2, 1, 3, 3}));
  testing::attr_string(b.node("Conv", {"x", "w"}, {"c"}, "same1"), "auto_pad", "SAME_UPPER");
  auto& strided = b.node("Conv", {"c", "w2"}, {"d"}, "same2");
  b.initializer("w2", testing::ramp_f32({2, 2, 4, 4}));
  testing::attr_string(strided, "auto_pad", "SAME_LOWER");
  testing::attr_ints(strided, "strides", {2, 3});
  auto& pool = b.node("MaxPool", {"d"}, {"y"}, "valid");
  testing::attr_string(pool, "auto_pad", "VALID");
  testing::attr_ints(pool, "kernel_shape", {2, 2});
  const Graph g = parse_onnx(b.bytes(), "pads.onnx");
  for (const Node& n : g.nodes) EXPECT_FALSE(n.has_attr("auto_pad")) << n.name;
  EXPECT_EQ(g.nodes[0].attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  // in 7x8, stride 2x3, kernel 4: out 4x3; totals max(0, 3*2+4-7)=3 and max(0, 2*3+4-8)=2; LOWER puts
  // the odd element first.
  EXPECT_EQ(g.nodes[1].attr_ints("pads"), (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_FALSE(g.nodes[2].has_attr("pads"));
  EXPECT_EQ(g.value("d").shape, (Shape{1, 2, 4, 3}));
  EXPECT_EQ(g.value("y").shape, (Shape{1, 2, 3, 2}));
}

TEST(OnnxCanonicalize, Opset1Forms) {
  OnnxModelBuilder b(1);
  b.input("x", {2, 3}).input("z", {2, 3}).output("y");
  testing::attr_ints(b.node("Relu", {"x"}, {"r"}, "relu"), "consumed_inputs", {0});
  b.node("Concat", {"r", "z"}, {"c"}, "concat");  // Concat-1: axis defaults to 1
  testing::attr_ints(b.node("Reshape", {"c"}, {"y"}, "reshape"), "shape", {3, 4});
  const Graph g = parse_onnx(b.bytes(), "opset1.onnx");
  EXPECT_TRUE(g.nodes[0].attrs.empty());
  EXPECT_EQ(g.nodes[1].attr_int("axis", -1), 1);
  EXPECT_EQ(ints(g, g.nodes[2].inputs.at(1)), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(g.value("c").shape, (Shape{2, 6}));
  EXPECT_EQ(g.value("y").shape, (Shape{3, 4}));
}

TEST(OnnxCanonicalize, RuntimeShapeInputsLeaveShapesUnknown) {
  OnnxModelBuilder b(14);  // as in the ONNX node tests: Reshape's shape is a graph input
  b.input("x", {2, 3}).input("shape", {2}, onnx::TensorProto::INT64).output("y");
  b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
  b.node("Relu", {"r"}, {"y"}, "relu");
  const Graph g = parse_onnx(b.bytes(), "reshape.onnx");
  EXPECT_EQ(g.inputs, (std::vector<std::string>{"x", "shape"}));
  EXPECT_EQ(g.value("shape").dtype, DType::kI64);
  EXPECT_TRUE(g.value("r").shape.empty());  // unknown until run time
}

std::string import_error(const std::string& bytes) {
  try {
    parse_onnx(bytes, "legacy.onnx");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(OnnxCanonicalize, LegacyFormsWithoutEquivalentAreRefused) {
  OnnxModelBuilder add(6);
  add.input("x", {2, 3}).input("b", {3}).output("y");
  auto& n = add.node("Add", {"x", "b"}, {"y"}, "add");
  testing::attr_int(n, "broadcast", 1);
  testing::attr_int(n, "axis", 1);
  EXPECT_NE(import_error(add.bytes()).find("node 'add' (op 'Add', opset 6): legacy broadcasting"),
            std::string::npos);

  OnnxModelBuilder bn(6);
  bn.input("x", {1, 2, 2, 2}).output("y");
  for (const char* p : {"s", "b", "m", "v"}) bn.initializer(p, testing::ramp_f32({2}));
  testing::attr_int(bn.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"}, "bn"), "spatial", 0);
  EXPECT_NE(import_error(bn.bytes()).find("spatial=0"), std::string::npos);
}

TEST(OnnxCanonicalize, LegacyBroadcastAttrDropped) {
  OnnxModelBuilder add(6);
  add.input("x", {2, 3}).input("b", {3}).output("y");
  testing::attr_int(add.node("Add", {"x", "b"}, {"y"}, "add"), "broadcast", 1);
  const Graph g = parse_onnx(add.bytes(), "add6.onnx");
  EXPECT_TRUE(g.nodes[0].attrs.empty());
  EXPECT_EQ(g.value("y").shape, (Shape{2, 3}));
}

}  // namespace
}  // namespace tinyopt
