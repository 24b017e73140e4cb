// Helpers shared by the exec_* unit tests: seeded random data and a float comparison that reports the
// first mismatching index with both values (STYLE.md 9). Not a reference implementation of anything.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tinyopt/core/error.h"
#include "tinyopt/core/graph.h"
#include "tinyopt/exec/float_executor.h"

namespace tinyopt::testing {

inline std::vector<float> random_floats(std::mt19937& rng, int64_t count, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(count));
  for (float& x : v) x = dist(rng);
  return v;
}

inline int64_t random_int(std::mt19937& rng, int64_t lo, int64_t hi) {  // inclusive
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

// Asserts |got - want| <= atol + rtol*|want| element-wise; names the first bad index.
inline ::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want,
                                            float atol = 1e-4f, float rtol = 1e-4f) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (!both_nan && !(std::fabs(got[i] - want[i]) <= atol + rtol * std::fabs(want[i])))
      return ::testing::AssertionFailure() << "index " << i << ": got " << got[i] << ", reference " << want[i];
  }
  return ::testing::AssertionSuccess();
}

inline Tensor random_tensor(std::mt19937& rng, const Shape& shape, float lo = -1.0f, float hi = 1.0f) {
  const auto v = random_floats(rng, shape_numel(shape), lo, hi);
  return Tensor::from_f32(shape, v);
}

inline std::vector<float> values_of(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.numel()}; }

// Builds small graphs for executor tests: graph inputs, initializers, nodes, outputs.
class GraphBuilder {
 public:
  GraphBuilder& input(const std::string& name, Shape shape, DType dtype = DType::kF32) {
    Value v;
    v.name = name;
    v.shape = std::move(shape);
    v.dtype = dtype;
    g_.set_value(std::move(v));
    g_.inputs.push_back(name);
    return *this;
  }
  GraphBuilder& init(const std::string& name, const Tensor& data) {
    g_.add_initializer(name, data);
    return *this;
  }
  GraphBuilder& node(OpType op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                     std::map<std::string, Attribute> attrs = {}) {
    Node n;
    n.name = "n" + std::to_string(g_.nodes.size());
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    n.attrs = std::move(attrs);
    for (const auto& o : n.outputs)
      if (!o.empty()) {
        Value v;
        v.name = o;
        g_.set_value(std::move(v));
      }
    g_.nodes.push_back(std::move(n));
    return *this;
  }
  GraphBuilder& output(const std::string& name) {
    g_.outputs.push_back(name);
    return *this;
  }
  const Graph& graph() const { return g_; }

 private:
  Graph g_;
};

// Runs a one-node graph whose inputs are all graph inputs (shapes taken from the tensors) and returns its
// outputs; `outputs` names how many outputs the node has.
inline std::vector<Tensor> run_single(OpType op, const std::vector<Tensor>& inputs,
                                      std::map<std::string, Attribute> attrs = {}, int outputs = 1,
                                      int threads = 1) {
  GraphBuilder b;
  std::vector<std::string> in_names, out_names;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) {
      in_names.emplace_back();
      continue;
    }
    in_names.push_back("in" + std::to_string(i));
    b.input(in_names.back(), inputs[i].shape(), inputs[i].dtype());
  }
  for (int i = 0; i < outputs; ++i) out_names.push_back("out" + std::to_string(i));
  b.node(op, in_names, out_names, std::move(attrs));
  for (const auto& o : out_names) b.output(o);
  std::vector<Tensor> feed;
  for (const auto& t : inputs)
    if (!t.empty()) feed.push_back(t);
  FloatExecutor exec(b.graph(), ExecOptions{.threads = threads});
  return exec.run(feed);
}

}  // namespace tinyopt::testing
