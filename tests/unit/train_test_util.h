// Test helpers for the training engine: a small fluent graph builder with random initializers, and the
// finite-difference gradient check shared by the per-op tests.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/train/train_graph.h"

namespace tinyopt::testing {

class GraphBuilder {
 public:
  // The graph input is "x" with shape (-1, sample_shape...).
  explicit GraphBuilder(Shape sample_shape, uint64_t seed = 1) : rng_(seed) {
    Value v;
    v.name = "x";
    v.shape = {-1};
    v.shape.insert(v.shape.end(), sample_shape.begin(), sample_shape.end());
    g_.set_value(v);
    g_.inputs = {"x"};
    last_ = "x";
  }
  // A random initializer, uniform in [lo, hi].
  std::string init(Shape shape, float lo = -0.5f, float hi = 0.5f) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& f : v) f = u(rng_);
    return init_values(std::move(shape), v);
  }
  std::string init_values(Shape shape, const std::vector<float>& v) {
    const std::string name = "w" + std::to_string(counter_++);
    g_.add_initializer(name, Tensor::from_f32(std::move(shape), v));
    return name;
  }
  std::string init_i64(Shape shape, const std::vector<int64_t>& v) {
    const std::string name = "w" + std::to_string(counter_++);
    g_.add_initializer(name, Tensor::from_i64(std::move(shape), v));
    return name;
  }
  // Adds a node; inputs default to the previous output. Returns the output name.
  std::string node(OpType op, std::vector<std::string> inputs, std::map<std::string, Attribute> attrs = {}) {
    Node n;
    n.name = "n" + std::to_string(counter_++);
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {n.name + "_out"};
    n.attrs = std::move(attrs);
    g_.nodes.push_back(n);
    last_ = n.outputs[0];
    return last_;
  }
  const std::string& last() const { return last_; }
  Graph finish() {
    g_.outputs = {last_};
    return g_;
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  Graph g_;
  std::mt19937_64 rng_;
  int counter_ = 0;
  std::string last_;
};

std::vector<float> random_vector(size_t n, float lo, float hi, uint64_t seed);
// Random values in [-hi, -gap] U [gap, hi], away from a kink at 0.
std::vector<float> random_away_from_zero(size_t n, float gap, float hi, uint64_t seed);

struct GradCheckOptions {
  int64_t batch = 2;
  float eps = 1e-2f;
  float atol = 4e-3f;
  float rtol = 1e-2f;
  int max_checks_per_tensor = 48;
  train::Mode mode = train::Mode::kTrain;
  uint64_t seed = 7;  // Dropout seed, fixed across the perturbed passes
};

// Compares backward() with central differences of L = sum(r * y) (r random, fixed) for the input and
// every parameter, on `input` (batch * sample floats).
void expect_gradients_match(const Graph& graph, std::vector<float> input, const GradCheckOptions& opt = {});

}  // namespace tinyopt::testing
