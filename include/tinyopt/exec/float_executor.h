// The float reference executor: runs a Graph on float (and the integer side tensors ONNX ops use) with
// ONNX opset 18 semantics, NCHW, batched. It is the accuracy reference for the float side (eval, PTQ
// calibration, golden tests); it is not the integer runtime that quantized models and firmware use.
//
// Construction validates the graph once (every op supported, every value defined before use); run()
// then computes output shapes from the actual input tensors (so shape-like inputs such as Reshape's shape
// may be runtime graph inputs), reuses buffers across runs with the same shapes, and fuses Conv ->
// BatchNormalization -> Relu/Clip chains where the result is bit-identical (run_all() never fuses, so every
// intermediate value it returns is exactly the graph's). With several threads and a graph whose samples
// are independent (batch dim -1, no op mixing samples), run() gives each thread whole chunks of the batch;
// otherwise the threads share each layer. Not thread-safe: one run at a time per executor.
// Running sets OpenBLAS to one thread for the rest of the process (its thread count is global; the
// executor's OpenMP threads call it concurrently), see src/exec/kernels/blas_threads.h.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt {

struct ExecOptions {
  int threads = 0;  // OpenMP threads for kernels; 0 = OpenMP default (OMP_NUM_THREADS or all cores)
};

class FloatExecutor {
 public:
  // Throws Error(kBadInput) naming the node and op when an op is unsupported or a value is undefined.
  explicit FloatExecutor(const Graph& graph, ExecOptions opts = {});
  ~FloatExecutor();
  FloatExecutor(FloatExecutor&&) noexcept;
  FloatExecutor& operator=(FloatExecutor&&) noexcept;

  // Inputs in graph-input order; outputs in graph-output order. An input must match the graph input's
  // dtype, rank and dims (a -1 dim accepts any size), else Error(kBadInput) "input 'x' has shape [..],
  // model expects [..]". The returned tensors are the caller's (not overwritten by later runs).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Like run(), but returns every graph input and node output by value name (calibration, debugging).
  std::map<std::string, Tensor> run_all(const std::vector<Tensor>& inputs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tinyopt
