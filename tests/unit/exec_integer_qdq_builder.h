// A test-only quantizer: turns a small float graph into the QDQ form of HELPERS.md ("Quantized models in
// the IR") with min/max scales measured by the float executor on calibration inputs, so the integer
// executor tests can build QDQ graphs by hand. Deliberately simple (a plain Conv+BN fold, min/max only,
// no bias correction); the product's PTQ lives in src/passes/quantize/. Not a reference for numerics.
//
// Rules (the QDQ convention):
//  - graph inputs and every node output are quantized per tensor (int8 asymmetric from min/max, or int16
//    symmetric when listed in int16_values), except the output of a Conv / Gemm / MatMul / Add whose only
//    consumer is a Relu / Clip (the activation's output is quantized instead: the activation is fused);
//  - MaxPool / Flatten / Reshape / Identity / Pad / standalone Relu / Clip outputs reuse their input's
//    parameters; Concat's output covers the union of its inputs' ranges;
//  - Conv / Gemm / MatMul weights: symmetric per output channel, int8 [-127, 127] or int4 [-7, 7] (for
//    the layers in int4_layers, by node name); biases int32 at s_in * s_w.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt::testing {

struct TestQuantOptions {
  std::set<std::string> int4_layers;    // node names whose weights become int4
  std::set<std::string> int16_values;   // float value names whose activations become int16
  bool all_int4 = false;                // every weighted layer int4
};

// Conv -> BatchNormalization (inference) pairs folded into the conv's weights and bias.
Graph fold_batch_norm_for_test(const Graph& graph);

// BN folded first (fold_batch_norm_for_test), then quantized.
Graph quantize_for_test(const Graph& float_graph, const std::vector<Tensor>& calibration,
                        const TestQuantOptions& opts = {});

}  // namespace tinyopt::testing
