// The float executor (see include/tinyopt/exec/float_executor.h).
//
// Plan, built once in the constructor:
//   1. Give every value a slot; check each node's op has a runner and its inputs are defined earlier.
//   2. Fusion (run() only): a Conv whose single consumer is a Relu, or a Clip with constant bounds, applies
//      the clamp itself and the activation node just forwards the Conv's tensor.
//   3. Liveness (run() only): views (Reshape, Flatten, ..., a fused-away activation) share their input's
//      storage, so each value maps to a storage root; a root owned by the executor returns to the buffer
//      pool after the last node reading any value that shares it, unless a graph output shares it.
// Each run: check the inputs against the graph inputs; per node, re-run core shape inference when an
// input shape changed (or a shape-like input is a runtime tensor) on a shadow copy of the graph holding
// the actual shapes, then call the runner, which allocates outputs from the pool.
#include "tinyopt/exec/float_executor.h"

#include <any>
#include <limits>
#include <utility>

#include "exec/kernels/blas_threads.h"
#include "exec/op_context.h"
#include "exec/op_table.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt {

using exec::BufferPool;
using exec::OpContext;

Tensor BufferPool::take(DType dtype, const Shape& shape) {
  auto it = free_.find({dtype, shape_numel(shape)});
  if (it == free_.end() || it->second.empty()) return Tensor(dtype, shape);
  Tensor t = std::move(it->second.back());
  it->second.pop_back();
  return t.reshaped(shape);
}

void BufferPool::give(Tensor t) {
  if (t.empty()) return;
  free_[{t.dtype(), t.numel()}].push_back(std::move(t));
}

namespace {

struct NodePlan {
  const exec::OpKernel* kernel = nullptr;
  std::vector<int> in, out;  // slot indices, -1 for an omitted optional input or output
  bool inferred = false;     // shapes below are valid
  std::vector<Shape> in_shapes, out_shapes;
  std::any state;            // the runner's cached params
  // Fusion, applied by run() only.
  bool has_fused_act = false;
  kernels::ActivationClamp fused_act;  // Conv: clamp taken over from the activation after it
  bool fused_away = false;             // activation absorbed by the Conv before it
  std::vector<int> release;            // roots whose storage returns to the pool after this node (run())
};

bool is_integer_dtype(DType t) { return t == DType::kI64 || t == DType::kI32; }

}  // namespace

struct FloatExecutor::Impl {
  Graph graph;
  Graph shadow;  // the graph with the current run's actual shapes, for infer_node_shapes()
  int threads = 1;
  std::vector<std::string> slot_names;
  std::map<std::string, int> slot_of;
  std::vector<Tensor> slots;
  std::vector<bool> is_initializer;
  std::vector<NodePlan> plans;
  std::vector<int> input_slots, output_slots;
  std::vector<bool> executor_owned;  // storage root of the slot is allocated by the executor (run() plan)
  std::vector<Shape> last_input_shapes;
  BufferPool pool;
  std::vector<float> scratch;

  int slot(const std::string& name) {
    auto [it, added] = slot_of.emplace(name, static_cast<int>(slot_names.size()));
    if (added) {
      slot_names.push_back(name);
      slots.emplace_back();
      is_initializer.push_back(false);
    }
    return it->second;
  }

  void build_plan();
  void plan_fusion();
  void plan_liveness();
  std::vector<Shape> infer(const Node& node, const NodePlan& plan);
  void execute(const std::vector<Tensor>& inputs, bool keep_all);
};

void FloatExecutor::Impl::build_plan() {
  for (const auto& [name, v] : graph.values()) {
    if (!v.is_initializer()) continue;
    const int s = slot(name);
    slots[static_cast<size_t>(s)] = *v.data;
    is_initializer[static_cast<size_t>(s)] = true;
  }
  std::vector<bool> defined(slots.size(), true);
  for (const auto& name : graph.inputs) {
    if (!graph.has_value(name)) throw_bad_input("graph input '" + name + "' has no value description");
    input_slots.push_back(slot(name));
  }
  defined.resize(slots.size(), true);
  for (const Node& node : graph.nodes) {
    NodePlan p;
    p.kernel = &exec::op_kernel(node.op);
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
      defined.resize(slots.size(), true);
    }
    plans.push_back(std::move(p));
  }
  for (const auto& name : graph.outputs) {
    auto it = slot_of.find(name);
    if (it == slot_of.end()) throw_bad_input("graph output '" + name + "' is not produced by any node");
    output_slots.push_back(it->second);
  }
  plan_fusion();
  plan_liveness();
}

void FloatExecutor::Impl::plan_fusion() {
  // Readers of each slot, counting graph outputs as readers that forbid fusion.
  std::vector<int> readers(slots.size(), 0);
  for (const auto& p : plans)
    for (int s : p.in)
      if (s >= 0) ++readers[static_cast<size_t>(s)];
  for (int s : output_slots) readers[static_cast<size_t>(s)] += 1000;
  std::vector<int> producer(slots.size(), -1);
  for (size_t i = 0; i < plans.size(); ++i)
    for (int s : plans[i].out)
      if (s >= 0) producer[static_cast<size_t>(s)] = static_cast<int>(i);

  for (size_t i = 0; i < plans.size(); ++i) {
    const Node& act = graph.nodes[i];
    if (act.op != OpType::kRelu && act.op != OpType::kClip) continue;
    const int src = plans[i].in[0];
    if (src < 0 || readers[static_cast<size_t>(src)] != 1) continue;
    const int conv = producer[static_cast<size_t>(src)];
    if (conv < 0 || graph.nodes[static_cast<size_t>(conv)].op != OpType::kConv) continue;
    NodePlan& cp = plans[static_cast<size_t>(conv)];
    if (cp.has_fused_act) continue;
    kernels::ActivationClamp clamp;
    if (act.op == OpType::kRelu) {
      clamp.min = 0.0f;
    } else {
      bool constant = true;
      for (size_t k = 1; k < 3; ++k) {
        if (k >= plans[i].in.size() || plans[i].in[k] < 0) continue;
        const Tensor& t = slots[static_cast<size_t>(plans[i].in[k])];
        if (!is_initializer[static_cast<size_t>(plans[i].in[k])] || t.dtype() != DType::kF32 || t.numel() != 1) {
          constant = false;
          break;
        }
        (k == 1 ? clamp.min : clamp.max) = t.data<float>()[0];
      }
      if (!constant) continue;
    }
    cp.has_fused_act = true;
    cp.fused_act = clamp;
    plans[i].fused_away = true;
  }
}

void FloatExecutor::Impl::plan_liveness() {
  const size_t n = slots.size();
  std::vector<int> root(n);
  std::vector<bool> owned(n, false);
  for (size_t s = 0; s < n; ++s) root[s] = static_cast<int>(s);
  for (const auto& p : plans) {
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
  for (size_t i = 0; i < plans.size(); ++i) {
    for (int s : plans[i].out)
      if (s >= 0) last[static_cast<size_t>(root[static_cast<size_t>(s)])] = std::max(last[static_cast<size_t>(root[static_cast<size_t>(s)])], static_cast<int>(i));
    for (int s : plans[i].in)
      if (s >= 0) last[static_cast<size_t>(root[static_cast<size_t>(s)])] = static_cast<int>(i);
  }
  for (size_t s = 0; s < n; ++s)
    if (owned[s] && !pinned[s] && root[s] == static_cast<int>(s) && last[s] >= 0)
      plans[static_cast<size_t>(last[s])].release.push_back(static_cast<int>(s));
}

std::vector<Shape> FloatExecutor::Impl::infer(const Node& node, const NodePlan& plan) {
  for (size_t k = 0; k < plan.in.size(); ++k) {
    const int s = plan.in[k];
    if (s < 0 || is_initializer[static_cast<size_t>(s)]) continue;
    const Tensor& t = slots[static_cast<size_t>(s)];
    Value& v = shadow.value(node.inputs[k]);
    v.shape = t.shape();
    v.dtype = t.dtype();
    // Shape-like inputs (Reshape's shape, Pad's pads, ...) fed at run time: shape inference reads them.
    if (k >= 1 && is_integer_dtype(t.dtype())) v.data = t;
  }
  return infer_node_shapes(shadow, node);
}

void FloatExecutor::Impl::execute(const std::vector<Tensor>& inputs, bool keep_all) {
  if (inputs.size() != input_slots.size())
    throw_bad_input("model has " + std::to_string(input_slots.size()) + " inputs, got " + std::to_string(inputs.size()));
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& name = graph.inputs[i];
    const Value& v = graph.value(name);
    const Tensor& t = inputs[i];
    bool fits = t.rank() == static_cast<int>(v.shape.size());
    for (size_t d = 0; fits && d < v.shape.size(); ++d) fits = v.shape[d] < 0 || v.shape[d] == t.shape()[d];
    if (!fits)
      throw_bad_input("input '" + name + "' has shape " + shape_str(t.shape()) + ", model expects " + shape_str(v.shape));
    if (t.dtype() != v.dtype)
      throw_bad_input("input '" + name + "' has dtype " + std::string(dtype_name(t.dtype())) + ", model expects " +
                      std::string(dtype_name(v.dtype)));
    slots[static_cast<size_t>(input_slots[i])] = t;
    shapes.push_back(t.shape());
  }
  if (shapes != last_input_shapes) {  // buffers of other sizes would only pile up
    pool.clear();
    last_input_shapes = shapes;
  }
  kernels::ScopedBlasThreads blas_single(1);  // kernels parallelise with OpenMP around single-threaded BLAS
  const kernels::ActivationClamp identity;
  for (size_t i = 0; i < plans.size(); ++i) {
    NodePlan& p = plans[i];
    const Node& node = graph.nodes[i];
    if (!keep_all && p.fused_away) {
      slots[static_cast<size_t>(p.out[0])] = slots[static_cast<size_t>(p.in[0])];
      continue;
    }
    std::vector<const Tensor*> in;
    bool reshaped = !p.inferred;
    for (size_t k = 0; k < p.in.size(); ++k) {
      const int s = p.in[k];
      in.push_back(s < 0 ? nullptr : &slots[static_cast<size_t>(s)]);
      if (s < 0) continue;
      const Tensor& t = slots[static_cast<size_t>(s)];
      if (!reshaped && t.shape() != p.in_shapes[k]) reshaped = true;
      if (k >= 1 && !is_initializer[static_cast<size_t>(s)] && is_integer_dtype(t.dtype())) reshaped = true;
    }
    if (reshaped) {
      p.inferred = false;
      p.out_shapes = infer(node, p);
      if (p.out_shapes.size() < p.out.size())
        for (size_t k = p.out_shapes.size(); k < p.out.size(); ++k)
          if (p.out[k] >= 0) throw_internal(node.describe() + ": shape inference gave no shape for output " + std::to_string(k));
      p.in_shapes.clear();
      for (const Tensor* t : in) p.in_shapes.push_back(t != nullptr ? t->shape() : Shape{});
      p.inferred = true;
    }
    std::vector<Tensor*> out;
    for (int s : p.out) out.push_back(s < 0 ? nullptr : &slots[static_cast<size_t>(s)]);
    OpContext ctx(node, std::move(in), p.out_shapes, std::move(out), pool, scratch, p.state, threads, reshaped,
                  !keep_all && p.has_fused_act ? p.fused_act : identity);
    p.kernel->run(ctx);
    if (!keep_all)
      for (int r : p.release) pool.give(std::exchange(slots[static_cast<size_t>(r)], Tensor()));
  }
}

FloatExecutor::FloatExecutor(const Graph& graph, ExecOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->graph = graph;
  impl_->shadow = graph;
  impl_->threads = kernels::resolve_threads(opts.threads);
  impl_->build_plan();
}

FloatExecutor::~FloatExecutor() = default;
FloatExecutor::FloatExecutor(FloatExecutor&&) noexcept = default;
FloatExecutor& FloatExecutor::operator=(FloatExecutor&&) noexcept = default;

std::vector<Tensor> FloatExecutor::run(const std::vector<Tensor>& inputs) {
  impl_->execute(inputs, false);
  std::vector<Tensor> outputs;
  for (int s : impl_->output_slots) {
    Tensor& t = impl_->slots[static_cast<size_t>(s)];
    // The caller owns what it gets: never hand out storage a later run, the graph or the caller's
    // inputs still use (an output that is, or views, an initializer or an input is copied).
    outputs.push_back(impl_->executor_owned[static_cast<size_t>(s)] ? std::exchange(t, Tensor()) : t.clone());
  }
  for (int s : impl_->input_slots) impl_->slots[static_cast<size_t>(s)] = Tensor();  // drop caller storage
  return outputs;
}

std::map<std::string, Tensor> FloatExecutor::run_all(const std::vector<Tensor>& inputs) {
  impl_->execute(inputs, true);
  std::map<std::string, Tensor> values;
  for (size_t s = 0; s < impl_->slots.size(); ++s) {
    if (impl_->is_initializer[s]) continue;
    Tensor t = std::exchange(impl_->slots[s], Tensor());
    values[impl_->slot_names[s]] = impl_->executor_owned[s] ? t : t.clone();
  }
  return values;
}

}  // namespace tinyopt
