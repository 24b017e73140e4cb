// ONNX import of well-formed models: graph structure, attributes, tensors in every encoding, Constant
// nodes, generated node names, dynamic batch, metadata, int4 and external data.
#include <gtest/gtest.h>

#include <cstring>

#include "onnx_model_builder.h"
#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

using testing::OnnxModelBuilder;

std::vector<OpType> ops_of(const Graph& g) {
  std::vector<OpType> ops;
  for (const Node& n : g.nodes) ops.push_back(n.op);
  return ops;
}

const Node& node_named(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes) {
    if (n.name == name) return n;
  }
  throw std::runtime_error("no node " + name);
}

TEST(OnnxImport, HandBuiltCnn) {
  const Graph g = parse_onnx(testing::small_cnn_onnx(13).bytes(), "cnn.onnx");
  EXPECT_EQ(ops_of(g),
            (std::vector<OpType>{OpType::kConv, OpType::kBatchNormalization, OpType::kRelu, OpType::kMaxPool,
                                 OpType::kConv, OpType::kClip, OpType::kGlobalAveragePool, OpType::kFlatten,
                                 OpType::kGemm, OpType::kSoftmax}));
  EXPECT_EQ(g.opset, kCanonicalOpset);
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});  // initializers are not inputs
  EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
  EXPECT_EQ(g.value("x").shape, (Shape{-1, 3, 16, 16}));
  EXPECT_EQ(g.value("y").shape, (Shape{-1, 10}));  // dynamic batch survives shape inference
  EXPECT_EQ(g.value("c1").shape, (Shape{-1, 8, 16, 16}));
  EXPECT_EQ(g.metadata.at("tinyopt.preprocessing"), "scale=1/255");

  const Node& dw = node_named(g, "dw");
  EXPECT_EQ(dw.attr_int("group", 1), 8);
  EXPECT_EQ(dw.attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_FLOAT_EQ(node_named(g, "bn").attr_float("epsilon", 0), 1e-3f);
  EXPECT_EQ(node_named(g, "fc").attr_int("transB", 0), 1);

  const Tensor expected = testing::ramp_f32({8, 3, 3, 3});
  const Tensor& w = *g.value("conv1.w").data;
  ASSERT_EQ(w.shape(), expected.shape());
  EXPECT_EQ(std::memcmp(w.bytes(), expected.bytes(), w.nbytes()), 0);
}

TEST(OnnxImport, LoadsFromFileLikeFromBytes) {
  testing::TempDir dir;
  const std::string path = dir.file("cnn.onnx");
  testing::write_file(path, testing::small_cnn_onnx(17).bytes());
  testing::expect_same_graph(load_onnx(path), parse_onnx(testing::small_cnn_onnx(17).bytes(), path));
}

TEST(OnnxImport, TypedFieldTensors) {
  OnnxModelBuilder b(13);
  b.input("x", {2, 3}).output("y");
  onnx::TensorProto f;
  f.set_name("f");
  f.set_data_type(onnx::TensorProto::FLOAT);
  f.add_dims(3);
  for (float v : {1.5f, -2.0f, 3.25f}) f.add_float_data(v);
  b.initializer(f);
  b.node("Add", {"x", "f"}, {"y"});
  struct IntCase {
    const char* name;
    int32_t type;
    DType dtype;
  };
  const IntCase cases[] = {{"i8", onnx::TensorProto::INT8, DType::kI8},
                           {"u8", onnx::TensorProto::UINT8, DType::kU8},
                           {"i16", onnx::TensorProto::INT16, DType::kI16},
                           {"i32", onnx::TensorProto::INT32, DType::kI32},
                           {"b", onnx::TensorProto::BOOL, DType::kBool}};
  for (const auto& c : cases) {
    onnx::TensorProto t;
    t.set_name(c.name);
    t.set_data_type(c.type);
    t.add_dims(2);
    t.add_int32_data(1);
    t.add_int32_data(c.type == onnx::TensorProto::BOOL ? 0 : 7);
    b.initializer(t);
  }
  onnx::TensorProto i64;
  i64.set_name("i64");
  i64.set_data_type(onnx::TensorProto::INT64);
  i64.add_dims(2);
  i64.add_int64_data(int64_t{1} << 40);
  i64.add_int64_data(-3);
  b.initializer(i64);
  onnx::TensorProto i4;  // INT4 in int32_data: two nibbles per entry, low first: 3, -2, 5
  i4.set_name("i4");
  i4.set_data_type(22);
  i4.add_dims(3);
  i4.add_int32_data(0xE3);
  i4.add_int32_data(0x05);
  b.initializer(i4);

  const Graph g = parse_onnx(b.bytes(), "typed.onnx");
  const auto fv = g.value("f").data->span<float>();
  EXPECT_EQ(std::vector<float>(fv.begin(), fv.end()), (std::vector<float>{1.5f, -2.0f, 3.25f}));
  for (const auto& c : cases) {
    const Tensor& t = *g.value(c.name).data;
    EXPECT_EQ(t.dtype(), c.dtype) << c.name;
    EXPECT_EQ(t.shape(), Shape{2}) << c.name;
  }
  EXPECT_EQ(g.value("i8").data->data<int8_t>()[1], 7);
  EXPECT_EQ(g.value("u8").data->data<uint8_t>()[1], 7);
  EXPECT_EQ(g.value("i16").data->data<int16_t>()[1], 7);
  EXPECT_EQ(g.value("i32").data->data<int32_t>()[1], 7);
  EXPECT_EQ(g.value("b").data->bytes()[0], 1);
  EXPECT_EQ(g.value("b").data->bytes()[1], 0);
  EXPECT_EQ(g.value("i64").data->data<int64_t>()[0], int64_t{1} << 40);
  EXPECT_EQ(g.value("i64").data->data<int64_t>()[1], -3);
  const Tensor& t4 = *g.value("i4").data;
  EXPECT_EQ(t4.dtype(), DType::kI4);
  EXPECT_EQ(t4.bytes()[0], 0xE3);
  EXPECT_EQ(t4.bytes()[1], 0x05);
}

TEST(OnnxImport, ConstantNodesBecomeInitializers) {
  OnnxModelBuilder b(13);
  b.input("x", {2, 3}).output("y");
  auto& c1 = b.node("Constant", {}, {"c_tensor"}, "const_tensor");
  auto* a = c1.add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(3);
  for (float v : {1.0f, 2.0f, 3.0f}) a->mutable_t()->add_float_data(v);
  testing::attr_float(b.node("Constant", {}, {"c_float"}), "value_float", 0.5f);
  testing::attr_floats(b.node("Constant", {}, {"c_floats"}), "value_floats", {1.0f, 2.0f});
  testing::attr_int(b.node("Constant", {}, {"c_int"}), "value_int", 7);
  testing::attr_ints(b.node("Constant", {}, {"shape"}), "value_ints", {3, 2});
  b.node("Add", {"x", "c_tensor"}, {"s"});
  b.node("Mul", {"s", "c_float"}, {"m"});
  b.node("Reshape", {"m", "shape"}, {"y"});

  const Graph g = parse_onnx(b.bytes(), "const.onnx");
  EXPECT_EQ(ops_of(g), (std::vector<OpType>{OpType::kAdd, OpType::kMul, OpType::kReshape}));
  EXPECT_EQ(g.value("c_tensor").data->data<float>()[2], 3.0f);
  EXPECT_EQ(g.value("c_float").data->shape(), Shape{});
  EXPECT_EQ(g.value("c_float").data->data<float>()[0], 0.5f);
  EXPECT_EQ(g.value("c_floats").data->shape(), Shape{2});
  EXPECT_EQ(g.value("c_int").data->data<int64_t>()[0], 7);
  EXPECT_EQ(g.value("shape").data->dtype(), DType::kI64);
  EXPECT_EQ(g.value("y").shape, (Shape{3, 2}));
}

TEST(OnnxImport, NodesGetUniqueNames) {
  OnnxModelBuilder b(13);
  b.input("x", {4}).output("y");
  b.node("Relu", {"x"}, {"a"});
  b.node("Relu", {"a"}, {"b"}, "same");
  b.node("Relu", {"b"}, {"y"}, "same");
  const Graph g = parse_onnx(b.bytes(), "names.onnx");
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "Relu_0");
  EXPECT_EQ(g.nodes[1].name, "same");
  EXPECT_NE(g.nodes[2].name, "same");
  EXPECT_NE(g.nodes[2].name, g.nodes[0].name);
}

TEST(OnnxImport, InitializersListedAsInputsAreNotInputs) {
  OnnxModelBuilder b(9);  // IR < 4 style: every initializer is also a graph input
  b.proto().set_ir_version(3);
  b.input("x", {2, 2}).input("w", {2, 2}).initializer("w", testing::ramp_f32({2, 2})).output("y");
  b.node("MatMul", {"x", "w"}, {"y"});
  const Graph g = parse_onnx(b.bytes(), "old.onnx");
  EXPECT_EQ(g.inputs, std::vector<std::string>{"x"});
  EXPECT_TRUE(g.value("w").is_initializer());
}

TEST(OnnxImport, ExternalDataInsideTheModelFolder) {
  testing::TempDir dir;
  const Tensor w = testing::ramp_f32({2, 2});
  testing::write_file(
      dir.file("weights.bin"),
      std::string(8, '\0') + std::string(reinterpret_cast<const char*>(w.bytes()), w.nbytes()));
  OnnxModelBuilder b(13);
  b.input("x", {2, 2}).output("y");
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(2);
  t.add_dims(2);
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  for (auto [k, v] : {std::pair{"location", "weights.bin"}, {"offset", "8"}, {"length", "16"}}) {
    auto* e = t.add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
  b.initializer(t);
  b.node("MatMul", {"x", "w"}, {"y"});
  testing::write_file(dir.file("m.onnx"), b.bytes());
  const Graph g = load_onnx(dir.file("m.onnx"));
  EXPECT_EQ(std::memcmp(g.value("w").data->bytes(), w.bytes(), w.nbytes()), 0);

  // The same model pointing outside its folder is refused.
  t.mutable_external_data(0)->set_value("../weights.bin");
  *b.proto().mutable_graph()->mutable_initializer(0) = t;
  testing::write_file(dir.file("escape.onnx"), b.bytes());
  try {
    load_onnx(dir.file("escape.onnx"));
    FAIL() << "path traversal accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside the model's folder"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tensor 'w'"), std::string::npos) << e.what();
  }
}

TEST(OnnxImport, Int4MetadataTurnsInt8BackIntoInt4) {
  OnnxModelBuilder b(13);
  b.input("x", {3}).output("y");
  Tensor q(DType::kI8, {3});
  q.data<int8_t>()[0] = 3;
  q.data<int8_t>()[1] = -2;
  q.data<int8_t>()[2] = 7;
  b.initializer("q", q).initializer("s", Tensor::scalar_f32(0.5f));
  b.node("DequantizeLinear", {"q", "s"}, {"w"});
  b.node("Add", {"x", "w"}, {"y"});
  b.metadata(kInt4TensorsMetadataKey, "q");
  const Graph g = parse_onnx(b.bytes(), "int4.onnx");
  const Tensor& t = *g.value("q").data;
  EXPECT_EQ(t.dtype(), DType::kI4);
  EXPECT_EQ(g.value("q").dtype, DType::kI4);
  EXPECT_EQ(t.bytes()[0], 0xE3);
  EXPECT_EQ(t.bytes()[1], 0x07);
  EXPECT_EQ(g.metadata.count(kInt4TensorsMetadataKey), 0u);
}

TEST(OnnxImport, TensorProtoFile) {
  testing::TempDir dir;
  const Tensor t = testing::ramp_f32({2, 3, 4});
  save_tensor_proto(t, "input_0", dir.file("input_0.pb"));
  const Tensor back = load_tensor_proto(dir.file("input_0.pb"));
  ASSERT_EQ(back.shape(), t.shape());
  EXPECT_EQ(std::memcmp(back.bytes(), t.bytes(), t.nbytes()), 0);
}

}  // namespace
}  // namespace tinyopt
