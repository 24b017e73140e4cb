// Input-resolution scaling (redesign.h, scale_resolution): a new input height and width, carried through
// the graph node by node. Weights never change (convolutions do not depend on the map size); what does is
// every attribute or constant that spelled out a spatial size: a whole-map AveragePool's kernel and stride
// and the H, W entries of channel-shuffle Reshape targets. A classifier that reads a flattened,
// un-pooled map cannot follow (its weight has one column per pixel) and is reported, not resampled.
#include <fmt/format.h>

#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/passes/redesign.h"

namespace tinyopt::redesign {
namespace {

bool whole_map_pool(const Node& n, const Shape& in) {
  if (n.op != OpType::kAveragePool || in.size() != 4) return false;
  const std::vector<int64_t> k = n.attr_ints("kernel_shape"), s = n.attr_ints("strides", {1, 1});
  const std::vector<int64_t> pads = n.attr_ints("pads", {0, 0, 0, 0});
  for (int64_t p : pads)
    if (p != 0) return false;
  return k == std::vector<int64_t>{in[2], in[3]} && s == k;
}

// A Reshape target whose trailing two entries are the spatial size of its input (the channel shuffle's
// [N, g, C/g, H, W] and [N, C, H, W]): those entries follow the new size.
void follow_spatial_reshape(Graph& g, Node& n, const Shape& old_in, const Shape& new_in) {
  if (n.inputs.size() < 2 || old_in.size() < 4) return;
  const Value& target = g.value(n.inputs[1]);
  if (!target.data || target.data->dtype() != DType::kI64) return;
  std::vector<int64_t> t(target.data->span<int64_t>().begin(), target.data->span<int64_t>().end());
  const size_t r = old_in.size();
  if (t.size() < 3 || t[t.size() - 2] != old_in[r - 2] || t.back() != old_in[r - 1]) return;
  t[t.size() - 2] = new_in[r - 2];
  t.back() = new_in[r - 1];
  const std::string name = g.unique_name(n.inputs[1]);
  g.add_initializer(name, Tensor::from_i64({static_cast<int64_t>(t.size())}, t));
  n.inputs[1] = name;
}

}  // namespace

Graph scale_resolution(const Graph& graph, int64_t height, int64_t width) {
  if (height < 1 || width < 1) throw_usage(fmt::format("--resolution must be at least 1, got {}x{}", height, width));
  if (graph.inputs.empty() || graph.value(graph.inputs[0]).shape.size() != 4)
    throw_bad_input("resolution scaling needs an image model: the first graph input must be [N, C, H, W]");
  Graph g = graph;
  Shape& in = g.value(g.inputs[0]).shape;
  in[2] = height;
  in[3] = width;
  // Infer at batch 1 (like infer_shapes), then restore the unknown batch dimension on what had it.
  std::vector<std::string> unknown_batch;
  for (const auto& [name, v] : graph.values())
    if (!v.data && !v.shape.empty() && v.shape[0] < 0) unknown_batch.push_back(name);
  for (const std::string& name : unknown_batch)
    if (g.value(name).shape[0] < 0) g.value(name).shape[0] = 1;

  for (Node& n : g.nodes) {
    if (n.inputs.empty() || n.inputs[0].empty()) continue;
    Shape old_in = graph.value(n.inputs[0]).shape;
    if (!old_in.empty() && old_in[0] < 0) old_in[0] = 1;
    const Shape& new_in = g.value(n.inputs[0]).shape;
    if (whole_map_pool(n, old_in)) {
      n.attrs["kernel_shape"] = std::vector<int64_t>{new_in[2], new_in[3]};
      n.attrs["strides"] = std::vector<int64_t>{new_in[2], new_in[3]};
    } else if (n.op == OpType::kReshape) {
      follow_spatial_reshape(g, n, old_in, new_in);
    } else if ((n.op == OpType::kGemm || n.op == OpType::kMatMul) && new_in != old_in) {
      throw_bad_input(fmt::format("resolution scaling: {} reads {} features at the new size instead of {}; its "
                                  "weights have one column per input feature, so the model needs a global "
                                  "pooling before its classifier",
                                  n.describe(), shape_str(new_in), shape_str(old_in)));
    }
    std::vector<Shape> shapes;
    try {
      shapes = infer_node_shapes(g, n);
    } catch (const Error& e) {
      throw Error(ErrorKind::kBadInput,
                  fmt::format("resolution scaling to {}x{}: {}: {}", height, width, n.describe(), e.what()));
    }
    for (size_t i = 0; i < n.outputs.size() && i < shapes.size(); ++i) {
      if (n.outputs[i].empty()) continue;
      for (size_t d = 2; d < shapes[i].size() && shapes[i].size() == 4; ++d)
        if (shapes[i][d] < 1)
          throw_usage(fmt::format("resolution {}x{} is too small: {} would output {}", height, width, n.describe(),
                                  shape_str(shapes[i])));
      g.value(n.outputs[i]).shape = shapes[i];
    }
  }
  for (const std::string& name : unknown_batch) g.value(name).shape[0] = -1;
  return g;
}

}  // namespace tinyopt::redesign
