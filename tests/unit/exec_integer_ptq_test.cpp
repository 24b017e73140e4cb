// End to end with the product's PTQ (src/passes/quantize, quantize_model): models quantized by `tinyopt
// quantize`'s library run on the integer executor and agree with the float executor's simulation of the
// same QDQ graph within the bound of exec_integer_executor_test.cpp (every activation within one step on
// >= 99% of elements, exact on >= 85%): int8, int4 weights, mixed per layer, and the shipped teacher.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/quantize.h"
#include "unit/exec_integer_models.h"

namespace tinyopt {
namespace {

Dataset random_data(const Graph& g, int64_t n, uint32_t seed) {
  Dataset d;
  d.x = testing::model_input(g, n, seed);
  d.name = "random";
  return d;
}

void expect_ptq_agreement(const Graph& f, const Dataset& calib, const Tensor& x, const quant::QuantizeOptions& o) {
  const quant::QuantizeResult q = quant::quantize_model(f, calib, o);
  const testing::ModelAgreement m = testing::integer_vs_float(q.qdq, {x});
  const testing::Agreement& a = m.activations;
  ASSERT_GT(a.elements, 0);
  EXPECT_GE(static_cast<double>(a.within_one), 0.99 * static_cast<double>(a.elements)) << a.describe();
  EXPECT_GE(static_cast<double>(a.exact), 0.85 * static_cast<double>(a.elements)) << a.describe();
  EXPECT_LE(a.max_steps, 3) << a.describe();
  std::cout << "[ ptq       ] all activations: " << a.describe() << "; outputs: " << m.outputs.describe() << "\n";
}

TEST(ExecIntegerPtq, Int8Int4AndMixedModelsFromQuantizeModel) {
  for (const Graph& f : {testing::cnn_model(21), testing::residual_model(22), testing::concat_model(23)}) {
    const Dataset calib = random_data(f, 32, 1);
    const Tensor x = testing::model_input(f, 8, 2);
    quant::QuantizeOptions o;
    o.calibrator = quant::Calibrator::kMinMax;
    o.bias_correction = false;
    expect_ptq_agreement(f, calib, x, o);
    o.weight_bits = 4;
    expect_ptq_agreement(f, calib, x, o);
    o.weight_bits = 8;
    o.weight_bits_by_layer[f.nodes.front().name] = 4;  // the first conv int4, the rest int8
    o.bias_correction = true;
    o.calibrator = quant::Calibrator::kPercentile;
    expect_ptq_agreement(f, calib, x, o);
  }
}

TEST(ExecIntegerPtq, TeacherInt8FromQuantizeModel) {
  const std::string model = std::string(TINYOPT_SOURCE_DIR) + "/models/fmnist-cnn.onnx";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << model << " is absent";
  Dataset test;
  try {
    test = load_dataset("fashion-mnist", Split::kTest);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "fashion-mnist is not installed: " << e.what();
  }
  quant::QuantizeOptions o;
  o.bias_correction = false;  // keeps the test fast; the executor does not care
  expect_ptq_agreement(load_onnx(model), take(test, 64, 0), take(test, 32, 64).x, o);
}

}  // namespace
}  // namespace tinyopt
