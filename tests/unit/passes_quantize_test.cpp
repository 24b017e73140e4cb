// The PTQ pipeline (quantize.h): bias correction removes the mean output error it targets, the SQNR is
// the stated formula, quantize_model's report matches its QDQ graph, and the `quantize` verb works end to
// end on a tiny model and fails cleanly (one line, exit code, no output file) on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "passes_test_util.h"
#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/data/npy.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/fold_batch_norm.h"
#include "tinyopt/passes/quantize.h"

namespace tinyopt {
namespace {

// x (N, 16) in [0, 1) -> Gemm(W (8, 16), transB=1, b) -> y. The weights sit between int4 grid points so
// that rounding them shifts every output channel's mean in one direction.
Graph linear_layer() {
  Graph g;
  g.set_value(Value{"x", {-1, 16}, DType::kF32, {}, {}});
  g.set_value(Value{"y", {-1, 8}, DType::kF32, {}, {}});
  std::vector<float> w(8 * 16), b(8, 0.1f);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 16 == 0) ? 1.0f : 0.06f + 0.001f * static_cast<float>(i % 5);
  g.add_initializer("W", Tensor::from_f32({8, 16}, w));
  g.add_initializer("b", Tensor::from_f32({8}, b));
  Node n{"fc", OpType::kGemm, {"x", "W", "b"}, {"y"}, {}};
  n.attrs["transB"] = int64_t{1};
  g.nodes = {n};
  g.inputs = {"x"};
  g.outputs = {"y"};
  return g;
}

Dataset uniform_data(int64_t n, int64_t features, uint32_t seed) {
  Dataset d;
  d.x = testing::random_images(n, {features}, seed);
  d.name = "uniform";
  return d;
}

// Mean over the data of (y_q - y) per output channel, averaged in absolute value over channels.
double mean_abs_bias(const Graph& f, const Graph& q, const Dataset& d) {
  const Tensor yf = FloatExecutor(f, ExecOptions{1}).run({d.x}).at(0);
  const Tensor yq = FloatExecutor(quant::unpack_int4_initializers(q), ExecOptions{1}).run({d.x}).at(0);
  const int64_t n = yf.dim(0), c = yf.dim(1);
  double total = 0;
  for (int64_t j = 0; j < c; ++j) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += yq.data<float>()[i * c + j] - yf.data<float>()[i * c + j];
    total += std::abs(s / static_cast<double>(n));
  }
  return total / static_cast<double>(c);
}

TEST(BiasCorrection, RemovesTheMeanOutputErrorOfASyntheticLayer) {
  const Graph g = linear_layer();
  const Dataset calib = uniform_data(512, 16, 1), held_out = uniform_data(512, 16, 2);
  quant::QuantizeOptions o;
  o.calibration.threads = 1;
  const quant::QuantPlan plan = testing::minmax_plan(g, calib.x, 4, 16);  // int4 weights, fine activations
  const double before = mean_abs_bias(g, quant::apply_quant_plan(g, plan), held_out);
  std::map<std::string, double> shifts;
  const Graph corrected = quant::correct_biases(g, plan, calib, o, &shifts);
  const double after = mean_abs_bias(g, quant::apply_quant_plan(corrected, plan), held_out);
  EXPECT_GT(before, 0.01);
  EXPECT_LT(after, 0.2 * before) << "before " << before << " after " << after;
  EXPECT_GT(shifts.at("fc"), 0.0);
  // The input graph keeps its bias.
  EXPECT_FLOAT_EQ(g.value("b").data->data<float>()[0], 0.1f);
}

TEST(Sqnr, FormulaAndPerLayerValues) {
  EXPECT_DOUBLE_EQ(quant::sqnr_db(100.0, 1.0), 20.0);
  EXPECT_NEAR(quant::sqnr_db(2.0, 1.0), 3.0103, 1e-4);
  EXPECT_TRUE(std::isinf(quant::sqnr_db(1.0, 0.0)));
  // layer_sqnr against a hand computation from run_all of both graphs.
  const Graph g = fold_batch_norm(testing::model_with_random_bn("fmnist-ds", 0.25f, 5));
  Dataset d;
  d.x = testing::random_images(6, {1, 28, 28}, 8);
  const quant::QuantPlan plan = testing::minmax_plan(g, d.x);
  const Graph q = quant::apply_quant_plan(g, plan);
  quant::CalibrationOptions o;
  o.batch = 4;
  o.threads = 1;
  const auto sqnr = quant::layer_sqnr(g, q, d, o);
  const auto fy = FloatExecutor(g, ExecOptions{1}).run_all({d.x});
  const auto qy = FloatExecutor(q, ExecOptions{1}).run_all({d.x});
  const quant::QuantSites sites = quant::find_quant_sites(g);
  ASSERT_EQ(sqnr.size(), sites.layers.size());
  for (const quant::QuantLayer& l : sites.layers) {
    const double expect = testing::sqnr_db_of(fy.at(l.site), qy.at(quant::dequantized_name(q, l.site)));
    EXPECT_NEAR(sqnr.at(l.node), expect, 1e-6) << l.node;
    EXPECT_GT(sqnr.at(l.node), 15.0) << l.node;
  }
}

TEST(QuantizeModel, ReportMatchesTheQdqGraph) {
  const Graph model = testing::model_with_random_bn("fmnist-cnn", 0.25f, 2);
  Dataset d;
  d.x = testing::random_images(8, {1, 28, 28}, 3);
  d.name = "random";
  quant::QuantizeOptions o;
  o.calibration.threads = 1;
  o.calibration.batch = 4;
  o.weight_bits_by_layer["conv3"] = 4;
  for (quant::Calibrator c : {quant::Calibrator::kMinMax, quant::Calibrator::kKl}) {
    o.calibrator = c;
    const quant::QuantizeResult r = quant::quantize_model(model, d, o);
    verify_graph(r.qdq);
    ASSERT_EQ(r.layers.size(), 6u);  // conv1..5, fc
    for (const quant::LayerReport& l : r.layers) {
      EXPECT_EQ(l.weight_bits, l.name == "conv3" ? 4 : 8) << l.name;
      EXPECT_GT(l.sqnr_db, 5.0) << l.name;
      EXPECT_GT(l.bias_shift, 0.0) << l.name;
    }
  }
  Dataset empty;
  EXPECT_THROW(quant::quantize_model(model, empty, o), Error);
}

// ---- The verb ----------------------------------------------------------------------------------------

struct TinySetup : testing::QuantizeVerbSetup {
  TinySetup() : QuantizeVerbSetup("fmnist-ds", 0.25f, 1, 24, 1) {}
};

TEST(QuantizeVerb, JsonContractAndALoadableQdqModel) {
  TinySetup s;
  const auto r = testing::run_cli("quantize " + s.model + " --data " + s.data + " --calib 16 --threads 1 --json -o " + s.out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("output"), s.out);
  EXPECT_GE(j.at("accuracy").get<double>(), 0.0);
  EXPECT_GE(j.at("float_accuracy").get<double>(), 0.0);
  ASSERT_EQ(j.at("layers").size(), 8u);
  for (const auto& l : j.at("layers")) {
    EXPECT_TRUE(l.contains("name"));
    EXPECT_EQ(l.at("weight_bits"), 8);
    EXPECT_EQ(l.at("act_bits"), 8);
    EXPECT_TRUE(l.at("sqnr_db").is_number());
  }
  const Graph q = load_onnx(s.out);
  verify_graph(q);
  int dq = 0;
  for (const Node& n : q.nodes) dq += n.op == OpType::kDequantizeLinear;
  EXPECT_GT(dq, 16);
}

TEST(QuantizeVerb, Int4Weights) {
  TinySetup s;
  const auto r = testing::run_cli("quantize " + s.model + " --data " + s.data +
                                  " --calib 8 --weights int4 --calibrator minmax --no-bias-correction"
                                  " --threads 1 --json -o " + s.out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("layers").at(0).at("weight_bits"), 4);
  EXPECT_EQ(j.at("layers").at(0).at("act_bits"), 8);
  EXPECT_TRUE(std::filesystem::exists(s.out));
}

// The integer runtime has int16-activation kernels for depthwise conv, add and the pools too (session 3), so a
// depthwise student quantized with int16 activations now quantizes and evaluates on the integer executor.
TEST(QuantizeVerb, Int16ActivationsOnADepthwiseModelRunOnTheIntegerRuntime) {
  TinySetup s;
  const auto r = testing::run_cli("quantize " + s.model + " --data " + s.data +
                                  " --calib 8 --activations int16 --calibrator minmax --threads 1 -o " + s.out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(s.out));
  const auto e = testing::run_cli("eval " + s.out + " --data " + s.data + " --json");
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("\"accuracy\""), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("integer"), std::string::npos) << e.out;
}

void expect_clean_failure(const testing::CommandResult& r, int code, const std::string& needle, const std::string& out) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.err.rfind("tinyopt: error:", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(QuantizeVerb, BadInputFailsWithOneLineAndNoOutput) {
  TinySetup s;
  const std::string base = "quantize " + s.model + " --data " + s.data + " --threads 1 -o " + s.out;
  expect_clean_failure(testing::run_cli(base + " --calibrator entropy"), 2, "calibrator", s.out);
  expect_clean_failure(testing::run_cli(base + " --calib 0"), 1, "--calib", s.out);
  // Calibration data whose samples do not fit the model.
  write_npy(s.dir.file("small.npy"), testing::random_images(4, {1, 8, 8}, 1));
  expect_clean_failure(testing::run_cli(base + " --calib-data " + s.dir.file("small.npy")), 1, "[1,8,8]", s.out);
  // Empty calibration data.
  write_npy(s.dir.file("empty.npy"), Tensor(DType::kF32, {0, 1, 28, 28}));
  expect_clean_failure(testing::run_cli(base + " --calib-data " + s.dir.file("empty.npy")), 1, "no samples", s.out);
  // A model with an op the integer kernels do not cover.
  Graph g = testing::model_with_random_bn("fmnist-ds", 0.25f, 1);
  for (Node& n : g.nodes)
    if (n.op == OpType::kRelu) {
      n.op = OpType::kTanh;
      break;
    }
  save_onnx(g, s.model);
  expect_clean_failure(testing::run_cli(base), 1, "(Tanh): cannot be quantized", s.out);
}

}  // namespace
}  // namespace tinyopt
