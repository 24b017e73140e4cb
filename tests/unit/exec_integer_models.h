// Small float models for the integer executor tests, one per pattern the lowering handles, with random
// weights from a seed; quantized by the test-only builder (exec_integer_qdq_builder.h). Also the
// agreement measure between the integer executor and the float executor's simulation of the same QDQ graph.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "unit/exec_integer_qdq_builder.h"

namespace tinyopt::testing {

// x (N,2,8,8) -> Conv 3x3 pad 1 (4) + Relu -> MaxPool 2 -> Conv 3x3 (6) + Relu -> Flatten (24) -> Gemm (5)
Graph cnn_model(uint32_t seed);
// x (N,4,8,8) -> Conv 1x1 (8) + Clip(0,6) -> depthwise 3x3 s2 pad 1 + Relu -> Conv 1x1 (8) -> HardSwish
//   -> GlobalAveragePool -> Flatten -> Gemm (6) -> Softmax
Graph mobile_model(uint32_t seed);
// x (N,4,6,6) -> Conv (4) + Relu -> Conv (4) -> Add x -> Relu -> AveragePool 2 -> Pad 1 -> Flatten -> MatMul (3)
Graph residual_model(uint32_t seed);
// x (N,3,6,6) -> [Conv 1x1 (3) + Relu, Conv 3x3 pad 1 (5) + Relu] -> Concat -> Conv 1x1 (4)
//   -> ReduceMean(2,3) -> Flatten -> Gemm (4)
Graph concat_model(uint32_t seed);

// Random float inputs for the model's first input with batch n.
Tensor model_input(const Graph& g, int64_t n, uint32_t seed);

struct Agreement {
  int64_t elements = 0, exact = 0, within_one = 0;
  int64_t max_steps = 0;  // largest |q_int - q_float|, in quantization steps of the tensor compared
  std::string describe() const;
};

struct ModelAgreement {
  Agreement activations;  // every quantized activation of the graph (every QuantizeLinear output)
  Agreement outputs;      // the graph outputs only (the QuantizeLinear output each final DequantizeLinear reads)
};

// Runs the QDQ graph through the integer executor and the float executor (float simulation) and compares
// the integer values of every quantized tensor and of the outputs.
ModelAgreement integer_vs_float(const Graph& qdq, const std::vector<Tensor>& inputs, int threads = 1);

}  // namespace tinyopt::testing
