// The pieces of the training tape: a Slot holds one graph value's activations and gradient for a batch,
// a TrainOp is one node's forward and backward over its slots, and OpRule says how to build an op for an
// OpType and which of its inputs are learned weights or running state. This is internal to src/train/;
// the public face is TrainGraph (include/tinyopt/train/train_graph.h).
//
// Conventions every op follows:
//   - Batched slots hold the batch on axis 0 and are sized for the TrainGraph's max batch; ops read the
//     current batch from RunContext::batch and touch only that many samples.
//   - forward() overwrites its outputs. backward() ADDS d(loss)/d(input) into in(i)->grad for every
//     input that has a gradient buffer (a value read by two nodes gets both contributions). The tape
//     zeroes each activation gradient just before its first writer runs (while the memory is about to
//     be used, not in one sweep), except when that writer supports_overwrite(i): then the tape calls
//     set_overwrite(i) and the op must STORE every element of that gradient instead of adding.
//     Parameter gradients are zeroed by the tape and always accumulated.
//   - Scratch is allocated in setup(), never in forward()/backward() (no allocation in the steady state).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinyopt/core/error.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::train::detail {

struct Slot {
  std::string name;
  Shape shape;                 // at the max batch when batched, else the constant's shape
  bool batched = false;        // axis 0 is the batch
  int64_t sample_numel = 0;    // elements per sample when batched, all elements otherwise
  std::vector<float> data;
  std::vector<float> grad;     // empty when no gradient flows into this value

  bool has_grad() const { return !grad.empty(); }
  int64_t numel(int64_t batch) const { return batched ? batch * sample_numel : sample_numel; }
  // Shape at the given batch.
  Shape shape_at(int64_t batch) const {
    Shape s = shape;
    if (batched) s[0] = batch;
    return s;
  }
};

struct RunContext {
  int64_t batch = 1;
  bool training = true;
  int threads = 1;
  uint64_t seed = 0;  // per-step seed (Dropout masks)
};

class TrainOp {
 public:
  explicit TrainOp(const Node& node) : node_(node) {}
  virtual ~TrainOp() = default;
  TrainOp(const TrainOp&) = delete;
  TrainOp& operator=(const TrainOp&) = delete;

  // Inputs that are not float tensors (Reshape's shape, ...) are nullptr.
  void bind(std::vector<Slot*> inputs, std::vector<Slot*> outputs) {
    in_ = std::move(inputs);
    out_ = std::move(outputs);
  }
  // Called once after binding, when all slot shapes are known: validate and allocate scratch.
  virtual void setup(int /*threads*/) {}
  virtual void forward(const RunContext& ctx) = 0;
  virtual void backward(const RunContext& ctx) = 0;

  const Node& node() const { return node_; }
  const std::vector<Slot*>& inputs() const { return in_; }
  // True when backward() can store (rather than add) the whole gradient of input i.
  virtual bool supports_overwrite(size_t /*input*/) const { return false; }
  void set_overwrite(size_t input) {
    overwrite_.resize(in_.size(), false);
    overwrite_.at(input) = true;
  }
  // False when no output carries a gradient: then no input needs one and backward() is skipped.
  bool needs_backward() const {
    return std::any_of(out_.begin(), out_.end(), [](const Slot* s) { return s != nullptr && s->has_grad(); });
  }

 protected:
  Slot& in(size_t i) const {
    if (i >= in_.size() || in_[i] == nullptr) fail("input " + std::to_string(i) + " must be a float tensor");
    return *in_[i];
  }
  bool has_in(size_t i) const { return i < in_.size() && in_[i] != nullptr; }
  // Whether backward() stores (true) or adds (false) the gradient of input i.
  bool overwrite(size_t i) const { return i < overwrite_.size() && overwrite_[i]; }
  Slot& out(size_t i = 0) const { return *out_.at(i); }
  [[noreturn]] void fail(const std::string& message) const {
    throw_bad_input(node_.describe() + ": " + message);
  }

  Node node_;
  std::vector<Slot*> in_;
  std::vector<Slot*> out_;
  std::vector<bool> overwrite_;
};

using MakeOpFn = std::unique_ptr<TrainOp> (*)(const Graph& graph, const Node& node);

struct OpRule {
  MakeOpFn make = nullptr;              // nullptr: no gradient rule, training refuses the op
  std::vector<int> trainable_inputs;    // learned when the input is an initializer (Conv W, B)
  std::vector<int> state_inputs;        // updated by forward in training (BN running mean/var)
};

// The rule for an op type (the table is exhaustive over OpType, STYLE.md 7).
const OpRule& op_rule(OpType op);

// Reads a scalar float constant input (Clip min/max, Dropout ratio): `fallback` when omitted; throws
// naming the node when the input is not an initializer.
float constant_scalar_input(const Graph& graph, const Node& node, size_t index, float fallback);

}  // namespace tinyopt::train::detail
