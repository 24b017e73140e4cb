// QDQ peers for tests (see qdq_peers.h).
#include "qdq_peers.h"

#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tinyopt::testing {

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }
std::string bench_dir() { return source_dir() + "/bench"; }

}  // namespace

std::string onnx_checker_missing() {
  return python_has("onnx") ? "" : "/usr/bin/python3 cannot import onnx (python3-onnx)";
}

std::string onnx_checker_error(const std::string& path) {
  const CommandResult r = run_command(
      "/usr/bin/python3 -c 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
      "full_check=True)' " + quoted(path));
  return r.exit_code == 0 ? "" : r.out + r.err;
}

std::string onnxruntime_missing() {
  static const std::string reason = [] {
    if (run_command("command -v node").exit_code != 0) return std::string("node is not installed");
    const CommandResult r = run_command("cd " + quoted(bench_dir()) + " && node -e \"require('onnxruntime-node')\"");
    if (r.exit_code != 0) {
      return std::string("onnxruntime-node is not installed in bench/node_modules (scripts/install-deps.sh --peers)");
    }
    return std::string();
  }();
  return reason;
}

Tensor run_onnxruntime(const std::string& model, const Tensor& input, const TempDir& scratch) {
  const std::string in = scratch.file("ort_input.f32"), out = scratch.file("ort_output.f32");
  write_file(in, std::string(reinterpret_cast<const char*>(input.bytes()), input.nbytes()));
  std::string dims;
  for (int64_t d : input.shape()) dims += (dims.empty() ? "" : ",") + std::to_string(d);
  const CommandResult r = run_command("node " + quoted(bench_dir() + "/peers/onnxruntime_run.js") + " " + quoted(model) +
                                      " " + quoted(in) + " " + dims + " " + quoted(out));
  if (r.exit_code != 0) {
    ADD_FAILURE() << "onnxruntime failed on " << model << ": " << r.err;
    return {};
  }
  const auto shape = nlohmann::json::parse(r.out).get<Shape>();
  Tensor y(DType::kF32, shape);
  const std::string bytes = read_file(out);
  if (bytes.size() != y.nbytes()) {
    ADD_FAILURE() << "onnxruntime wrote " << bytes.size() << " bytes for " << shape_str(shape);
    return {};
  }
  std::memcpy(y.bytes(), bytes.data(), bytes.size());
  return y;
}

}  // namespace tinyopt::testing
