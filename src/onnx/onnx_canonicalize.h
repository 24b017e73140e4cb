// Opset canonicalization of imported nodes: rewrites the forms of ONNX opsets 6..17 into their opset-18
// equivalents (the IR's semantics; the full list is in tinyopt/onnx/onnx_io.h). Internal to src/onnx/.
//
// Two steps, because some rewrites need shapes and shapes need the canonical graph:
//   1. canonicalize_node(), per node as it is imported: attributes that became inputs, dropped legacy
//      attributes, refusal of forms that have no opset-18 equivalent. Rewrites that need the input's
//      shape (auto_pad SAME with a stride > 1, legacy Softmax on a non-last axis) are recorded in
//      CanonicalizeContext::needs_shapes.
//   2. canonicalize_with_shapes(), once the whole graph is imported: infers shapes node by node and
//      finishes the recorded rewrites.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt::detail {

struct CanonicalizeContext {
  Graph& graph;
  int64_t opset;                          // the model's default-domain opset
  std::vector<std::string> needs_shapes;  // names of nodes waiting for step 2

  // Adds an initializer holding `t`, named after the node and its role ("clip1_min"); returns the name.
  std::string add_constant(const Node& node, const std::string& role, Tensor t);
};

// A Value / Node with only the name (and op) set; the rest default.
Value value_named(const std::string& name);
Node node_named(const std::string& name, OpType op);

// Step 1. Throws kBadInput (without the node context, which the caller adds).
void canonicalize_node(CanonicalizeContext& ctx, Node& node);

// auto_pad SAME_UPPER/SAME_LOWER of a Conv/MaxPool/AveragePool as explicit pads, when they do not depend
// on the input size (all strides 1) and the kernel size is known (kernel_shape, or a Conv weight
// initializer); nullopt otherwise.
std::optional<std::vector<int64_t>> same_pads_without_shapes(const Graph& graph, const Node& node);

// Step 2. Throws kBadInput naming the node when a rewrite cannot be done.
void canonicalize_with_shapes(CanonicalizeContext& ctx);

}  // namespace tinyopt::detail
