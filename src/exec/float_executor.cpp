// The float executor (see include/tinyopt/exec/float_executor.h; the plan is in execution_plan.h).
//
// Each run: check the inputs against the graph inputs; per node, re-run core shape inference when an input
// shape changed (or a shape-like input is a runtime tensor) on a shadow copy of the graph holding the actual
// shapes, then call the runner, which allocates outputs from the buffer pool. run() on a batch-separable
// graph with several threads splits the batch into chunks that threads take in turn, each running the whole
// graph single-threaded on its own RunState: no barrier per layer, and each chunk's activations stay in
// cache. Chunks are disjoint samples, so the result equals the whole-batch run.
#include "tinyopt/exec/float_executor.h"

#include <omp.h>

#include <algorithm>
#include <any>
#include <atomic>
#include <cstring>
#include <exception>
#include <utility>

#include "exec/execution_plan.h"
#include "exec/kernels/blas_threads.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt {

using exec::BufferPool;
using exec::ExecutionPlan;
using exec::NodePlan;
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

bool is_integer_dtype(DType t) { return t == DType::kI64 || t == DType::kI32; }

// What one node keeps from run to run on one RunState.
struct NodeState {
  bool inferred = false;  // shapes below are valid
  std::vector<Shape> in_shapes, out_shapes;
  std::any cache;  // the runner's cached params
  // Views handed to the runner, kept so a run allocates nothing for them.
  std::vector<const Tensor*> in_tensors;
  std::vector<bool> in_constant;
  std::vector<Tensor*> out_tensors;
};

// Everything a run mutates; one per thread that runs the graph.
struct RunState {
  explicit RunState(const ExecutionPlan& plan) : shadow(plan.graph), slots(plan.constants), nodes(plan.nodes.size()) {}
  Graph shadow;  // the graph with the current run's actual shapes, for infer_node_shapes()
  std::vector<Tensor> slots;
  std::vector<NodeState> nodes;
  std::vector<Shape> last_input_shapes;
  BufferPool pool;
  std::vector<float> scratch;
};

std::vector<Shape> infer(const ExecutionPlan& plan, RunState& rs, const Node& node, const NodePlan& np) {
  for (size_t k = 0; k < np.in.size(); ++k) {
    const int s = np.in[k];
    if (s < 0 || plan.is_initializer[static_cast<size_t>(s)]) continue;
    const Tensor& t = rs.slots[static_cast<size_t>(s)];
    Value& v = rs.shadow.value(node.inputs[k]);
    v.shape = t.shape();
    v.dtype = t.dtype();
    // Shape-like inputs (Reshape's shape, Pad's pads, ...) fed at run time: shape inference reads them.
    if (k >= 1 && is_integer_dtype(t.dtype())) v.data = t;
  }
  return infer_node_shapes(rs.shadow, node);
}

void check_inputs(const ExecutionPlan& plan, const std::vector<Tensor>& inputs) {
  if (inputs.size() != plan.input_slots.size())
    throw_bad_input("model has " + std::to_string(plan.input_slots.size()) + " inputs, got " +
                    std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& name = plan.graph.inputs[i];
    const Value& v = plan.graph.value(name);
    const Tensor& t = inputs[i];
    bool fits = t.rank() == static_cast<int>(v.shape.size());
    for (size_t d = 0; fits && d < v.shape.size(); ++d) fits = v.shape[d] < 0 || v.shape[d] == t.shape()[d];
    if (!fits)
      throw_bad_input("input '" + name + "' has shape " + shape_str(t.shape()) + ", model expects " + shape_str(v.shape));
    if (t.dtype() != v.dtype)
      throw_bad_input("input '" + name + "' has dtype " + std::string(dtype_name(t.dtype())) + ", model expects " +
                      std::string(dtype_name(v.dtype)));
  }
}

// Runs the graph on checked inputs; results stay in rs.slots.
void execute(const ExecutionPlan& plan, RunState& rs, const std::vector<Tensor>& inputs, bool keep_all, int threads) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    rs.slots[static_cast<size_t>(plan.input_slots[i])] = inputs[i];
    shapes.push_back(inputs[i].shape());
  }
  if (shapes != rs.last_input_shapes) {  // buffers of other sizes would only pile up
    rs.pool.clear();
    rs.last_input_shapes = shapes;
  }
  const exec::FusedTail unfused;
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const NodePlan& np = plan.nodes[i];
    NodeState& ns = rs.nodes[i];
    const Node& node = plan.graph.nodes[i];
    if (!keep_all && np.fused_away) {
      rs.slots[static_cast<size_t>(np.out[0])] = rs.slots[static_cast<size_t>(np.in[0])];
      continue;
    }
    std::vector<const Tensor*>& in = ns.in_tensors;
    in.resize(np.in.size());
    ns.in_constant.resize(np.in.size());
    bool reshaped = !ns.inferred;
    for (size_t k = 0; k < np.in.size(); ++k) {
      const int s = np.in[k];
      in[k] = s < 0 ? nullptr : &rs.slots[static_cast<size_t>(s)];
      ns.in_constant[k] = s >= 0 && plan.is_initializer[static_cast<size_t>(s)];
      if (s < 0) continue;
      const Tensor& t = rs.slots[static_cast<size_t>(s)];
      if (!reshaped && t.shape() != ns.in_shapes[k]) reshaped = true;
      if (k >= 1 && !plan.is_initializer[static_cast<size_t>(s)] && is_integer_dtype(t.dtype())) reshaped = true;
    }
    if (reshaped) {
      ns.inferred = false;
      ns.out_shapes = infer(plan, rs, node, np);
      for (size_t k = ns.out_shapes.size(); k < np.out.size(); ++k)
        if (np.out[k] >= 0) throw_internal(node.describe() + ": shape inference gave no shape for output " + std::to_string(k));
      ns.in_shapes.clear();
      for (const Tensor* t : in) ns.in_shapes.push_back(t != nullptr ? t->shape() : Shape{});
      ns.inferred = true;
    }
    ns.out_tensors.resize(np.out.size());
    for (size_t k = 0; k < np.out.size(); ++k)
      ns.out_tensors[k] = np.out[k] < 0 ? nullptr : &rs.slots[static_cast<size_t>(np.out[k])];
    OpContext ctx(node, in, ns.in_constant, ns.out_shapes, ns.out_tensors, rs.pool, rs.scratch, ns.cache, threads,
                  reshaped, keep_all ? unfused : np.fused);
    np.kernel->run(ctx);
    if (!keep_all)
      for (int r : np.release) rs.pool.give(std::exchange(rs.slots[static_cast<size_t>(r)], Tensor()));
  }
}

// Moves the graph outputs out of rs (copying those that share storage with weights or inputs: the caller
// owns what it gets) and drops the caller's input tensors.
std::vector<Tensor> take_outputs(const ExecutionPlan& plan, RunState& rs) {
  std::vector<Tensor> outputs;
  for (int s : plan.output_slots) {
    Tensor& t = rs.slots[static_cast<size_t>(s)];
    outputs.push_back(plan.executor_owned[static_cast<size_t>(s)] ? std::exchange(t, Tensor()) : t.clone());
  }
  for (int s : plan.input_slots) rs.slots[static_cast<size_t>(s)] = Tensor();
  return outputs;
}

// Samples [begin, begin + count) of t (leading dim) as a tensor of its own, reusing `into` when it fits.
void copy_samples(const Tensor& t, int64_t begin, int64_t count, Tensor& into) {
  Shape shape = t.shape();
  shape[0] = count;
  if (into.empty() || into.dtype() != t.dtype() || into.shape() != shape) into = Tensor(t.dtype(), shape);
  const size_t sample_bytes = t.nbytes() / static_cast<size_t>(t.dim(0));
  std::memcpy(into.bytes(), t.bytes() + static_cast<size_t>(begin) * sample_bytes, static_cast<size_t>(count) * sample_bytes);
}

}  // namespace

struct FloatExecutor::Impl {
  explicit Impl(const Graph& g) : plan(g), main(plan) {}
  ExecutionPlan plan;
  int threads = 1;
  RunState main;                  // whole-batch runs and run_all()
  std::vector<RunState> workers;  // one per thread for split-batch runs
  std::vector<std::vector<Tensor>> worker_inputs;

  std::vector<Tensor> run_split(const std::vector<Tensor>& inputs);
};

std::vector<Tensor> FloatExecutor::Impl::run_split(const std::vector<Tensor>& inputs) {
  const int64_t batch = inputs[0].dim(0);
  for (const Tensor& t : inputs)
    if (t.dim(0) != batch) throw_bad_input("inputs disagree on the batch size (" + shape_str(t.shape()) + ")");
  // Chunks of a few samples: enough per chunk to amortize the per-node overhead, enough chunks to balance.
  const int64_t chunk = std::clamp<int64_t>(batch / (4 * threads), 1, 4);
  const int64_t chunks = (batch + chunk - 1) / chunk;
  while (workers.size() < static_cast<size_t>(threads)) workers.emplace_back(plan);
  worker_inputs.resize(static_cast<size_t>(threads), std::vector<Tensor>(inputs.size()));
  std::vector<std::vector<Tensor>> results(static_cast<size_t>(chunks));
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
#pragma omp parallel num_threads(threads)
  {
    const auto w = static_cast<size_t>(omp_get_thread_num());
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {
      if (failed.load()) continue;  // a chunk failed: skip the rest, report its error
      try {
        const int64_t begin = c * chunk, count = std::min(chunk, batch - begin);
        for (size_t i = 0; i < inputs.size(); ++i) copy_samples(inputs[i], begin, count, worker_inputs[w][i]);
        execute(plan, workers[w], worker_inputs[w], false, 1);
        results[static_cast<size_t>(c)] = take_outputs(plan, workers[w]);
      } catch (...) {
#pragma omp critical(tinyopt_exec_failure)
        if (!failed.exchange(true)) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  // Stitch the chunks back together along the batch dim.
  std::vector<Tensor> outputs;
  for (size_t k = 0; k < plan.output_slots.size(); ++k) {
    Shape shape = results[0][k].shape();
    shape[0] = batch;
    Tensor out(results[0][k].dtype(), shape);
    size_t offset = 0;
    for (const auto& r : results) {
      std::memcpy(out.bytes() + offset, r[k].bytes(), r[k].nbytes());
      offset += r[k].nbytes();
    }
    if (offset != out.nbytes()) throw_internal("split-batch outputs do not add up to the batch");
    outputs.push_back(std::move(out));
  }
  return outputs;
}

FloatExecutor::FloatExecutor(const Graph& graph, ExecOptions opts) : impl_(std::make_unique<Impl>(graph)) {
  impl_->threads = kernels::resolve_threads(opts.threads);
}

FloatExecutor::~FloatExecutor() = default;
FloatExecutor::FloatExecutor(FloatExecutor&&) noexcept = default;
FloatExecutor& FloatExecutor::operator=(FloatExecutor&&) noexcept = default;

std::vector<Tensor> FloatExecutor::run(const std::vector<Tensor>& inputs) {
  check_inputs(impl_->plan, inputs);
  kernels::set_blas_single_threaded();  // kernels parallelise with OpenMP around single-threaded BLAS
  if (impl_->plan.batch_separable && impl_->threads > 1 && inputs[0].dim(0) > 1) return impl_->run_split(inputs);
  execute(impl_->plan, impl_->main, inputs, false, impl_->threads);
  return take_outputs(impl_->plan, impl_->main);
}

std::map<std::string, Tensor> FloatExecutor::run_all(const std::vector<Tensor>& inputs) {
  check_inputs(impl_->plan, inputs);
  kernels::set_blas_single_threaded();
  execute(impl_->plan, impl_->main, inputs, true, impl_->threads);
  std::map<std::string, Tensor> values;
  const ExecutionPlan& plan = impl_->plan;
  for (size_t s = 0; s < plan.slot_names.size(); ++s) {
    if (plan.is_initializer[s]) continue;
    Tensor t = std::exchange(impl_->main.slots[s], Tensor());
    values[plan.slot_names[s]] = plan.executor_owned[s] ? t : t.clone();
  }
  return values;
}

}  // namespace tinyopt
