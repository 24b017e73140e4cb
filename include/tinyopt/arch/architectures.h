// The built-in architectures (DESIGN.md section 1, stage 0): untrained IR graphs with seeded
// initialization, for `tinyopt new`, `tinyopt train --arch` and the redesign stage. Each graph is NCHW,
// reads the graph input "input" ([-1, C, H, W], batch -1; [-1, 640] for fc-ae) and writes "logits"
// ("output" for fc-ae). Only ops from op_type.h, with ONNX opset-18 semantics.
//
// This is not a model zoo of trained weights: weights are Kaiming-normal draws from a seeded generator,
// BatchNormalization starts as the identity, biases are zero. The same name, options and seed give
// byte-identical initializers on every run. docs/architectures.md lists the built-ins with their
// parameter and MAC counts and where each definition comes from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt {

struct ArchOptions {
  // Channel multiplier in (0, 4]. For `mobilenetv1` it is MobileNet's alpha (channels rounded with
  // make_divisible to a multiple of 8; 0.25 is the MLPerf Tiny VWW model); `shufflenet` rounds its stem
  // to a multiple of 4 and its units to multiples of 16 (groups 4, bottleneck out/4); elsewhere
  // channels are round(c * width), at least 1. Input and output sizes never scale.
  float width = 1.0f;
  // 0 = the architecture's default (at most 100000); must stay 0 for fc-ae (its output is its input).
  int num_classes = 0;
  uint64_t seed = 0;    // seeds the weight initialization
};

// Builds the named architecture. Throws Error(kUsage) for an unknown name (the message lists the known
// names) or invalid options.
Graph build_architecture(const std::string& name, const ArchOptions& opts = {});

// Names of all built-in architectures, in a stable order.
std::vector<std::string> architecture_names();

// One line describing `name` (input, layers, source) for `tinyopt new --help` and the README.
// Throws Error(kUsage) for an unknown name.
std::string architecture_description(const std::string& name);

}  // namespace tinyopt
