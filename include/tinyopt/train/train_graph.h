// TrainGraph: a Graph compiled for training -- the autograd tape over the float ops. The graph's nodes,
// in topological order, are the tape: forward() runs them and keeps every activation, backward() runs
// their gradient rules in reverse and leaves d(loss)/d(weight) in each parameter's gradient buffer. All
// activation, gradient and scratch buffers are allocated once for the largest batch (constructor), so
// the training loop allocates nothing; smaller batches reuse the same buffers.
//
// Requirements on the graph: one float input with the batch on axis 0 (its leading dimension may be -1),
// every activation keeps the batch on axis 0, and every op has a gradient rule (Conv, Gemm,
// BatchNormalization, Relu, Clip, LeakyRelu, HardSwish, HardSigmoid, Sigmoid, Tanh, MaxPool, AveragePool,
// GlobalAveragePool, Add, Sub, Mul, Div, Concat, Flatten, Reshape, Squeeze, Unsqueeze, Identity,
// Transpose, Dropout, Softmax). Learned weights are the initializers read as Conv W/B, Gemm B/C and
// BatchNormalization scale/B; BN running mean/var are state, updated by training-mode forward passes.
// A trailing Softmax is kept in to_graph() but left out of the tape, so outputs() are logits.
//
// Quantization-aware training: values named in a FakeQuantMap (fake_quant.h) -- the graph input,
// activations, weight initializers -- are read by every consumer through a fake-quantization op; their
// scales become parameters (no weight decay) and fake_quant() returns them as learned.
//
// Not thread-safe: one TrainGraph per training loop. It parallelises internally with OpenMP.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/train/fake_quant.h"

namespace tinyopt::train {

namespace detail {
struct Slot;
class TrainOp;
}  // namespace detail

// A named float tensor of the model: a learned parameter (grad is its gradient after backward()) or
// running state (grad empty). The spans stay valid for the TrainGraph's lifetime.
struct ParamRef {
  std::string name;
  Shape shape;
  std::span<float> value;
  std::span<float> grad;
  bool weight_decay = true;  // false for quantization scales
};

enum class Mode { kTrain, kEval };

// Time spent in one node since profiling was switched on (benchmarks): CPU seconds of the calling
// thread, which stay meaningful on a busy machine; profile with threads = 1.
struct OpTiming {
  std::string node;
  OpType op = OpType::kIdentity;
  double forward_s = 0.0;
  double backward_s = 0.0;
};

class TrainGraph {
 public:
  // Throws Error(kBadInput) naming the node when the graph cannot be trained (see above). With
  // `input_gradient`, backward() also computes d(loss)/d(input) (gradient checks, saliency).
  // `fake_quant` names the values to fake-quantize (QAT); throws Error(kBadInput) for a name that is not
  // a float value of the graph.
  TrainGraph(const Graph& graph, int64_t max_batch, int threads = 1, bool input_gradient = false,
             const FakeQuantMap& fake_quant = {});
  ~TrainGraph();
  TrainGraph(TrainGraph&&) noexcept;
  TrainGraph& operator=(TrainGraph&&) noexcept;

  int64_t max_batch() const { return max_batch_; }
  int threads() const { return threads_; }
  Shape sample_input_shape() const;  // the input's shape for one sample, without the batch axis
  int64_t input_numel() const;       // floats per input sample
  int64_t output_numel() const;      // floats per output sample (the number of classes for a classifier)

  // Runs the tape on `batch` <= max_batch() samples, input (batch, input_numel()) floats. Returns the
  // outputs (batch, output_numel()); valid until the next forward(). `seed` drives Dropout masks.
  std::span<const float> forward(std::span<const float> input, int64_t batch, Mode mode, uint64_t seed = 0);
  // Back-propagates d(loss)/d(output) (batch, output_numel()) through the last forward(); parameter
  // gradients are overwritten (not accumulated across calls).
  void backward(std::span<const float> grad_output);

  // d(loss)/d(input) of the last backward(), (batch, input_numel()); empty without input_gradient.
  std::span<const float> input_gradient() const;

  const std::vector<ParamRef>& parameters() const { return params_; }
  const std::vector<ParamRef>& state() const { return state_; }

  // Per-node timing (off by default; switching it on resets the counters).
  void set_profiling(bool on);
  const std::vector<OpTiming>& profile() const { return timings_; }

  // The source graph with the current weights and running statistics in its initializers: the model in
  // inference form (BatchNormalization uses the running statistics), ready for export or the executor.
  // Without the fake quantization: the float weights as trained.
  Graph to_graph() const;
  // The FakeQuantMap given to the constructor with the scales as trained.
  FakeQuantMap fake_quant() const;

 private:
  Graph source_;
  int64_t max_batch_ = 1;
  int threads_ = 1;
  int64_t batch_ = 0;  // of the last forward
  bool last_training_ = true;
  uint64_t last_seed_ = 0;
  std::vector<std::unique_ptr<detail::Slot>> slots_;
  std::vector<std::unique_ptr<detail::TrainOp>> ops_;
  detail::Slot* input_ = nullptr;
  detail::Slot* output_ = nullptr;
  std::vector<detail::Slot*> activations_;  // batched slots with gradients
  std::vector<std::vector<detail::Slot*>> zero_before_;  // per op: gradients to zero before its backward
  std::vector<ParamRef> params_, state_;
  FakeQuantMap fake_quant_;
  std::map<std::string, std::span<float>> fake_quant_scales_;  // value -> its scale slot
  bool profiling_ = false;
  std::vector<OpTiming> timings_;
};

}  // namespace tinyopt::train
