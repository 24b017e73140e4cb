// Test-only: turns a float graph into a QDQ graph of the shared convention (HELPERS.md "Quantized models
// in the IR": symmetric per-output-channel weights, int32 bias at s_in * s_w, asymmetric int8 or symmetric
// int16 activations per tensor, Q/DQ after each fused activation, MaxPool/Flatten/Reshape reusing their
// input's parameters), so the QDQ ONNX tests have realistic models to export, import and run in
// onnxruntime. Calibration is plain min/max over the given images with the float executor; Conv ->
// BatchNormalization pairs are folded first. This is a stand-in for graphs written by the product's PTQ
// (passes/quantize), not a second PTQ: no calibrator choice, no bias correction, no error handling
// beyond what the tests feed it.
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt::testing {

struct TestQuantOptions {
  int weight_bits = 8;      // 8 (kI8, [-127, 127]) or 4 (kI4 packed, [-7, 7])
  int activation_bits = 8;  // 8 (asymmetric kI8) or 16 (symmetric kI16, zero point 0)
};

// `calib` is a float batch matching the graph's (single) input.
Graph quantize_for_test(const Graph& float_graph, const Tensor& calib, const TestQuantOptions& options = {});

// The same graph with every kI4 initializer widened to kI8 (same values), for the float executor, whose
// DequantizeLinear reads int8/uint8/int16/int32 only.
Graph widen_int4_to_int8(const Graph& g);

}  // namespace tinyopt::testing
