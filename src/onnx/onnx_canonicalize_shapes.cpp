// Step 2 of opset canonicalization (see onnx_canonicalize.h): the rewrites that need input shapes.
//
// Algorithm:
//   1. Copy the graph into a scratch graph whose dynamic (-1) input dims are 1, so every shape is known.
//   2. Walk the nodes in order; infer each node's output shapes in the scratch graph (core shape
//      inference), after finishing the node's rewrite if it waits for one:
//        - auto_pad SAME_*: pads from the input's spatial size, kernel, strides and dilations;
//        - legacy Softmax: a plain Softmax when `axis` is the last dim, else Flatten -> Softmax ->
//          Reshape back to the input shape (-1 for the batch dim when the graph's batch is dynamic).
//   3. Stop after the last waiting node; replace the real graph's node list.
// A legacy Softmax keeps its output shape, so the scratch graph needs no rewrite for it; an auto_pad
// node gets its new pads in the scratch graph too, since its output shape depends on them.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "onnx/onnx_canonicalize.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::detail {

namespace {

struct PoolGeometry {
  std::vector<int64_t> kernel, strides, dilations;
};

// Kernel size from kernel_shape, or from the Conv weight's dims 2.. when that is known.
std::optional<PoolGeometry> pool_geometry(const Graph& graph, const Node& node) {
  PoolGeometry g;
  g.kernel = node.attr_ints("kernel_shape");
  if (g.kernel.empty() && node.op == OpType::kConv && node.inputs.size() > 1 &&
      graph.has_value(node.inputs[1])) {
    const Shape& w = graph.value(node.inputs[1]).shape;
    if (w.size() > 2) g.kernel.assign(w.begin() + 2, w.end());
  }
  if (g.kernel.empty()) return std::nullopt;
  const size_t n = g.kernel.size();
  g.strides = node.attr_ints("strides", std::vector<int64_t>(n, 1));
  g.dilations = node.attr_ints("dilations", std::vector<int64_t>(n, 1));
  if (g.strides.size() != n || g.dilations.size() != n) {
    throw_bad_input(fmt::format("strides/dilations have {}/{} entries, the kernel has {} dims",
                                g.strides.size(), g.dilations.size(), n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (g.kernel[i] < 1 || g.strides[i] < 1 || g.dilations[i] < 1) {
      throw_bad_input("kernel_shape, strides and dilations must be >= 1");
    }
  }
  return g;
}

// ONNX auto_pad SAME: output = ceil(in / stride); the total padding is split with the extra element at
// the end (SAME_UPPER) or at the beginning (SAME_LOWER). `in` is empty when all strides are 1, where
// the total is (kernel - 1) * dilation whatever the input size.
std::vector<int64_t> same_pads(const PoolGeometry& g, const std::vector<int64_t>& in, bool upper) {
  const size_t n = g.kernel.size();
  std::vector<int64_t> pads(2 * n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t effective_kernel = (g.kernel[i] - 1) * g.dilations[i] + 1;
    int64_t total = effective_kernel - 1;
    if (!in.empty()) {
      const int64_t out = (in[i] + g.strides[i] - 1) / g.strides[i];
      total = std::max<int64_t>(0, (out - 1) * g.strides[i] + effective_kernel - in[i]);
    }
    pads[i] = upper ? total / 2 : total - total / 2;
    pads[i + n] = total - pads[i];
  }
  return pads;
}

void set_same_pads(Node& node, const std::vector<int64_t>& pads) {
  node.attrs.erase("auto_pad");
  node.attrs["pads"] = pads;
}

void finish_auto_pad(const Graph& scratch, Node& node) {
  const auto geometry = pool_geometry(scratch, node);
  const Shape& x = scratch.value(node.inputs.at(0)).shape;
  if (!geometry || x.size() != geometry->kernel.size() + 2) {
    throw_bad_input(
        fmt::format("cannot turn auto_pad into pads: input shape {} does not match the "
                    "kernel",
                    shape_str(x)));
  }
  const bool upper = node.attr_string("auto_pad", "") == "SAME_UPPER";
  set_same_pads(node, same_pads(*geometry, Shape(x.begin() + 2, x.end()), upper));
}

// Appends the opset-18 form of the legacy Softmax `node` (input shape `x`) to `out`.
void finish_legacy_softmax(CanonicalizeContext& ctx, Node node, const Shape& x, bool dynamic_batch,
                           std::vector<Node>& out) {
  const auto rank = static_cast<int64_t>(x.size());
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis >= rank) {
    throw_bad_input(fmt::format("axis {} is out of range for an input of rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  if (axis == rank - 1) {  // coercing to 2-D at the last axis changes nothing
    out.push_back(std::move(node));
    return;
  }
  Graph& g = ctx.graph;
  const std::string result = node.outputs.at(0);
  Shape target = x;
  if (dynamic_batch && !target.empty()) target[0] = -1;

  Node flatten = node_named(g.unique_name(node.name + "_flatten"), OpType::kFlatten);
  flatten.inputs = {node.inputs.at(0)};
  flatten.outputs = {g.unique_name(result + "_2d")};
  flatten.attrs["axis"] = axis;
  g.set_value(value_named(flatten.outputs[0]));

  Node reshape = node_named(g.unique_name(node.name + "_reshape"), OpType::kReshape);
  reshape.inputs = {g.unique_name(result + "_softmax2d"),
                    ctx.add_constant(node, "shape", Tensor::from_i64({rank}, target))};
  reshape.outputs = {result};
  g.set_value(value_named(reshape.inputs[0]));

  node.inputs = {flatten.outputs[0]};
  node.outputs = {reshape.inputs[0]};
  node.attrs["axis"] = int64_t{-1};
  out.push_back(std::move(flatten));
  out.push_back(std::move(node));
  out.push_back(std::move(reshape));
}

}  // namespace

std::optional<std::vector<int64_t>> same_pads_without_shapes(const Graph& graph, const Node& node) {
  const auto geometry = pool_geometry(graph, node);
  if (!geometry) return std::nullopt;
  for (int64_t s : geometry->strides) {
    if (s != 1) return std::nullopt;
  }
  return same_pads(*geometry, {}, node.attr_string("auto_pad", "") == "SAME_UPPER");
}

void canonicalize_with_shapes(CanonicalizeContext& ctx) {
  if (ctx.needs_shapes.empty()) return;
  const std::set<std::string> waiting(ctx.needs_shapes.begin(), ctx.needs_shapes.end());
  Graph scratch = ctx.graph;
  bool dynamic_batch = false;
  for (const auto& name : scratch.inputs) {
    for (int64_t& d : scratch.value(name).shape) {
      if (d < 0) {
        dynamic_batch = true;
        d = 1;
      }
    }
  }
  std::vector<Node> nodes;
  size_t remaining = waiting.size();
  for (size_t i = 0; i < ctx.graph.nodes.size(); ++i) {
    Node& node = ctx.graph.nodes[i];
    Node& scratch_node = scratch.nodes[i];
    if (remaining == 0) {
      nodes.push_back(std::move(node));
      continue;
    }
    with_error_context(node.describe(), [&] {
      if (waiting.count(node.name) != 0) {
        --remaining;
        if (node.op == OpType::kSoftmax) {
          finish_legacy_softmax(ctx, node, scratch.value(node.inputs.at(0)).shape, dynamic_batch, nodes);
        } else {
          finish_auto_pad(scratch, node);
          scratch_node.attrs = node.attrs;
          nodes.push_back(node);
        }
      } else {
        nodes.push_back(node);
      }
      if (remaining == 0) return;
      const std::vector<Shape> shapes = infer_node_shapes(scratch, scratch_node);
      for (size_t k = 0; k < shapes.size() && k < scratch_node.outputs.size(); ++k) {
        if (scratch_node.outputs[k].empty()) continue;
        Value v = scratch.has_value(scratch_node.outputs[k]) ? scratch.value(scratch_node.outputs[k])
                                                             : value_named(scratch_node.outputs[k]);
        v.shape = shapes[k];
        scratch.set_value(std::move(v));
      }
    });
  }
  ctx.graph.nodes = std::move(nodes);
  ctx.needs_shapes.clear();
}

}  // namespace tinyopt::detail
