// Folding inference-mode BatchNormalization into the preceding Conv or Gemm (DESIGN.md section 1,
// first step of quantization): y = gamma * (W x + b - mean) / sqrt(var + eps) + beta becomes
// W' x + b' with W' = W * s[c], b' = (b - mean) * s[c] + beta, s = gamma / sqrt(var + eps), per output
// channel c. Depthwise and grouped convs fold the same way (their weight's axis 0 is the output channel).
//
// It is a pass Graph -> Graph: the input graph is not modified, the folded Conv/Gemm takes over the BN's
// output name (so graph outputs and downstream names stay), BN parameters that nothing reads any more are
// dropped, and a Conv without a bias gains one. A BN it cannot fold is left in place (its input is not a
// Conv/Gemm, that output has other readers, or a parameter is not a constant); quantization then reports
// it as an op that cannot be quantized. Arithmetic is in double, rounded once to float.
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt {

Graph fold_batch_norm(const Graph& graph);

}  // namespace tinyopt
