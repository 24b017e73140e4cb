// IntegerExecutor (integer_executor.h): the lowered program, kernels bound once, and one arena per thread
// holding every non-constant tensor of one sample (laid out one after another: the memory planner of a later
// issue will do better), a float staging buffer for the NCHW <-> NHWC conversion at the graph boundary, and
// one scratch per step, kept across samples and runs: kernels that cache packed weights in their scratch
// (topt_conv2d_vnni_s8__x86) then pack each layer once per thread, not once per sample.
#include "tinyopt/exec/integer_executor.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <fmt/format.h>

#include "exec/integer/runtime_dispatch.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kMaxStepInputs = 64;  // concat inputs
size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// (C, H, W) <-> (H, W, C) for one sample.
template <class T>
void nchw_to_nhwc(const T* src, T* dst, int64_t C, int64_t H, int64_t W) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t p = 0; p < H * W; ++p) dst[p * C + c] = src[c * H * W + p];
}
template <class T>
void nhwc_to_nchw(const T* src, T* dst, int64_t C, int64_t H, int64_t W) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t p = 0; p < H * W; ++p) dst[c * H * W + p] = src[p * C + c];
}
// False when the NHWC order of a channels-last tensor is its NCHW order too (one channel, or one pixel):
// the boundary steps then skip the conversion through the staging buffer.
bool orders_differ(const IntTensor& t) { return t.channels_last && t.nchw[1] > 1 && t.nchw[2] * t.nchw[3] > 1; }

struct BoundStep {
  topt_family family;
  topt_any_fn run;
  StepParams params;  // pointers into the program's step arrays
  std::vector<int> inputs;
  int output;
  std::string where;  // for the (internal) error of a kernel rejecting its parameters at run time
  size_t scratch_offset = 0;  // in the thread arena's scratch area
  bool has_scratch = false;
};

}  // namespace

struct IntegerExecutor::Impl {
  IntegerProgram prog;
  std::vector<Shape> input_shapes;  // the graph's (may hold -1)
  std::vector<std::string> input_names;
  int threads = 1;
  std::vector<BoundStep> steps;
  std::vector<size_t> offset;  // arena offset of each storage-owning, non-constant tensor
  size_t tensors_bytes = 0, staging_bytes = 0, scratch_bytes = 0;
  std::vector<std::vector<uint8_t>> arenas;  // one per thread

  uint8_t* base(int thread) {
    auto& a = arenas[static_cast<size_t>(thread)];
    return reinterpret_cast<uint8_t*>(align_up(reinterpret_cast<uintptr_t>(a.data())));
  }
  void* tensor_ptr(uint8_t* arena, int t) {
    const int s = prog.storage_of(t);
    IntTensor& tensor = prog.tensors[static_cast<size_t>(s)];
    if (tensor.kind == IntTensorKind::kConstant) return tensor.data.data();
    return arena + offset[static_cast<size_t>(s)];
  }
  void run_sample(int thread, const std::vector<const float*>& inputs);
  template <class Sink>
  void run_batch(const std::vector<Tensor>& inputs, Sink&& sink);
  int64_t check_inputs(const std::vector<Tensor>& inputs) const;
  // Runs the batch and returns the tensors `ids` (the float outputs or the integer ones), NCHW.
  std::vector<Tensor> run_to(const std::vector<Tensor>& inputs, const std::vector<int>& ids);
};

IntegerExecutor::IntegerExecutor(const Graph& graph, IntegerExecOptions opts) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.prog = opts.fuse_conv_maxpool ? fuse_conv_maxpool(lower_qdq_graph(graph)) : lower_qdq_graph(graph);
  for (const std::string& in : graph.inputs) {
    m.input_names.push_back(in);
    m.input_shapes.push_back(graph.value(in).shape);
  }
  m.threads = opts.threads > 0 ? opts.threads : omp_get_max_threads();
  m.offset.assign(m.prog.tensors.size(), 0);
  for (size_t t = 0; t < m.prog.tensors.size(); ++t) {
    const IntTensor& tensor = m.prog.tensors[t];
    if (tensor.kind == IntTensorKind::kConstant || tensor.alias_of >= 0) continue;
    m.offset[t] = m.tensors_bytes;
    m.tensors_bytes += align_up(tensor.bytes());
    if (tensor.dtype == DType::kF32) m.staging_bytes = std::max(m.staging_bytes, align_up(tensor.bytes()));
  }
  for (const IntegerStep& s : m.prog.steps) {
    BoundStep b;
    b.family = s.family;
    b.params = bind_step_params(s);
    const exec::KernelChoice k = exec::select_kernel(s.family, b.params);
    if (!k.ok || k.name != s.kernel) throw_internal("kernel selection changed between lowering and execution");
    b.run = k.run;
    if (s.inputs.size() > kMaxStepInputs)
      throw_bad_input(fmt::format("{}: more than {} inputs", s.source_nodes.at(0), kMaxStepInputs));
    b.inputs = s.inputs;
    b.output = s.outputs.at(0);
    b.where = s.kernel + (s.source_nodes.empty() ? std::string() : " for node '" + s.source_nodes[0] + "'");
    b.scratch_offset = m.scratch_bytes;
    b.has_scratch = s.scratch_bytes > 0;
    m.scratch_bytes += align_up(s.scratch_bytes);
    m.steps.push_back(std::move(b));
  }
  m.arenas.resize(static_cast<size_t>(m.threads));
  for (auto& a : m.arenas) a.assign(m.tensors_bytes + m.staging_bytes + m.scratch_bytes + kAlign, 0);
}

IntegerExecutor::~IntegerExecutor() = default;
IntegerExecutor::IntegerExecutor(IntegerExecutor&&) noexcept = default;
IntegerExecutor& IntegerExecutor::operator=(IntegerExecutor&&) noexcept = default;

const IntegerProgram& IntegerExecutor::program() const { return impl_->prog; }

void IntegerExecutor::Impl::run_sample(int thread, const std::vector<const float*>& inputs) {
  uint8_t* arena = base(thread);
  float* staging = reinterpret_cast<float*>(arena + tensors_bytes);
  uint8_t* scratch_area = arena + tensors_bytes + staging_bytes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const IntTensor& t = prog.tensors[static_cast<size_t>(prog.inputs[i])];
    std::memcpy(tensor_ptr(arena, prog.inputs[i]), inputs[i], t.bytes());
  }
  const void* ins[kMaxStepInputs];
  for (const BoundStep& s : steps) {
    const size_t n = s.inputs.size();
    for (size_t i = 0; i < n; ++i) ins[i] = tensor_ptr(arena, s.inputs[i]);
    void* out = tensor_ptr(arena, s.output);
    void* scratch = s.has_scratch ? scratch_area + s.scratch_offset : nullptr;
    const IntTensor& to = prog.tensors[static_cast<size_t>(s.output)];
    const IntTensor& ti = prog.tensors[static_cast<size_t>(s.inputs[0])];
    topt_status st;
    const bool quantize = s.family == TOPT_FAMILY_quantize_s8 || s.family == TOPT_FAMILY_quantize_s16;
    const bool dequantize = s.family == TOPT_FAMILY_dequantize_s8 || s.family == TOPT_FAMILY_dequantize_s16;
    if (quantize && orders_differ(to) && !ti.channels_last) {
      nchw_to_nhwc(static_cast<const float*>(ins[0]), staging, to.nchw[1], to.nchw[2], to.nchw[3]);
      ins[0] = staging;
      st = exec::call_kernel(s.family, s.run, s.params, ins, n, out, scratch);
    } else if (dequantize && orders_differ(ti) && !to.channels_last) {
      st = exec::call_kernel(s.family, s.run, s.params, ins, n, staging, scratch);
      nhwc_to_nchw(staging, static_cast<float*>(out), ti.nchw[1], ti.nchw[2], ti.nchw[3]);
    } else {
      st = exec::call_kernel(s.family, s.run, s.params, ins, n, out, scratch);
    }
    if (st != TOPT_OK) throw_internal(fmt::format("{} returned status {}", s.where, static_cast<int>(st)));
  }
}

int64_t IntegerExecutor::Impl::check_inputs(const std::vector<Tensor>& inputs) const {
  if (inputs.size() != input_shapes.size())
    throw_bad_input(fmt::format("model has {} inputs, got {}", input_shapes.size(), inputs.size()));
  int64_t batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& want = input_shapes[i];
    const Tensor& x = inputs[i];
    bool ok = x.dtype() == DType::kF32 && x.rank() == static_cast<int>(want.size()) && x.rank() >= 1;
    for (size_t d = 0; ok && d < want.size(); ++d) ok = want[d] < 0 || want[d] == x.shape()[d];
    if (ok && batch >= 0 && x.dim(0) != batch) ok = false;
    if (!ok)
      throw_bad_input("input '" + input_names[i] + "' has shape " + shape_str(x.shape()) + " (" +
                      std::string(dtype_name(x.dtype())) + "), model expects " + shape_str(want) + " (f32)");
    batch = x.dim(0);
  }
  return batch < 0 ? 1 : batch;
}

// Runs every sample and hands (sample, thread arena) to sink, which copies the wanted tensors out.
template <class Sink>
void IntegerExecutor::Impl::run_batch(const std::vector<Tensor>& inputs, Sink&& sink) {
  const int64_t batch = check_inputs(inputs);
  std::vector<int64_t> per_sample;
  for (const Tensor& x : inputs) per_sample.push_back(batch ? x.numel() / batch : 0);
  const int nt = static_cast<int>(std::min<int64_t>(threads, batch));
  auto one = [&](int thread, int64_t b) {
    std::vector<const float*> ptrs;
    for (size_t i = 0; i < inputs.size(); ++i) ptrs.push_back(inputs[i].data<float>() + b * per_sample[i]);
    run_sample(thread, ptrs);
    sink(b, base(thread));
  };
  if (nt <= 1) {  // no OpenMP region at all: batch-1 latency is a few tens of microseconds
    for (int64_t b = 0; b < batch; ++b) one(0, b);
    return;
  }
  std::exception_ptr error;
  // dynamic: samples cost the same, but on a shared machine one thread may be descheduled for a while, and a
  // static split would leave the other idle at the end waiting for it
#pragma omp parallel for num_threads(nt) schedule(dynamic)
  for (int64_t b = 0; b < batch; ++b) {
    try {
      one(omp_get_thread_num(), b);
    } catch (...) {
#pragma omp critical(tinyopt_integer_executor_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

namespace {

// Copies tensor t of one sample (arena pointer src) into slot b of out, in NCHW order.
void copy_out(const IntTensor& t, const void* src, Tensor& out, int64_t b) {
  const size_t bytes = t.bytes();
  uint8_t* dst = out.bytes() + static_cast<size_t>(b) * bytes;
  if (!orders_differ(t)) {
    std::memcpy(dst, src, bytes);
  } else if (t.dtype == DType::kI8) {
    nhwc_to_nchw(static_cast<const int8_t*>(src), reinterpret_cast<int8_t*>(dst), t.nchw[1], t.nchw[2], t.nchw[3]);
  } else if (t.dtype == DType::kI16) {
    nhwc_to_nchw(static_cast<const int16_t*>(src), reinterpret_cast<int16_t*>(dst), t.nchw[1], t.nchw[2], t.nchw[3]);
  } else {
    nhwc_to_nchw(static_cast<const float*>(src), reinterpret_cast<float*>(dst), t.nchw[1], t.nchw[2], t.nchw[3]);
  }
}

std::vector<Tensor> make_outputs(const IntegerProgram& prog, const std::vector<int>& ids, int64_t batch) {
  std::vector<Tensor> out;
  for (int id : ids) {
    const IntTensor& t = prog.tensors[static_cast<size_t>(id)];
    Shape s = t.shape;
    if (!s.empty()) s[0] = batch;
    out.emplace_back(t.dtype, s);
  }
  return out;
}

}  // namespace

std::vector<Tensor> IntegerExecutor::Impl::run_to(const std::vector<Tensor>& inputs, const std::vector<int>& ids) {
  std::vector<Tensor> out = make_outputs(prog, ids, check_inputs(inputs));
  run_batch(inputs, [&](int64_t b, uint8_t* arena) {
    for (size_t i = 0; i < out.size(); ++i)
      copy_out(prog.tensors[static_cast<size_t>(ids[i])], tensor_ptr(arena, ids[i]), out[i], b);
  });
  return out;
}

std::vector<Tensor> IntegerExecutor::run(const std::vector<Tensor>& inputs) {
  return impl_->run_to(inputs, impl_->prog.outputs);
}

std::vector<Tensor> IntegerExecutor::run_integer(const std::vector<Tensor>& inputs) {
  return impl_->run_to(inputs, impl_->prog.integer_outputs);
}

}  // namespace tinyopt
