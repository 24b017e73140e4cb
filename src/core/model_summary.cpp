// Model summary for inspect: the per-node costs of op_cost.h, gathered at batch 1.
#include "tinyopt/core/model_summary.h"

#include <set>

#include "tinyopt/core/op_cost.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt {

ModelSummary summarize_model(const Graph& graph) {
  Graph g = graph;
  infer_shapes(g, 1);
  ModelSummary s;
  std::set<std::string> counted;  // an initializer shared by two nodes is stored once
  for (const Node& n : g.nodes) {
    const NodeCost c = node_cost(g, n);
    LayerSummary l;
    l.name = n.name;
    l.op = std::string(op_name(n.op));
    l.output_shape = g.value(n.outputs.at(0)).shape;
    l.params = c.params;
    l.macs = c.macs;
    l.weight_bytes = c.weight_bytes;
    l.weight_bits = c.weight_bits;
    s.macs += c.macs;
    for (const auto& in : c.weight_inputs) {
      if (!counted.insert(in).second) continue;
      const Value& v = g.value(in);
      const auto bytes = static_cast<int64_t>(dtype_storage_bytes(v.dtype, shape_numel(v.shape)));
      s.weight_bytes_by_dtype[std::string(dtype_name(v.dtype))] += bytes;
    }
    s.layers.push_back(std::move(l));
  }
  for (const auto& [dtype, bytes] : s.weight_bytes_by_dtype) s.weight_bytes += bytes;
  for (const auto& name : counted) s.params += shape_numel(g.value(name).shape);
  s.peak_activation_bytes = naive_peak_activation_bytes(g);
  for (const auto& in : g.inputs) s.inputs.emplace_back(in, graph.value(in).shape);
  for (const auto& out : g.outputs) s.outputs.emplace_back(out, g.value(out).shape);
  return s;
}

}  // namespace tinyopt
