// Shape and dtype inference: fills Value::shape/dtype of every node output from its inputs and
// attributes, node by node in topological order. Errors name the node and op ("node 'c1' (Conv): ...").
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt {

// Infers the output shapes of all nodes. `batch` replaces a -1 (unknown) leading input dimension.
void infer_shapes(Graph& graph, int64_t batch = 1);

// Output shapes of one node from its input shapes (used by infer_shapes and by executors).
std::vector<Shape> infer_node_shapes(const Graph& graph, const Node& node);

}  // namespace tinyopt
