#include "cli/model_file.h"

#include "tinyopt/core/error.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt::cli {

Graph load_model(const std::string& path) {
  Graph g = load_onnx(path);
  with_error_context(path, [&] { verify_graph(g); });
  return g;
}

}  // namespace tinyopt::cli
