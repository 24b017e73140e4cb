// Architecture redesign transforms (DESIGN.md section 1, stage 0): Graph -> Graph rewrites that change a
// network's shape rather than its weights' precision or its channel count by importance (that is
// pruning, prune.h). Each returns a graph that passes verify_graph() and starts from the original's
// weights as far as they carry over, so a short distillation from the original recovers the accuracy
// (the `redesign` verb runs that fine-tune; these functions never train, print or touch files).
//
//   1. scale_width()               width multiplier over a built-in architecture: rebuild it with the
//                                  architecture builder at the new width and copy the leading slice of
//                                  every weight (narrower) or the whole weight into the leading slice
//                                  (wider; the rest keeps the builder's fresh initialization);
//   2. to_depthwise_separable()    a standard k x k Conv -> a depthwise k x k Conv and a pointwise 1x1 Conv
//                                  whose product is the best rank-1-per-input-channel approximation of the
//                                  original kernel (SVD of each input channel's [C_out, k*k] slice);
//   3. scale_resolution()          a new input height and width; pooling that covered the whole feature
//                                  map and channel-shuffle reshapes follow.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt::redesign {

// The graph rebuilt as its built-in architecture (graph metadata "tinyopt.arch", "tinyopt.arch.seed", as
// written by build_architecture and kept through ONNX) at `width` (absolute, relative to the architecture's
// default widths; the original's own width is ignored) with the original's class count. Every initializer
// of the new graph that the original has under the same name and rank receives the overlapping leading
// block of the original's data, so at a smaller width channel i keeps the original's channel i and the
// network computes the original restricted to its first channels. Throws Error(kBadInput) when the graph
// has no "tinyopt.arch" metadata (not a built-in architecture: use `prune --ratio` instead), and
// Error(kUsage) for a width outside (0, 4].
Graph scale_width(const Graph& graph, float width);

// Standard convolutions eligible for to_depthwise_separable(): Conv with group 1, a kernel larger than
// 1x1, constant weights, and more than one input channel (a single-channel conv is already depthwise).
std::vector<std::string> separable_candidates(const Graph& graph);

// What to_depthwise_separable() did to one conv.
struct SeparableLayer {
  std::string conv;               // the replaced node
  std::string depthwise, pointwise;  // the new nodes
  double weight_residual = 0;     // ||W - W_ds||_F / ||W||_F of the rank-1 factorization
};
struct SeparableResult {
  Graph graph;
  std::vector<SeparableLayer> layers;
};

// Replaces each named Conv (empty `layers`: every separable_candidates() conv) by
//   "<name>_dw"  Conv group C_in, weight [C_in, 1, kh, kw], the original's strides, pads and dilations
//   "<name>"     Conv 1x1, weight [C_out, C_in, 1, 1], the original's bias; it keeps the original node's
//                name and output value, so consumers, BN and graph outputs are untouched
// with nothing in between (the pair is a linear factorization of the original conv). Initialization: for
// each input channel i the [C_out, kh*kw] slice W[:, i] is replaced by its best rank-1 approximation
// s * u * v^T (Eckart-Young, top singular triple by power iteration): dw filter i = v, pointwise column i
// = s * u. So the result computes exactly the original when every W[:, i] has rank 1, and in general its
// output error is the kernel's rank-1 residual. Throws Error(kBadInput) naming the node for a name that is
// not a separable_candidates() conv.
SeparableResult to_depthwise_separable(const Graph& graph, const std::vector<std::string>& layers = {});

// The graph with input height and width `height` x `width` (NCHW image models: the first graph input has
// rank 4). Shapes are re-inferred; an AveragePool whose kernel and stride covered the whole feature map
// still does, and channel-shuffle Reshape targets take the new height and width. Throws Error(kBadInput)
// naming the node when the change cannot carry through (a Gemm / MatMul whose input features would
// change: the classifier must read a globally pooled map; a fixed Reshape target), and Error(kUsage) for
// a size below 1 or one that shrinks a feature map to nothing.
Graph scale_resolution(const Graph& graph, int64_t height, int64_t width);

}  // namespace tinyopt::redesign
