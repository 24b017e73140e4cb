// QDQ ONNX interchange without onnxruntime: our quantized graphs (int8, int4 weights, int16 activations,
// shared convention of HELPERS.md) survive export -> import unchanged (same nodes, integer initializers,
// scales and zero points), pass Debian's onnx checker (skipped without python3-onnx), put int16 Q/DQ in
// the com.microsoft domain and int4 in INT8 storage with the annotation; import reads com.microsoft Q/DQ
// and rewrites uint8 QDQ into int8 exactly, leaving uint8 graph outputs alone; and re-importing our own
// export reproduces the integer executor's outputs bit-exactly (the integer tensors, not just the logits).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "onnx/onnx.pb.h"
#include "onnx_model_builder.h"
#include "qdq_peers.h"
#include "qdq_test_quantizer.h"
#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

using testing::OnnxModelBuilder;
using testing::TestQuantOptions;

// Eight seeded images in [0, 1] for calibration.
Tensor calibration_images() {
  Tensor x(DType::kF32, {8, 1, 28, 28});
  uint32_t s = 12345;
  for (float& v : x.span<float>()) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / static_cast<float>(1u << 24);
  }
  return x;
}

struct QdqCase {
  const char* name;
  TestQuantOptions options;
};
constexpr QdqCase kCases[] = {{"w8a8", {8, 8}}, {"w4a8", {4, 8}}, {"w8a16", {8, 16}}};

// The fmnist-ds student (depthwise, pointwise, GAP, Gemm), quantized per the shared convention.
Graph qdq_student(const TestQuantOptions& options) {
  ArchOptions arch;
  arch.seed = 7;
  return testing::quantize_for_test(build_architecture("fmnist-ds", arch), calibration_images(), options);
}

Graph round_trip(const Graph& g) { return parse_onnx(serialize_onnx(g), "qdq.onnx"); }

onnx::ModelProto exported_proto(const Graph& g) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(serialize_onnx(g)));
  return m;
}

int count_op(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

TEST(OnnxQdq, ExportImportReproducesTheQuantizedGraph) {
  for (const QdqCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const Graph q = qdq_student(c.options);
    ASSERT_GT(count_op(q, OpType::kQuantizeLinear), 5);
    const Graph back = round_trip(q);
    // Everything but the shapes of intermediate values must be what we wrote: the importer keeps the
    // dynamic batch (-1) where the quantizer inferred shapes at batch 1.
    Graph expected = q;
    expected.opset = back.opset;
    for (const auto& [name, v] : back.values()) {
      if (!v.is_initializer() && expected.has_value(name)) expected.value(name).shape = v.shape;
    }
    testing::expect_same_graph(expected, back);
    testing::expect_same_graph(back, round_trip(back));
    EXPECT_EQ(serialize_onnx(back), serialize_onnx(round_trip(back)));
  }
}

// The integer tensors the integer executor computes for `g`'s outputs on `x`.
std::vector<Tensor> integer_outputs(const Graph& g, const Tensor& x) {
  return IntegerExecutor(g).run_integer({x});
}

void expect_same_bytes(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].dtype(), b[i].dtype()) << "output " << i;
    ASSERT_EQ(a[i].shape(), b[i].shape()) << "output " << i;
    const uint8_t* pa = a[i].bytes();
    const uint8_t* pb = b[i].bytes();
    const size_t n = a[i].nbytes();
    const size_t first_diff = static_cast<size_t>(std::mismatch(pa, pa + n, pb).first - pa);
    EXPECT_EQ(first_diff, n) << "output " << i << " differs first at byte " << first_diff << " of " << n;
  }
}

TEST(OnnxQdq, ReimportedExportRunsBitExactInTheIntegerExecutor) {
  const Tensor x = calibration_images();
  for (const QdqCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const Graph q = qdq_student(c.options);
    const std::vector<Tensor> ours = integer_outputs(q, x);
    ASSERT_EQ(ours.at(0).dtype(), c.options.activation_bits == 16 ? DType::kI16 : DType::kI8);
    testing::TempDir dir;
    save_onnx(q, dir.file("student.onnx"));
    expect_same_bytes(ours, integer_outputs(load_onnx(dir.file("student.onnx")), x));
  }
  SCOPED_TRACE("shipped teacher, w8a8");
  const Graph teacher = testing::quantize_for_test(load_onnx(testing::source_dir() + "/models/fmnist-cnn.onnx"), x);
  expect_same_bytes(integer_outputs(teacher, x), integer_outputs(round_trip(teacher), x));
}

TEST(OnnxQdq, Int16ActivationsAreWrittenInTheMicrosoftDomain) {
  const Graph q = qdq_student({8, 16});
  const onnx::ModelProto m = exported_proto(q);
  ASSERT_EQ(m.opset_import_size(), 2);
  EXPECT_EQ(m.opset_import(1).domain(), "com.microsoft");
  EXPECT_EQ(m.opset_import(1).version(), 1);
  int microsoft = 0, standard_dq = 0;
  for (const auto& n : m.graph().node()) {
    if (n.domain() == "com.microsoft") {
      ++microsoft;
      EXPECT_TRUE(n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear") << n.name();
    } else if (n.op_type() == "DequantizeLinear") {
      ++standard_dq;  // weights (int8) and biases (int32) keep the standard op
    }
  }
  EXPECT_EQ(microsoft, 2 * count_op(q, OpType::kQuantizeLinear));
  EXPECT_EQ(standard_dq, count_op(q, OpType::kDequantizeLinear) - count_op(q, OpType::kQuantizeLinear));
  // An int8 model stays in the default domain only.
  EXPECT_EQ(exported_proto(qdq_student({8, 8})).opset_import_size(), 1);
}

TEST(OnnxQdq, Int4WeightsAreStoredAsInt8AndListed) {
  const Graph q = qdq_student({4, 8});
  const onnx::ModelProto m = exported_proto(q);
  std::string listed;
  for (const auto& kv : m.metadata_props()) {
    if (kv.key() == kInt4TensorsMetadataKey) listed = kv.value();
  }
  int int4_values = 0;
  for (const auto& [name, v] : q.values()) {
    if (!v.is_initializer() || v.data->dtype() != DType::kI4) continue;
    ++int4_values;
    EXPECT_NE(listed.find(name), std::string::npos) << name;
  }
  EXPECT_GT(int4_values, 0);
  for (const auto& t : m.graph().initializer()) {
    if (listed.find(t.name()) == std::string::npos) continue;
    EXPECT_EQ(t.data_type(), onnx::TensorProto::INT8) << t.name();
    for (char b : t.raw_data()) EXPECT_LE(std::abs(static_cast<int>(static_cast<int8_t>(b))), 7) << t.name();
  }
}

TEST(OnnxQdq, ExportsPassTheOnnxChecker) {
  if (const std::string why = testing::onnx_checker_missing(); !why.empty()) GTEST_SKIP() << why;
  testing::TempDir dir;
  for (const QdqCase& c : kCases) {
    const std::string path = dir.file(std::string(c.name) + ".onnx");
    save_onnx(qdq_student(c.options), path);
    EXPECT_EQ(testing::onnx_checker_error(path), "") << c.name;
  }
}

// x -> QuantizeLinear -> DequantizeLinear -> y with the given zero point (absent when `zp` is empty).
OnnxModelBuilder qdq_pair(const std::string& domain, const Tensor& zp) {
  OnnxModelBuilder b(13);
  b.input("x", {5}).output("y").initializer("s", Tensor::scalar_f32(0.5f));
  std::vector<std::string> params{"s"};
  if (!zp.empty()) {
    b.initializer("zp", zp);
    params.push_back("zp");
  }
  auto add = [&](const std::string& op, const std::string& in, const std::string& out) {
    std::vector<std::string> inputs{in};
    inputs.insert(inputs.end(), params.begin(), params.end());
    b.node(op, inputs, {out}, op).set_domain(domain);
  };
  add("QuantizeLinear", "x", "q");
  add("DequantizeLinear", "q", "y");
  if (!domain.empty()) {
    auto* ms = b.proto().add_opset_import();
    ms->set_domain(domain);
    ms->set_version(1);
  }
  return b;
}

std::vector<float> run_float(const Graph& g, const std::vector<float>& x) {
  const Tensor y = FloatExecutor(g).run({Tensor::from_f32({static_cast<int64_t>(x.size())}, x)}).at(0);
  return std::vector<float>(y.span<float>().begin(), y.span<float>().end());
}

const std::vector<float> kPairInput{-70.0f, -0.75f, 0.25f, 3.0f, 200.0f};

TEST(OnnxQdq, ImportsMicrosoftDomainInt16Qdq) {
  Tensor zp(DType::kI16, {});
  const Graph g = parse_onnx(qdq_pair("com.microsoft", zp).bytes(), "ms.onnx");
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op, OpType::kQuantizeLinear);
  EXPECT_EQ(g.nodes[1].op, OpType::kDequantizeLinear);
  EXPECT_EQ(g.value("q").dtype, DType::kI16);
  // Half to even, then int16 saturation is far away: -70, -0.75 -> -1 (-0.5), 0.25 -> 0, 3, 200.
  EXPECT_EQ(run_float(g, kPairInput), (std::vector<float>{-70.0f, -1.0f, 0.0f, 3.0f, 200.0f}));
  // Written back in the same domain.
  const onnx::ModelProto m = exported_proto(g);
  EXPECT_EQ(m.graph().node(0).domain(), "com.microsoft");
}

TEST(OnnxQdq, RefusesOtherMicrosoftOps) {
  OnnxModelBuilder b = qdq_pair("com.microsoft", Tensor(DType::kI16, {}));
  b.proto().mutable_graph()->mutable_node(0)->set_op_type("QLinearConv");
  try {
    parse_onnx(b.bytes(), "ms.onnx");
    FAIL() << "imported com.microsoft QLinearConv";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("domain 'com.microsoft' is not supported"), std::string::npos) << e.what();
  }
}

TEST(OnnxQdq, Uint8QdqBecomesInt8WithTheSameValues) {
  Tensor zp(DType::kU8, {});
  zp.data<uint8_t>()[0] = 140;
  for (const bool with_zp : {true, false}) {
    SCOPED_TRACE(with_zp ? "zero point 140" : "no zero point (0)");
    const Graph g = parse_onnx(qdq_pair("", with_zp ? zp : Tensor()).bytes(), "u8.onnx");
    EXPECT_EQ(g.value("q").dtype, DType::kI8);
    for (const Node& n : g.nodes) {
      EXPECT_EQ(g.value(n.inputs.at(2)).data->data<int8_t>()[0], with_zp ? 12 : -128) << n.name;
    }
    // uint8 semantics: clamp(round(x / 0.5) + z, 0, 255), then (q - z) * 0.5.
    const float z = with_zp ? 140.0f : 0.0f;
    std::vector<float> expected;
    for (float x : kPairInput) {
      const float q = std::clamp(std::nearbyint(x / 0.5f) + z, 0.0f, 255.0f);
      expected.push_back((q - z) * 0.5f);
    }
    EXPECT_EQ(run_float(g, kPairInput), expected);
  }
}

TEST(OnnxQdq, Uint8GraphOutputStaysUint8) {
  OnnxModelBuilder b(13);
  b.input("x", {5}).output("q", {5}, onnx::TensorProto::UINT8).initializer("s", Tensor::scalar_f32(0.5f));
  b.node("QuantizeLinear", {"x", "s"}, {"q"}, "quant");
  const Graph g = parse_onnx(b.bytes(), "u8_out.onnx");
  EXPECT_EQ(g.value("q").dtype, DType::kU8);
  EXPECT_EQ(g.nodes[0].inputs.size(), 2u);
}

}  // namespace
}  // namespace tinyopt
