// Import-time checks of initializer *values* (the verifier checks structure and shapes; these look at
// the numbers): float initializers must be finite — NaN anywhere, or +-inf anywhere but a Clip bound,
// comes from a diverged training run or a hostile file and would silently poison every output, the
// calibration and the quantized model — and QuantizeLinear/DequantizeLinear scales that are initializers
// must be finite and > 0 (a zero scale divides by zero when quantizing). Internal to src/onnx/; not a
// range check of integer weights (the kernels accept every int8 value).
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt::detail {

// Throws Error(kBadInput) naming the initializer, the first bad index and value, and a node reading it.
void check_initializer_values(const Graph& graph);

}  // namespace tinyopt::detail
