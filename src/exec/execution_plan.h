// The float executor's static plan, built once per graph: value slots, the runner of each node, fusion,
// buffer lifetimes, and whether a batch may be split into independent samples. Mutable per-run state
// (tensors, inferred shapes, runner caches, buffer pools) lives in float_executor.cpp, one copy per thread
// that runs the graph.
//
// Building the plan:
//   1. Give every value a slot; check each node's op has a runner and its inputs are defined earlier.
//   2. Fusion (used by run() only, only where bit-identical): a Conv absorbs an inference
//      BatchNormalization that is the sole reader of its output (folded per channel exactly as the
//      BatchNormalization kernel does), and a Conv or BatchNormalization absorbs a Relu, or a Clip with
//      constant bounds, that is the sole reader of its (possibly fused) output; an absorbed node just
//      forwards its input tensor.
//   3. Liveness (run() only): views (Reshape, Flatten, ..., an absorbed node) share their input's
//      storage, so each value maps to a storage root; a root the executor allocates returns to the buffer
//      pool after the last node reading any value that shares it, unless a graph output shares it.
//   4. Batch separability: the graph treats the samples of a batch independently when every op is
//      per-sample for how it is used (no training-mode statistics, no softmax / transpose / GEMM across
//      the batch axis, no MaxPool indices, ...) and shape inference at two batch sizes shows every value
//      derived from the inputs keeps the batch as its leading dim; run() may then split a batch over
//      threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "exec/op_context.h"
#include "exec/op_table.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::exec {

struct NodePlan {
  const OpKernel* kernel = nullptr;
  std::vector<int> in, out;  // slot indices, -1 for an omitted optional input or output
  FusedTail fused;           // what this node applies for the nodes it absorbed (run() only)
  bool fused_away = false;   // absorbed by an earlier node: forwards its input (run() only)
  std::vector<int> release;  // storage roots that return to the pool after this node (run() only)
};

struct ExecutionPlan {
  // Throws Error(kBadInput) naming the node and op when an op is unsupported or a value is undefined.
  explicit ExecutionPlan(const Graph& g);
  ExecutionPlan(const ExecutionPlan&) = delete;  // FusedTail points into `constants`
  ExecutionPlan& operator=(const ExecutionPlan&) = delete;

  Graph graph;
  std::vector<std::string> slot_names;
  std::map<std::string, int> slot_of;
  std::vector<Tensor> constants;     // initializer data by slot, empty for other slots
  std::vector<bool> is_initializer;  // by slot
  std::vector<NodePlan> nodes;       // in graph order
  std::vector<int> input_slots, output_slots;
  std::vector<bool> executor_owned;  // by slot: its storage root is allocated by the executor (run())
  bool batch_separable = false;

 private:
  int slot(const std::string& name);
  void plan_fusion();
  void plan_liveness();
  bool check_batch_separable() const;
};

}  // namespace tinyopt::exec
