// ONNX import of bad input: every case must throw Error(kBadInput) with a one-line message naming the
// file (and the node, op and opset, or the tensor, where one is at fault) — never crash.
#include <gtest/gtest.h>

#include <random>

#include "onnx_model_builder.h"
#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

using testing::OnnxModelBuilder;

// Imports `bytes` as "model.onnx" and returns the error message; fails the test when nothing is thrown.
std::string import_error(const std::string& bytes) {
  try {
    parse_onnx(bytes, "model.onnx");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("model.onnx: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "no error";
  return "";
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg << "\nexpected to contain: " << part;
}

OnnxModelBuilder relu_model(int64_t opset = 13) {
  OnnxModelBuilder b(opset);
  b.input("x", {1, 4}).output("y");
  b.node("Relu", {"x"}, {"y"}, "r");
  return b;
}

TEST(OnnxErrors, EmptyFile) { expect_contains(import_error(""), "empty"); }

TEST(OnnxErrors, TruncatedFile) {
  const std::string bytes = testing::small_cnn_onnx(13).bytes();
  for (size_t cut : {bytes.size() / 2, bytes.size() - 1, size_t{3}}) {
    const std::string msg = import_error(bytes.substr(0, cut));
    EXPECT_NE(msg, "") << "cut at " << cut;
  }
  expect_contains(import_error(bytes.substr(0, bytes.size() / 2)), "not a valid ONNX model");
}

TEST(OnnxErrors, RandomBytes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes(64 + trial * 37, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    import_error(bytes);
  }
  expect_contains(import_error("this is not a protobuf at all, just some text\n"),
                  "not a valid ONNX model (protobuf parse failed); is it an ONNX file?");
}

TEST(OnnxErrors, MissingFileAndFolder) {
  testing::TempDir dir;
  for (const std::string& path : {dir.file("absent.onnx"), dir.path().string()}) {
    try {
      load_onnx(path);
      ADD_FAILURE() << path;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    }
  }
}

TEST(OnnxErrors, EmptyGraph) {
  OnnxModelBuilder b(13);
  b.input("x", {1}).output("x");
  expect_contains(import_error(b.bytes()), "the graph has no nodes");
}

TEST(OnnxErrors, UnsupportedOpNamesNodeOpAndOpset) {
  OnnxModelBuilder b(13);
  b.input("x", {1, 4}).output("y");
  b.node("Relu", {"x"}, {"r"}, "ok");
  b.node("Foo", {"r"}, {"y"}, "x");
  const std::string msg = import_error(b.bytes());
  expect_contains(msg,
                  "model.onnx: node 'x' (op 'Foo', opset 13) is not supported by tinyopt; supported ops: ");
  expect_contains(msg, "Conv, ConvTranspose, Gemm");
}

TEST(OnnxErrors, NonDefaultDomain) {
  OnnxModelBuilder b = relu_model();
  b.proto().mutable_graph()->mutable_node(0)->set_domain("com.microsoft");
  const std::string msg = import_error(b.bytes());
  expect_contains(msg, "node 'r' (op 'Relu', opset 13)");
  expect_contains(msg, "domain 'com.microsoft'");
}

TEST(OnnxErrors, OpsetOutOfRange) {
  expect_contains(import_error(relu_model(0).bytes()), "opset 0 is not supported");
  expect_contains(import_error(relu_model(19).bytes()), "opset 19 is not supported");
  OnnxModelBuilder b = relu_model();
  b.proto().mutable_opset_import(0)->set_domain("ai.onnx.ml");
  expect_contains(import_error(b.bytes()), "no opset of the default ONNX domain");
}

onnx::TensorProto float_tensor(const std::string& name, std::vector<int64_t> dims) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

std::string bad_tensor_error(const onnx::TensorProto& t) {
  OnnxModelBuilder b(13);
  b.input("x", {2}).output("y").initializer(t);
  b.node("Add", {"x", t.name()}, {"y"});
  return import_error(b.bytes());
}

TEST(OnnxErrors, BadTensorSizes) {
  auto raw = float_tensor("w_raw", {2, 3});
  raw.set_raw_data(std::string(20, '\0'));  // 6 floats need 24 bytes
  const std::string msg = bad_tensor_error(raw);
  expect_contains(msg, "tensor 'w_raw'");
  expect_contains(msg, "raw_data has 20 bytes");

  auto typed = float_tensor("w_typed", {4});
  typed.add_float_data(1.0f);
  expect_contains(bad_tensor_error(typed), "tensor 'w_typed': float_data has 1 values");

  auto negative = float_tensor("w_neg", {2, -3});
  expect_contains(bad_tensor_error(negative), "tensor 'w_neg': dimension 1 is -3");

  auto absurd = float_tensor("w_huge", {1 << 20, 1 << 20, 1 << 20});
  absurd.set_raw_data("abcd");
  expect_contains(bad_tensor_error(absurd), "tensor 'w_huge': declared dims are absurdly large");

  auto missing = float_tensor("w_none", {3});
  expect_contains(bad_tensor_error(missing), "tensor 'w_none': float_data has 0 values");

  auto dbl = float_tensor("w_double", {1});
  dbl.set_data_type(onnx::TensorProto::DOUBLE);
  dbl.add_double_data(1.0);
  expect_contains(bad_tensor_error(dbl), "tensor 'w_double': element type DOUBLE is not supported");

  onnx::TensorProto i8;
  i8.set_name("w_i8");
  i8.set_data_type(onnx::TensorProto::INT8);
  i8.add_dims(1);
  i8.add_int32_data(300);
  expect_contains(bad_tensor_error(i8), "tensor 'w_i8': value 300 at index 0 does not fit i8");
}

TEST(OnnxErrors, ExternalDataWithoutFile) {
  auto t = float_tensor("w_ext", {2});
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = t.add_external_data();
  e->set_key("location");
  e->set_value("no_such_file.bin");
  expect_contains(bad_tensor_error(t), "tensor 'w_ext': cannot open external data file");
  e->set_value("/etc/passwd");
  expect_contains(bad_tensor_error(t), "outside the model's folder");
}

TEST(OnnxErrors, BadAttributes) {
  OnnxModelBuilder b(13);
  b.input("x", {1, 1, 4, 4}).output("y").initializer("w", testing::ramp_f32({1, 1, 3, 3}));
  testing::attr_string(b.node("Conv", {"x", "w"}, {"y"}, "c"), "auto_pad", "SOMETIMES");
  const std::string msg = import_error(b.bytes());
  expect_contains(msg, "node 'c' (op 'Conv', opset 13)");
  expect_contains(msg, "auto_pad 'SOMETIMES'");

  OnnxModelBuilder g = relu_model();
  auto* a = g.proto().mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("body");
  a->set_type(onnx::AttributeProto::GRAPH);
  expect_contains(import_error(g.bytes()), "attribute 'body' has kind GRAPH");

  OnnxModelBuilder c(13);
  c.input("x", {1}).output("y");
  testing::attr_string(c.node("Constant", {}, {"k"}, "k"), "value_string", "hello");
  c.node("Add", {"x", "k"}, {"y"});
  expect_contains(import_error(c.bytes()), "Constant attribute 'value_string' is not supported");
}

TEST(OnnxErrors, BrokenGraphStructure) {
  OnnxModelBuilder b(13);
  b.input("x", {1, 4}).output("y");
  b.node("Relu", {"nowhere"}, {"y"}, "r");
  expect_contains(import_error(b.bytes()), "'nowhere'");

  OnnxModelBuilder twice(13);
  twice.input("x", {1, 4}).output("y");
  twice.node("Relu", {"x"}, {"y"}, "a");
  twice.node("Relu", {"x"}, {"y"}, "b");
  expect_contains(import_error(twice.bytes()), "node 'b' (op 'Relu', opset 13): value 'y' is produced twice");

  OnnxModelBuilder arity(13);  // Pad-13 needs its pads input: refused before shapes are inferred
  arity.input("x", {1, 4}).output("y");
  arity.node("Pad", {"x"}, {"y"}, "pad");
  expect_contains(import_error(arity.bytes()), "node 'pad' (Pad) has 1 inputs");

  OnnxModelBuilder noshape(13);
  noshape.proto().mutable_graph()->add_input()->set_name("x");
  noshape.output("y").node("Relu", {"x"}, {"y"});
  expect_contains(import_error(noshape.bytes()), "'x' is not a tensor");
}

}  // namespace
}  // namespace tinyopt
