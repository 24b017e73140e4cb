// The float executor's static plan (see execution_plan.h).
#include "exec/execution_plan.h"

#include <algorithm>

#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::exec {

int ExecutionPlan::slot(const std::string& name) {
  auto [it, added] = slot_of.emplace(name, static_cast<int>(slot_names.size()));
  if (added) {
    slot_names.push_back(name);
    constants.emplace_back();
    is_initializer.push_back(false);
  }
  return it->second;
}

ExecutionPlan::ExecutionPlan(const Graph& g) : graph(g) {
  for (const auto& [name, v] : graph.values()) {
    if (!v.is_initializer()) continue;
    const int s = slot(name);
    constants[static_cast<size_t>(s)] = *v.data;
    is_initializer[static_cast<size_t>(s)] = true;
  }
  std::vector<bool> defined(constants.size(), true);
  for (const auto& name : graph.inputs) {
    if (!graph.has_value(name)) throw_bad_input("graph input '" + name + "' has no value description");
    input_slots.push_back(slot(name));
  }
  defined.resize(constants.size(), true);
  for (const Node& node : graph.nodes) {
    NodePlan p;
    p.kernel = &op_kernel(node.op);
    if (p.kernel->run == nullptr)
      throw_bad_input(node.describe() + ": the float executor does not support " + std::string(op_name(node.op)));
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        p.in.push_back(-1);
        continue;
      }
      auto it = slot_of.find(name);
      if (it == slot_of.end() || !defined[static_cast<size_t>(it->second)])
        throw_bad_input(node.describe() + ": input '" + name + "' is not a graph input, initializer or earlier output");
      p.in.push_back(it->second);
    }
    if (p.kernel->output_is_view && (p.in.empty() || p.in[0] < 0))
      throw_bad_input(node.describe() + ": missing input 0");
    for (const auto& name : node.outputs) {
      if (name.empty()) {
        p.out.push_back(-1);
        continue;
      }
      if (slot_of.count(name) != 0) throw_bad_input(node.describe() + ": output '" + name + "' is defined twice");
      p.out.push_back(slot(name));
      defined.resize(constants.size(), true);
    }
    nodes.push_back(std::move(p));
  }
  for (const auto& name : graph.outputs) {
    auto it = slot_of.find(name);
    if (it == slot_of.end()) throw_bad_input("graph output '" + name + "' is not produced by any node");
    output_slots.push_back(it->second);
  }
  plan_fusion();
  plan_liveness();
  batch_separable = check_batch_separable();
}

void ExecutionPlan::plan_fusion() {
  // Readers of each slot; graph outputs count as readers that forbid fusing their producer's tail.
  std::vector<std::vector<int>> readers(constants.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int s : nodes[i].in)
      if (s >= 0) readers[static_cast<size_t>(s)].push_back(static_cast<int>(i));
  for (int s : output_slots) readers[static_cast<size_t>(s)].push_back(-1);
  // The node reading output 0 of node i, when it is the only reader and reads it as input 0.
  auto sole_reader = [&](size_t i) -> int {
    const int out = nodes[i].out.empty() ? -1 : nodes[i].out[0];
    if (out < 0 || readers[static_cast<size_t>(out)].size() != 1) return -1;
    const int r = readers[static_cast<size_t>(out)][0];
    return r >= 0 && nodes[static_cast<size_t>(r)].in[0] == out ? r : -1;
  };
  auto constant_f32 = [&](const NodePlan& p, size_t k) {
    return k < p.in.size() && p.in[k] >= 0 && is_initializer[static_cast<size_t>(p.in[k])] &&
           constants[static_cast<size_t>(p.in[k])].dtype() == DType::kF32;
  };
  // Relu, or Clip whose bounds are absent or one-element float initializers.
  auto clamp_of = [&](int node, kernels::ActivationClamp* clamp) {
    const Node& n = graph.nodes[static_cast<size_t>(node)];
    const NodePlan& p = nodes[static_cast<size_t>(node)];
    if (n.op == OpType::kRelu) {
      *clamp = {.min = 0.0f};
      return true;
    }
    if (n.op != OpType::kClip) return false;
    kernels::ActivationClamp c;
    for (size_t k = 1; k < 3 && k < p.in.size(); ++k) {
      if (p.in[k] < 0) continue;
      if (!constant_f32(p, k) || constants[static_cast<size_t>(p.in[k])].numel() != 1) return false;
      (k == 1 ? c.min : c.max) = constants[static_cast<size_t>(p.in[k])].data<float>()[0];
    }
    *clamp = c;
    return true;
  };
  // Inference BatchNormalization with initializer parameters and only its Y output used.
  auto plain_batch_norm = [&](int node) {
    const Node& n = graph.nodes[static_cast<size_t>(node)];
    const NodePlan& p = nodes[static_cast<size_t>(node)];
    if (n.op != OpType::kBatchNormalization || n.attr_int("training_mode", 0) != 0 || p.in.size() < 5) return false;
    for (size_t k = 1; k < p.out.size(); ++k)
      if (p.out[k] >= 0) return false;
    for (size_t k = 1; k < 5; ++k)
      if (!constant_f32(p, k)) return false;
    return true;
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const OpType op = graph.nodes[i].op;
    if (nodes[i].fused_away || (op != OpType::kConv && op != OpType::kBatchNormalization)) continue;
    size_t tail = i;  // last node of the chain so far
    int next = sole_reader(tail);
    if (op == OpType::kConv && next >= 0 && plain_batch_norm(next)) {
      NodePlan& bn = nodes[static_cast<size_t>(next)];
      nodes[i].fused.batch_norm = &graph.nodes[static_cast<size_t>(next)];
      for (size_t k = 1; k < 5; ++k) nodes[i].fused.batch_norm_params.push_back(&constants[static_cast<size_t>(bn.in[k])]);
      bn.fused_away = true;
      tail = static_cast<size_t>(next);
      next = sole_reader(tail);
    }
    kernels::ActivationClamp clamp;
    if (next >= 0 && clamp_of(next, &clamp)) {
      nodes[i].fused.clamp = clamp;
      nodes[static_cast<size_t>(next)].fused_away = true;
    }
  }
}

void ExecutionPlan::plan_liveness() {
  const size_t n = constants.size();
  std::vector<int> root(n);
  std::vector<bool> owned(n, false);
  for (size_t s = 0; s < n; ++s) root[s] = static_cast<int>(s);
  for (const auto& p : nodes) {
    const bool view = p.kernel->output_is_view || p.fused_away;
    for (size_t k = 0; k < p.out.size(); ++k) {
      const int s = p.out[k];
      if (s < 0) continue;
      if (view && k == 0) {
        root[static_cast<size_t>(s)] = root[static_cast<size_t>(p.in[0])];
      } else {
        owned[static_cast<size_t>(s)] = true;
      }
    }
  }
  executor_owned.assign(n, false);
  for (size_t s = 0; s < n; ++s) executor_owned[s] = owned[static_cast<size_t>(root[s])];
  std::vector<bool> pinned(n, false);
  for (int s : output_slots) pinned[static_cast<size_t>(root[static_cast<size_t>(s)])] = true;
  std::vector<int> last(n, -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (int s : nodes[i].out)
      if (s >= 0) last[static_cast<size_t>(root[static_cast<size_t>(s)])] = std::max(last[static_cast<size_t>(root[static_cast<size_t>(s)])], static_cast<int>(i));
    for (int s : nodes[i].in)
      if (s >= 0) last[static_cast<size_t>(root[static_cast<size_t>(s)])] = static_cast<int>(i);
  }
  for (size_t s = 0; s < n; ++s)
    if (owned[s] && !pinned[s] && root[s] == static_cast<int>(s) && last[s] >= 0)
      nodes[static_cast<size_t>(last[s])].release.push_back(static_cast<int>(s));
}

bool ExecutionPlan::check_batch_separable() const {
  if (input_slots.empty() || output_slots.empty()) return false;
  for (const auto& name : graph.inputs) {  // a fixed batch size cannot be split
    const Shape& shape = graph.value(name).shape;
    if (shape.empty() || shape[0] >= 0) return false;
  }
  // Values derived from the graph inputs carry the batch; everything else is constant.
  std::vector<bool> batched(constants.size(), false);
  for (int s : input_slots) batched[static_cast<size_t>(s)] = true;
  auto in_batched = [&](const NodePlan& p, size_t k) { return k < p.in.size() && p.in[k] >= 0 && batched[static_cast<size_t>(p.in[k])]; };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    const NodePlan& p = nodes[i];
    bool any = false;
    for (size_t k = 0; k < p.in.size(); ++k) any = any || in_batched(p, k);
    if (!any) continue;
    // Ops that would mix samples while keeping shapes (shape checks below cannot see these).
    switch (n.op) {
      case OpType::kBatchNormalization:
        if (n.attr_int("training_mode", 0) != 0) return false;
        break;
      case OpType::kSoftmax:
        if (n.attr_int("axis", -1) == 0) return false;
        break;
      case OpType::kTranspose: {
        const auto perm = n.attr_ints("perm");
        if (perm.empty() || perm[0] != 0) return false;
        break;
      }
      case OpType::kGemm:
        if (n.attr_int("transA", 0) != 0 || in_batched(p, 1) || in_batched(p, 2)) return false;
        break;
      case OpType::kMatMul:
        if (in_batched(p, 1)) return false;
        break;
      case OpType::kMaxPool:  // Indices count from the start of the whole batch
        if (p.out.size() > 1 && p.out[1] >= 0) return false;
        break;
      case OpType::kDropout:
        if (in_batched(p, 1) || in_batched(p, 2)) return false;
        break;
      case OpType::kQuantizeLinear:
      case OpType::kDequantizeLinear:
        if (n.attr_int("axis", 1) == 0) return false;
        break;
      default:
        break;
    }
    for (size_t k = 1; k < p.in.size(); ++k)  // shape-like and parameter inputs must not vary per sample
      if (in_batched(p, k) && n.op != OpType::kAdd && n.op != OpType::kSub && n.op != OpType::kMul &&
          n.op != OpType::kDiv && n.op != OpType::kConcat)
        return false;
    for (int s : p.out)
      if (s >= 0) batched[static_cast<size_t>(s)] = true;
  }
  for (int s : output_slots)
    if (!batched[static_cast<size_t>(s)]) return false;
  // Shape inference at two batch sizes: every batched value must have the batch as its leading dim and
  // the same other dims (a Reshape or Concat that folds the batch into another dim fails this).
  std::vector<Graph> at(2, graph);
  const int64_t sizes[2] = {2, 3};
  try {
    for (int b = 0; b < 2; ++b) {
      for (const auto& name : at[static_cast<size_t>(b)].inputs) {
        Value& v = at[static_cast<size_t>(b)].value(name);
        v.shape[0] = sizes[b];
      }
      infer_shapes(at[static_cast<size_t>(b)]);
    }
  } catch (const Error&) {
    return false;  // shapes depend on run-time values: stay with whole-batch runs
  }
  for (size_t s = 0; s < constants.size(); ++s) {
    if (!batched[s]) continue;
    const Shape& a = at[0].value(slot_names[s]).shape;
    const Shape& b = at[1].value(slot_names[s]).shape;
    if (a.empty() || b.empty() || a[0] != sizes[0] || b[0] != sizes[1] || a.size() != b.size() ||
        !std::equal(a.begin() + 1, a.end(), b.begin() + 1))
      return false;
  }
  return true;
}

}  // namespace tinyopt::exec
