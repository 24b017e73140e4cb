// Test-only access to the two QDQ peers: Debian's onnx checker (python3-onnx via /usr/bin/python3) and
// onnxruntime-node (bench/node_modules, through bench/peers/onnxruntime_run.js). Each *_missing() says
// why a peer cannot run ("" when it can), for GTEST_SKIP messages.
#pragma once

#include <string>

#include "support/test_support.h"
#include "tinyopt/core/tensor.h"

namespace tinyopt::testing {

std::string onnx_checker_missing();
// "" when onnx.checker.check_model(onnx.load(path), full_check=True) passes, else its error text.
std::string onnx_checker_error(const std::string& path);

std::string onnxruntime_missing();
// The first output of `model` run by onnxruntime on `input` (float32, batch along dim 0), 1 thread.
Tensor run_onnxruntime(const std::string& model, const Tensor& input, const TempDir& scratch);

}  // namespace tinyopt::testing
