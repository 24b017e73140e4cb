// What `tinyopt inspect` shows: per-layer op, output shape, params, MACs and weight bytes, the totals,
// weight bytes by dtype, and the peak activation memory of a naive sequential schedule. Computed from a
// graph with inferred shapes at batch 1 (costs are per inference).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt {

struct LayerSummary {
  std::string name;
  std::string op;
  Shape output_shape;
  int64_t params = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;
  int weight_bits = 0;
};

struct ModelSummary {
  std::vector<LayerSummary> layers;
  int64_t params = 0;
  int64_t macs = 0;
  int64_t weight_bytes = 0;
  std::map<std::string, int64_t> weight_bytes_by_dtype;  // "f32" -> bytes
  int64_t peak_activation_bytes = 0;
  std::vector<std::pair<std::string, Shape>> inputs, outputs;
};

// Copies the graph, infers shapes at batch 1 and sums the costs. Throws Error naming the node when
// shapes cannot be inferred.
ModelSummary summarize_model(const Graph& graph);

}  // namespace tinyopt
