// Graph verifier: checks the IR invariants and names the broken rule and the node. Run after every
// pass in tests and debug builds (STYLE.md 6). Throws Error(kBadInput) on the first violation.
//
// Rules: every node input is produced earlier, is a graph input or an initializer (no dangling values,
// no cycles: order is topological); every value has one producer; graph outputs exist; initializer data
// matches its declared shape and dtype; input arity fits the op; node outputs have inferred shapes that
// agree with shape inference.
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt {

void verify_graph(const Graph& graph);

}  // namespace tinyopt
