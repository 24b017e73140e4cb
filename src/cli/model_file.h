// Loading a model named on the command line: ONNX import plus the graph verifier, with the file name in
// every error.
#pragma once

#include <string>

#include "tinyopt/core/graph.h"

namespace tinyopt::cli {

Graph load_model(const std::string& path);

}  // namespace tinyopt::cli
