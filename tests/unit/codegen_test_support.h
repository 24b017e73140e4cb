// Shared support of the codegen tests: quantized models to generate code for (the shipped teacher via the
// product's PTQ, the MLPerf Tiny shapes with random weights), a C driver that feeds samples from a binary
// file through the generated model and writes every output byte, compiling a generated project with a
// given compiler, and the targets the tests construct (load_target may be absent in a build).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tinyopt/codegen/codegen.h"
#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"

namespace tinyopt::testing {

// True when `tool` is on PATH.
bool have_tool(const std::string& tool);

// The shipped teacher (models/fmnist-cnn.onnx) quantized by the product's PTQ (min/max, no bias correction,
// 64 calibration images), int8 weights or int4 (W4A8); cached per process. nullopt when the model or
// Fashion-MNIST is absent.
std::optional<Graph> quantized_teacher(int weight_bits);
// Fashion-MNIST test images [offset, offset + count); nullopt when the dataset is absent.
std::optional<Dataset> fmnist_test(int64_t count, int64_t offset);

// A built-in architecture with random weights (seed 1), quantized with 16 random calibration inputs; cached.
Graph quantized_architecture(const std::string& name, float width = 1.0f);
// `count` uniform [0, 1) inputs for the graph's first input.
Tensor random_inputs(const Graph& g, int64_t count, uint32_t seed);

// A cortex-m4-like / rpi4-like target built by hand (features and the toolchain of data/targets/).
Target cortex_m4_target();
Target aarch64_target();

struct DriverRun {
  std::string error;           // "" when the driver compiled and ran
  std::vector<int8_t> int8;    // N * TINYOPT_MODEL_OUTPUT_SIZE output bytes (tinyopt_model_invoke)
  std::vector<float> f32;      // N * TINYOPT_MODEL_OUTPUT_SIZE floats (tinyopt_model_invoke_f32)
};

// Compiles the project's sources + a driver with host `cc -std=c99 -Wall -Wextra -Werror`, runs it on the
// N samples of x (float, the model's input shape with batch N) and returns the outputs.
DriverRun run_generated_model(const CodegenResult& project, const Tensor& x);

// Compiles every source of the project (and, when with_example, the example) with `cc flags -c -Werror`
// into a scratch folder; returns "" or the command and its errors.
std::string compile_project(const CodegenResult& project, const std::string& cc, const std::string& flags,
                            bool with_example = true);

}  // namespace tinyopt::testing
