// Helpers for the pruning tests: built-in models with random (non-identity) BN statistics and biases, so
// that masking has to get BN beta right, random inputs, and a max relative difference of two tensors.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "passes_test_util.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::prune::testing {

// The architecture with every BN parameter and conv/FC bias drawn at random (gamma, var > 0).
inline Graph randomized_arch(const std::string& name, float width = 1.0f, uint64_t seed = 1) {
  Graph g = build_architecture(name, ArchOptions{width, 0, seed});
  std::mt19937 rng(static_cast<uint32_t>(seed) + 7);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (const Node& n : g.nodes) {
    auto fill = [&](const std::string& in, float lo) {
      if (in.empty() || !g.value(in).data) return;
      Tensor t = g.value(in).data->clone();
      for (float& v : t.span<float>()) v = lo > 0 ? lo + std::abs(u(rng)) : u(rng);
      g.value(in).data = t;
    };
    if (n.op == OpType::kBatchNormalization) {
      fill(n.inputs[1], 0.5f);
      fill(n.inputs[2], 0.0f);
      fill(n.inputs[3], 0.0f);
      fill(n.inputs[4], 0.5f);
    } else if ((n.op == OpType::kConv || n.op == OpType::kGemm) && n.inputs.size() > 2) {
      fill(n.inputs[2], 0.0f);
    }
  }
  return g;
}

// `batch` uniform [0, 1) samples shaped like the model's first input.
inline Tensor random_input(const Graph& g, int64_t batch, uint64_t seed = 3) {
  const Shape& s = g.value(g.inputs[0]).shape;
  return ::tinyopt::testing::random_images(batch, Shape(s.begin() + 1, s.end()), seed);
}

// max |a - b| / max(1, |a|), or +inf when the shapes differ.
inline double max_relative_difference(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    worst = std::max(worst, std::abs(x - y) / std::max(1.0, std::abs(x)));
  }
  return worst;
}

}  // namespace tinyopt::prune::testing
