// Graph IR bookkeeping: value lookup, attribute access with ONNX defaults, producer/consumer queries.
#include "tinyopt/core/graph.h"

#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {
template <typename T>
const T* find_attr(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (!v) throw_bad_input(n.describe() + ": attribute '" + key + "' has the wrong type");
  return v;
}
}  // namespace

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const auto* v = find_attr<int64_t>(*this, key);
  return v ? *v : fallback;
}
float Node::attr_float(const std::string& key, float fallback) const {
  const auto* v = find_attr<float>(*this, key);
  return v ? *v : fallback;
}
std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const auto* v = find_attr<std::string>(*this, key);
  return v ? *v : fallback;
}
std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  const auto* v = find_attr<std::vector<int64_t>>(*this, key);
  return v ? *v : fallback;
}
std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  const auto* v = find_attr<std::vector<float>>(*this, key);
  return v ? *v : fallback;
}
std::string Node::describe() const { return "node '" + name + "' (" + std::string(op_name(op)) + ")"; }

Value& Graph::value(const std::string& name) {
  auto it = values_.find(name);
  if (it == values_.end()) throw_internal("graph has no value '" + name + "'");
  return it->second;
}
const Value& Graph::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw_internal("graph has no value '" + name + "'");
  return it->second;
}
Value& Graph::set_value(Value v) {
  std::string key = v.name;
  return values_[key] = std::move(v);
}
Value& Graph::add_initializer(const std::string& name, Tensor data) {
  Value v;
  v.name = name;
  v.shape = data.shape();
  v.dtype = data.dtype();
  v.data = std::move(data);
  return set_value(std::move(v));
}

int Graph::producer(const std::string& value_name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& o : nodes[i].outputs)
      if (o == value_name) return static_cast<int>(i);
  return -1;
}
std::vector<int> Graph::consumers(const std::string& value_name) const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : nodes[i].inputs)
      if (in == value_name) {
        out.push_back(static_cast<int>(i));
        break;
      }
  return out;
}
std::string Graph::unique_name(const std::string& base) const {
  auto used = [&](const std::string& n) {
    if (values_.count(n)) return true;
    for (const auto& node : nodes)
      if (node.name == n) return true;
    return false;
  };
  if (!used(base)) return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!used(n)) return n;
  }
}

}  // namespace tinyopt
