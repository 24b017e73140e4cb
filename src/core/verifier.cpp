// Graph verifier. Checks, in order: graph inputs/outputs exist; initializers hold data matching their
// declared shape and dtype; every node has an arity its op allows; every node input is defined before
// use (a use before definition is a cycle or an ordering error, a use of an undefined name is
// dangling); every value has a single producer; and recorded output shapes/dtypes agree with shape
// inference wherever all shapes are statically known.
#include "tinyopt/core/verifier.h"

#include <array>
#include <set>

#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt {
namespace {

struct Arity {
  int min_in, max_in, min_out, max_out;
};
constexpr std::array<Arity, kOpTypeCount> kArity = {{
    {2, 3, 1, 1},  // Conv
    {2, 3, 1, 1},  // ConvTranspose
    {2, 3, 1, 1},  // Gemm
    {2, 2, 1, 1},  // MatMul
    {2, 2, 1, 1},  // Add
    {2, 2, 1, 1},  // Sub
    {2, 2, 1, 1},  // Mul
    {2, 2, 1, 1},  // Div
    {1, 1, 1, 1},  // Relu
    {1, 3, 1, 1},  // Clip
    {1, 1, 1, 1},  // LeakyRelu
    {1, 1, 1, 1},  // Sigmoid
    {1, 1, 1, 1},  // HardSigmoid
    {1, 1, 1, 1},  // HardSwish
    {1, 1, 1, 1},  // Tanh
    {1, 1, 1, 1},  // Softmax
    {1, 1, 1, 2},  // MaxPool
    {1, 1, 1, 1},  // AveragePool
    {1, 1, 1, 1},  // GlobalAveragePool
    {1, 2, 1, 1},  // ReduceMean
    {5, 5, 1, 3},  // BatchNormalization
    {1, 1, 1, 1},  // Flatten
    {2, 2, 1, 1},  // Reshape
    {1, 2, 1, 1},  // Squeeze
    {2, 2, 1, 1},  // Unsqueeze
    {1, 1, 1, 1},  // Transpose
    {1, 1 << 20, 1, 1},  // Concat
    {2, 4, 1, 1},  // Pad
    {1, 1, 1, 1},  // Identity
    {1, 3, 1, 2},  // Dropout
    {2, 3, 1, 1},  // QuantizeLinear
    {2, 3, 1, 1},  // DequantizeLinear
}};
static_assert(kArity.size() == kOpTypeCount, "every op needs an arity");

[[noreturn]] void fail(const std::string& rule, const std::string& msg) {
  throw_bad_input("graph verifier [" + rule + "]: " + msg);
}

bool fully_known(const Shape& s) {
  for (int64_t d : s)
    if (d < 0) return false;
  return true;
}

void check_values(const Graph& g) {
  for (const auto& name : g.inputs) {
    if (!g.has_value(name)) fail("inputs", "graph input '" + name + "' has no value");
    if (g.value(name).is_initializer()) fail("inputs", "graph input '" + name + "' is also an initializer");
  }
  for (const auto& [name, v] : g.values()) {
    if (!v.data) continue;
    if (v.data->shape() != v.shape || v.data->dtype() != v.dtype)
      fail("initializer", "initializer '" + name + "' holds " + std::string(dtype_name(v.data->dtype())) +
                              shape_str(v.data->shape()) + " but is declared " + std::string(dtype_name(v.dtype)) +
                              shape_str(v.shape));
  }
}

void check_nodes(const Graph& g) {
  std::set<std::string> defined(g.inputs.begin(), g.inputs.end());
  for (const auto& [name, v] : g.values())
    if (v.data) defined.insert(name);
  std::set<std::string> produced_later;
  for (const auto& n : g.nodes)
    for (const auto& o : n.outputs) produced_later.insert(o);
  std::set<std::string> node_names;
  for (const auto& n : g.nodes) {
    const Arity a = kArity[static_cast<size_t>(n.op)];
    const int nin = static_cast<int>(n.inputs.size()), nout = static_cast<int>(n.outputs.size());
    if (nin < a.min_in || nin > a.max_in || nout < a.min_out || nout > a.max_out)
      fail("arity", n.describe() + " has " + std::to_string(nin) + " inputs and " + std::to_string(nout) + " outputs");
    if (!node_names.insert(n.name).second) fail("names", "two nodes are named '" + n.name + "'");
    for (const auto& in : n.inputs) {
      if (in.empty() || defined.count(in)) continue;
      if (produced_later.count(in))
        fail("order", n.describe() + " reads '" + in + "' before it is produced (cycle or nodes out of order)");
      fail("dangling", n.describe() + " reads '" + in + "', which no node, input or initializer defines");
    }
    for (const auto& out : n.outputs) {
      if (out.empty()) continue;
      if (defined.count(out)) fail("ssa", n.describe() + " redefines '" + out + "'");
      if (!g.has_value(out)) fail("values", n.describe() + " output '" + out + "' has no value entry");
      defined.insert(out);
    }
  }
  for (const auto& out : g.outputs)
    if (!defined.count(out)) fail("outputs", "graph output '" + out + "' is not produced");
}

// Re-runs shape inference on a copy and compares with the recorded shapes where both are known.
void check_shapes(const Graph& g) {
  Graph copy = g;
  for (const auto& name : copy.inputs) {
    Value& v = copy.value(name);
    if (!v.shape.empty() && v.shape[0] < 0) v.shape[0] = 1;
    if (!fully_known(v.shape)) return;  // nothing static to check against
  }
  std::set<std::string> unknown;
  for (const Node& n : copy.nodes) {
    bool skip = false;
    for (const auto& in : n.inputs)
      skip = skip || (!in.empty() && (unknown.count(in) || !fully_known(copy.value(in).shape)));
    std::vector<Shape> shapes;
    if (!skip) {
      try {
        shapes = infer_node_shapes(copy, n);
      } catch (const Error& e) {
        // Value-dependent shapes (Reshape fed by a graph input) cannot be checked statically.
        if (std::string(e.what()).find("must be a constant") == std::string::npos)
          fail("shape", e.what());
        skip = true;
      }
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i].empty()) continue;
      if (skip || i >= shapes.size()) {
        unknown.insert(n.outputs[i]);
        continue;
      }
      const Shape& recorded = g.value(n.outputs[i]).shape;
      const bool batch_free = !recorded.empty() && recorded[0] < 0 && !shapes[i].empty();
      Shape expect = shapes[i];
      if (batch_free) expect[0] = recorded[0];
      if (!recorded.empty() && recorded != expect)
        fail("shape", n.describe() + " output '" + n.outputs[i] + "' is recorded as " + shape_str(recorded) +
                          " but its inputs give " + shape_str(shapes[i]));
      copy.value(n.outputs[i]).shape = shapes[i];
    }
  }
}

}  // namespace

void verify_graph(const Graph& graph) {
  if (graph.outputs.empty()) fail("outputs", "graph has no outputs");
  check_values(graph);
  check_nodes(graph);
  check_shapes(graph);
}

}  // namespace tinyopt
