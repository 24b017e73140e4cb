// The graph IR (DESIGN.md section 3): SSA-like Values referenced by unique name, and Nodes in
// topological order. Initializers are Values that carry data. Passes are functions Graph -> Graph;
// verify_graph() (verifier.h) checks the invariants after each pass in tests and debug builds.
//
// Deliberately simple: names are the references (as in ONNX), so passes that rewrite nodes need no
// pointer fix-ups; Graph::value() looks names up in a map.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tinyopt/core/op_type.h"
#include "tinyopt/core/tensor.h"

namespace tinyopt {

// Quantization parameters of a value: real = scale * (q - zero_point). Per-tensor when scale has one
// entry, per-channel along `axis` otherwise (docs/numerics.md).
struct QuantParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = 0;
  DType storage = DType::kI8;
};

struct Value {
  std::string name;
  Shape shape;             // may hold -1 for an unknown (batch) dimension on graph inputs
  DType dtype = DType::kF32;
  std::optional<QuantParams> quant;
  std::optional<Tensor> data;  // set for initializers (weights, constants)

  bool is_initializer() const { return data.has_value(); }
};

using Attribute =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>, Tensor>;

struct Node {
  std::string name;
  OpType op = OpType::kIdentity;
  std::vector<std::string> inputs;   // "" marks an omitted optional input, as in ONNX
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attrs;

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback = {}) const;
  // "node 'conv1' (Conv)" for error messages.
  std::string describe() const;
};

class Graph {
 public:
  std::string name = "tinyopt";
  int64_t opset = 13;
  std::vector<std::string> inputs;   // graph inputs, excluding initializers
  std::vector<std::string> outputs;
  std::vector<Node> nodes;           // topological order
  std::map<std::string, std::string> metadata;  // ONNX metadata_props (preprocessing, provenance)

  bool has_value(const std::string& name) const { return values_.count(name) != 0; }
  Value& value(const std::string& name);              // throws kInternal when missing
  const Value& value(const std::string& name) const;
  // Adds or replaces the value with v.name.
  Value& set_value(Value v);
  Value& add_initializer(const std::string& name, Tensor data);
  void erase_value(const std::string& name) { values_.erase(name); }
  const std::map<std::string, Value>& values() const { return values_; }

  // Index of the node producing `value_name`, or -1 for graph inputs / initializers.
  int producer(const std::string& value_name) const;
  // Indices of nodes reading `value_name`.
  std::vector<int> consumers(const std::string& value_name) const;
  // A name not yet used by any value or node, built from `base`.
  std::string unique_name(const std::string& base) const;

 private:
  std::map<std::string, Value> values_;
};

}  // namespace tinyopt
