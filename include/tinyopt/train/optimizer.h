// Optimizers over a TrainGraph's parameters, with PyTorch's update rules (so a recipe carries over):
//   sgd:   g = grad + wd * p;  buf = momentum * buf + g;  p -= lr * (nesterov ? g + momentum * buf : buf)
//   adam:  g = grad + wd * p (L2);  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//          p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   adamw: p *= 1 - lr * wd (decoupled decay), then adam without the L2 term.
// Weight decay applies to every parameter whose ParamRef::weight_decay is set (all but quantization
// scales), as PyTorch does by default. The moment buffers are exposed
// as named state for checkpoints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/train/train_graph.h"

namespace tinyopt::train {

struct OptimizerConfig {
  std::string kind = "sgd";  // "sgd" | "adam" | "adamw"
  float momentum = 0.9f;     // sgd
  bool nesterov = false;     // sgd
  float weight_decay = 0.0f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // adam, adamw
};

class Optimizer {
 public:
  // Throws Error(kUsage) for an unknown kind or out-of-range hyper-parameters.
  Optimizer(const OptimizerConfig& config, const std::vector<ParamRef>& params);

  // One update of every parameter from its gradient, at learning rate lr.
  void step(float lr);

  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }
  // Moment buffers named "<param>:momentum", "<param>:adam_m", "<param>:adam_v" (for checkpoints).
  std::vector<ParamRef> state();

 private:
  enum class Kind { kSgd, kAdam, kAdamW };
  OptimizerConfig config_;
  Kind kind_ = Kind::kSgd;
  std::vector<ParamRef> params_;
  std::vector<std::vector<float>> m_, v_;  // sgd: m_ = momentum buffer; adam: first and second moments
  int64_t steps_ = 0;
};

}  // namespace tinyopt::train
