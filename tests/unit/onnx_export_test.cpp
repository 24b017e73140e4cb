// ONNX export: import -> export -> import gives the identical graph; exported files pass Debian's
// onnx.checker (python3-onnx via /usr/bin/python3, skipped when absent); writes are atomic.
#include <gtest/gtest.h>

#include <filesystem>

#include "onnx/onnx.pb.h"
#include "onnx_model_builder.h"
#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

using testing::OnnxModelBuilder;

Graph round_trip(const Graph& g, const OnnxExportOptions& options = {}) {
  return parse_onnx(serialize_onnx(g, options), "round_trip.onnx");
}

// A QDQ model as the quantizer writes it: uint8 activations per tensor, int4 weights per output channel
// (INT4 in the file, so export stores them as INT8 + the metadata annotation), int32 bias.
OnnxModelBuilder qdq_conv_onnx() {
  OnnxModelBuilder b(13);
  b.input("x", {-1, 2, 4, 4}).output("y");
  b.initializer("x_scale", Tensor::scalar_f32(0.02f));
  Tensor zp(DType::kU8, {});
  zp.data<uint8_t>()[0] = 128;
  b.initializer("x_zp", zp);
  onnx::TensorProto w;  // 3x2x1x1 int4 weights, two per byte
  w.set_name("w_q");
  w.set_data_type(22);
  for (int64_t d : {3, 2, 1, 1}) w.add_dims(d);
  w.set_raw_data(std::string("\x71\x9F\x2E", 3));
  b.initializer(w);
  b.initializer("w_scale", Tensor::from_f32({3}, std::vector<float>{0.1f, 0.2f, 0.3f}));
  Tensor w_zp(DType::kI8, {3});
  b.initializer("w_zp", w_zp);
  Tensor bias(DType::kI32, {3});
  bias.data<int32_t>()[1] = 5;
  b.initializer("b_q", bias).initializer("b_scale", Tensor::from_f32({3}, std::vector<float>{2e-3f, 4e-3f, 6e-3f}));
  b.node("QuantizeLinear", {"x", "x_scale", "x_zp"}, {"xq"}, "quant_x");
  b.node("DequantizeLinear", {"xq", "x_scale", "x_zp"}, {"xd"}, "dequant_x");
  testing::attr_int(b.node("DequantizeLinear", {"w_q", "w_scale", "w_zp"}, {"wd"}, "dequant_w"), "axis", 0);
  testing::attr_int(b.node("DequantizeLinear", {"b_q", "b_scale"}, {"bd"}, "dequant_b"), "axis", 0);
  b.node("Conv", {"xd", "wd", "bd"}, {"y"}, "conv");
  return b;
}

// Models covering every canonicalization: legacy opsets in, opset 18 out.
std::vector<std::pair<std::string, std::string>> sample_models() {
  std::vector<std::pair<std::string, std::string>> models;
  for (int64_t opset : {6, 11, 13, 17, 18}) {
    models.emplace_back("cnn_opset" + std::to_string(opset), testing::small_cnn_onnx(opset).bytes());
  }
  OnnxModelBuilder legacy(10);
  legacy.input("x", {-1, 2, 3, 3}).output("y");
  auto& pad = legacy.node("Pad", {"x"}, {"p"}, "pad");
  testing::attr_ints(pad, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
  testing::attr_ints(legacy.node("Unsqueeze", {"p"}, {"u"}, "unsq"), "axes", {1});
  testing::attr_ints(legacy.node("Squeeze", {"u"}, {"s"}, "sq"), "axes", {1});
  legacy.node("Softmax", {"s"}, {"sm"}, "softmax_legacy");
  auto& mean = legacy.node("ReduceMean", {"sm"}, {"y"}, "mean");
  testing::attr_ints(mean, "axes", {2, 3});
  models.emplace_back("legacy_opset10", legacy.bytes());
  models.emplace_back("qdq_int4_weights", qdq_conv_onnx().bytes());
  return models;
}

TEST(OnnxExport, RoundTripIsIdentical) {
  for (const auto& [name, bytes] : sample_models()) {
    SCOPED_TRACE(name);
    const Graph g = parse_onnx(bytes, name + ".onnx");
    testing::expect_same_graph(g, round_trip(g));
    // Export is deterministic: the same graph gives the same bytes.
    EXPECT_EQ(serialize_onnx(g), serialize_onnx(round_trip(g)));
  }
}

TEST(OnnxExport, WritesOpset18WithShapesAndMetadata) {
  const Graph g = parse_onnx(testing::small_cnn_onnx(13).bytes(), "cnn.onnx");
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(serialize_onnx(g)));
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 18);
  ASSERT_EQ(m.graph().input_size(), 1);
  const auto& dims = m.graph().input(0).type().tensor_type().shape().dim();
  ASSERT_EQ(dims.size(), 4);
  EXPECT_EQ(dims[0].dim_param(), "N");
  EXPECT_EQ(dims[1].dim_value(), 3);
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  for (const auto& t : m.graph().initializer()) EXPECT_TRUE(t.has_raw_data()) << t.name();
  ASSERT_EQ(m.metadata_props_size(), 1);
  EXPECT_EQ(m.metadata_props(0).key(), "tinyopt.preprocessing");
}

TEST(OnnxExport, Int4InitializersRoundTripThroughInt8) {
  OnnxModelBuilder b(13);
  b.input("x", {3}).output("y");
  onnx::TensorProto q;
  q.set_name("q");
  q.set_data_type(22);  // INT4: 3, -2, 7
  q.add_dims(3);
  q.set_raw_data(std::string("\xE3\x07", 2));
  b.initializer(q).initializer("s", Tensor::scalar_f32(0.5f));
  b.node("DequantizeLinear", {"q", "s"}, {"w"});
  b.node("Add", {"x", "w"}, {"y"});
  const Graph g = parse_onnx(b.bytes(), "int4.onnx");
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(serialize_onnx(g)));
  EXPECT_EQ(m.metadata_props(0).key(), kInt4TensorsMetadataKey);
  EXPECT_EQ(m.metadata_props(0).value(), "q");
  for (const auto& t : m.graph().initializer()) {
    if (t.name() == "q") {
      EXPECT_EQ(t.raw_data(), std::string("\x03\xFE\x07", 3));
    }
  }
  testing::expect_same_graph(g, round_trip(g));
}

TEST(OnnxExport, Opset17TurnsReduceMeanAxesIntoAttribute) {
  OnnxModelBuilder b(18);
  b.input("x", {2, 3}).output("y").initializer("axes", Tensor::from_i64({1}, std::vector<int64_t>{1}));
  b.node("ReduceMean", {"x", "axes"}, {"y"}, "mean");
  const Graph g = parse_onnx(b.bytes(), "mean.onnx");
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(serialize_onnx(g, {.opset = 17})));
  EXPECT_EQ(m.opset_import(0).version(), 17);
  const auto& node = m.graph().node(0);
  EXPECT_EQ(node.input_size(), 1);
  ASSERT_EQ(node.attribute_size(), 1);
  EXPECT_EQ(node.attribute(0).name(), "axes");
  // Importing the opset-17 file canonicalizes back to the same IR (up to the axes initializer's name).
  const Graph back = round_trip(g, {.opset = 17});
  EXPECT_EQ(back.nodes[0].inputs.size(), 2u);
  EXPECT_EQ(back.value("y").shape, (Shape{2, 1}));
}

TEST(OnnxExport, PassesOnnxChecker) {
  if (!testing::python_has("onnx")) GTEST_SKIP() << "python3-onnx is not installed for /usr/bin/python3";
  testing::TempDir dir;
  // Debian's onnx 1.12 knows opsets up to 17 only: there, ReduceMean-18's axes input would be rejected,
  // so such graphs are checked in their opset-17 form.
  const bool checker_knows_18 =
      testing::run_command(
          "/usr/bin/python3 -c 'import onnx,sys; sys.exit(onnx.defs.onnx_opset_version() < 18)'")
          .exit_code == 0;
  std::string paths;
  for (const auto& [name, bytes] : sample_models()) {
    const Graph g = parse_onnx(bytes, name + ".onnx");
    bool has_reduce_mean = false;
    for (const Node& n : g.nodes) has_reduce_mean = has_reduce_mean || n.op == OpType::kReduceMean;
    const std::string path = dir.file(name + ".onnx");
    save_onnx(g, path, {.opset = has_reduce_mean && !checker_knows_18 ? 17 : 18});
    paths += " '" + path + "'";
  }
  const auto r = testing::run_command(
      "/usr/bin/python3 -c 'import onnx, sys\n"
      "for p in sys.argv[1:]:\n"
      "    onnx.checker.check_model(onnx.load(p), full_check=True)\n"
      "    print(\"ok\", p)' " +
      paths);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(OnnxExport, SaveIsAtomic) {
  testing::TempDir dir;
  const Graph g = parse_onnx(testing::small_cnn_onnx(13).bytes(), "cnn.onnx");
  const std::string path = dir.file("model.onnx");
  save_onnx(g, path);
  save_onnx(g, path);  // replaces the existing file
  testing::expect_same_graph(g, load_onnx(path));
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "model.onnx");  // no temporary file left behind
  }
  EXPECT_EQ(files, 1u);

  const std::string unwritable = dir.file("no/such/folder/model.onnx");
  try {
    save_onnx(g, unwritable);
    FAIL() << "wrote into a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_EQ(std::string(e.what()).rfind(unwritable, 0), 0u) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(unwritable));
}

}  // namespace
}  // namespace tinyopt
