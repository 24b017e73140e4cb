// Implementation of initializer_checks.h: one pass over the float initializers, each checked against
// what its readers allow (Clip bounds may be infinite; Q/DQ scales must be positive).
#include "onnx/initializer_checks.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "tinyopt/core/error.h"

namespace tinyopt::detail {
namespace {

// How the readers of an initializer constrain it.
struct Readers {
  const Node* first = nullptr;  // for the message
  size_t first_slot = 0;
  bool only_clip_bounds = true;  // every reader is Clip's min or max input
  const Node* qdq_scale_of = nullptr;  // a QuantizeLinear/DequantizeLinear reading it as its scale
};

// Readers of every initializer, from one pass over the nodes.
std::map<std::string, Readers> initializer_readers(const Graph& graph) {
  std::map<std::string, Readers> readers;
  for (const Node& n : graph.nodes) {
    for (size_t slot = 0; slot < n.inputs.size(); ++slot) {
      const std::string& name = n.inputs[slot];
      if (name.empty() || !graph.has_value(name) || !graph.value(name).is_initializer()) continue;
      Readers& r = readers[name];
      if (r.first == nullptr) r = Readers{.first = &n, .first_slot = slot};
      r.only_clip_bounds = r.only_clip_bounds && n.op == OpType::kClip && slot >= 1;
      const bool qdq = n.op == OpType::kQuantizeLinear || n.op == OpType::kDequantizeLinear;
      if (qdq && slot == 1 && r.qdq_scale_of == nullptr) r.qdq_scale_of = &n;
    }
  }
  return readers;
}

std::string read_by(const Readers& r) {
  return r.first == nullptr ? "" : fmt::format(" (input {} of {})", r.first_slot, r.first->describe());
}

}  // namespace

void check_initializer_values(const Graph& graph) {
  const std::map<std::string, Readers> all_readers = initializer_readers(graph);
  for (const auto& [name, value] : graph.values()) {
    if (!value.data || value.data->dtype() != DType::kF32) continue;
    const float* v = value.data->data<float>();
    const int64_t n = value.data->numel();
    int64_t bad = -1;
    for (int64_t i = 0; i < n && bad < 0; ++i)
      if (!std::isfinite(v[i])) bad = i;
    const auto it = all_readers.find(name);
    const Readers readers = it == all_readers.end() ? Readers{} : it->second;
    if (bad >= 0 && (std::isnan(v[bad]) || !readers.only_clip_bounds || readers.first == nullptr)) {
      throw_bad_input(fmt::format("initializer '{}'{} holds {} at index {}; tinyopt needs finite weights "
                                  "(was the model exported from a diverged training run?)",
                                  name, read_by(readers), v[bad], bad));
    }
    if (readers.qdq_scale_of != nullptr) {
      for (int64_t i = 0; i < n; ++i) {
        if (!(v[i] > 0.0f) || !std::isfinite(v[i])) {
          throw_bad_input(fmt::format("{}: scale '{}' holds {} at index {}; quantization scales must be "
                                      "finite and > 0",
                                      readers.qdq_scale_of->describe(), name, v[i], i));
        }
      }
    }
  }
}

}  // namespace tinyopt::detail
