// Top-1 accuracy and throughput of a classifier over a labelled dataset, run in batches through the
// integer executor for quantized (QDQ) graphs and the float executor otherwise. The dataset's sample shape must match the model input (the error names both).
#pragma once

#include <cstdint>
#include <string>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"

namespace tinyopt {

struct EvalResult {
  double accuracy = 0;  // 0..1
  int64_t samples = 0;
  double images_per_s = 0;
  std::string executor = "float";  // "integer" for quantized graphs
};

EvalResult evaluate_classifier(const Graph& graph, const Dataset& data, int64_t batch = 256, int threads = 0);

// Throws Error(kBadInput) when a sample of `data` does not fit the model's first input.
void check_dataset_fits_model(const Graph& graph, const Dataset& data);

}  // namespace tinyopt
