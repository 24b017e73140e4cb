// The integer executor: runs a quantized (QDQ) graph through runtime/'s C99 kernels, the same code
// generated firmware runs (DESIGN.md section 3: "the accuracy you see is the accuracy on the device").
//
// Construction lowers the graph once (lower_qdq_graph: weight layouts, multipliers, kernel choice, scratch
// sizes) and plans per-thread arenas, so run() allocates nothing per sample beyond the returned tensors.
// run() takes float NCHW inputs, quantizes them at entry and dequantizes the outputs at exit exactly as the
// graph's boundary QuantizeLinear / DequantizeLinear nodes say; run_integer() returns the integer tensors
// those outputs are dequantized from (NCHW order), for bit-exact comparisons with firmware. Samples of a
// batch run independently (OpenMP over samples when threads > 1). Kernels: the variant the runtime's
// selector picks for this build (x86 where it exists, the reference elsewhere). Not thread-safe: one run at
// a time per executor. It is not the float executor: float ops outside the QDQ pattern are refused.
#pragma once

#include <memory>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt {

struct IntegerExecOptions {
  int threads = 1;  // OpenMP threads over the samples of a batch; 0 = OpenMP default
  bool fuse_conv_maxpool = true;  // run a conv and the max pool reading it as one step (fuse_conv_maxpool)
};

class IntegerExecutor {
 public:
  // Throws Error(kBadInput) naming the node when the graph cannot be lowered (see lower_qdq_graph).
  explicit IntegerExecutor(const Graph& graph, IntegerExecOptions opts = {});
  ~IntegerExecutor();
  IntegerExecutor(IntegerExecutor&&) noexcept;
  IntegerExecutor& operator=(IntegerExecutor&&) noexcept;

  // Float inputs in graph-input order, each (N, ...) matching the graph input (a -1 dim accepts any size);
  // outputs in graph-output order: float for dequantized outputs, int8 for integer ones.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Per graph output, the integer tensor (int8 / int16, NCHW order, batch N) it is dequantized from.
  std::vector<Tensor> run_integer(const std::vector<Tensor>& inputs);

  const IntegerProgram& program() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tinyopt
