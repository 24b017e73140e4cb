// Test-only shortcuts for the QDQ ONNX tests: a quantized model of the shared QDQ convention made by the
// product's PTQ (quant::quantize_model, passes/quantize.h) with the cheapest settings (min/max
// calibration, no bias correction, one thread), so the tests have realistic int8 / int4-weight /
// int16-activation graphs to export, import and run in onnxruntime; and the int4 -> int8 widening the
// float executor needs to run such a graph.
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt::testing {

struct TestQuantOptions {
  int weight_bits = 8;      // 8 or 4
  int activation_bits = 8;  // 8 (asymmetric) or 16 (symmetric)
};

// `calib` is a float batch matching the graph's (single) input.
Graph quantize_for_test(const Graph& float_graph, const Tensor& calib, const TestQuantOptions& options = {});

// The same graph with every kI4 initializer widened to kI8 (same values), for the float executor, whose
// DequantizeLinear reads int8/uint8/int16/int32 only.
Graph widen_int4_to_int8(const Graph& g);

}  // namespace tinyopt::testing
