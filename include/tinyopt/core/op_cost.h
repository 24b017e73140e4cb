// Static cost of one node: parameters, multiply-accumulates and weight storage. MACs follow the MLPerf
// Tiny convention (conv, depthwise, FC/MatMul only; one MAC per weight use, biases and element-wise ops
// count 0), so totals compare with published model figures.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt {

struct NodeCost {
  int64_t params = 0;        // elements of the node's initializer inputs that are learned weights
  int64_t macs = 0;          // per inference at the graph's batch size
  int64_t weight_bytes = 0;  // storage of those initializers at their dtype (int4 packed)
  int weight_bits = 0;       // bit width of the main weight tensor, 0 when the node has none
  std::vector<std::string> weight_inputs;  // names of the initializers counted above
};

// Requires inferred shapes (infer_shapes) on the node's inputs and outputs.
NodeCost node_cost(const Graph& graph, const Node& node);

// Bytes of the largest set of simultaneously live activations when nodes run one after another in
// graph order (a value lives from its producer to its last consumer; graph outputs live to the end).
int64_t naive_peak_activation_bytes(const Graph& graph);

}  // namespace tinyopt
