// Internals shared by the pruning passes (src/passes/prune/): element bookkeeping, tensor slicing along an
// axis and shape re-inference after a rewrite. Not part of the public API.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/passes/prune.h"

namespace tinyopt::prune::detail {

// removed[e] for every element id of the analysis. Throws kInternal when the selection does not fit the
// analysis or removes a channel of an unprunable group.
std::vector<char> removed_elements(const ChannelAnalysis& analysis, const ChannelSelection& selection);

// Positions of `elements` whose element is not removed.
std::vector<int64_t> kept_positions(const std::vector<int64_t>& elements, const std::vector<char>& removed);

// The f32 tensor restricted to `index` along `axis` (a gather of whole slices).
Tensor take_along(const Tensor& t, int axis, const std::vector<int64_t>& index);

// Recomputes every node output shape of `g` at batch 1 and restores an unknown (-1) leading dimension
// wherever `original` had one, so a rewritten graph verifies like the source did.
void reinfer_shapes(Graph& g, const Graph& original);

// Sum over batches of Taylor scores |sum over a channel's output of activation x gradient|, per node
// (BN or producing Conv/Gemm) and output channel: node name -> scores.
std::map<std::string, std::vector<double>> taylor_node_scores(const Graph& graph, const TaylorOptions& options);

}  // namespace tinyopt::prune::detail
