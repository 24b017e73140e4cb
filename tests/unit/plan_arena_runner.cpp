// Quantized built-in architectures and the one-arena runner of the planner tests (plan_test_programs.h).
#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

#include "exec/integer/runtime_dispatch.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/target/cost_model.h"
#include "unit/plan_test_programs.h"

namespace tinyopt::testing {

Graph quantized_architecture(const std::string& name, float width) {
  ArchOptions a;
  a.width = width;
  a.seed = 1;
  return int8_version(build_architecture(name, a));
}

namespace {

// (C, HW) <-> (HW, C) of elements of `elem` bytes.
void transpose(const uint8_t* src, uint8_t* dst, int64_t c, int64_t hw, size_t elem, bool to_channels_last) {
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t p = 0; p < hw; ++p) {
      const int64_t planar = ci * hw + p, interleaved = p * c + ci;
      std::memcpy(dst + static_cast<size_t>(to_channels_last ? interleaved : planar) * elem,
                  src + static_cast<size_t>(to_channels_last ? planar : interleaved) * elem, elem);
    }
}

bool needs_transpose(const IntTensor& t) { return t.channels_last && t.nchw.size() == 4 && t.nchw[2] * t.nchw[3] > 1; }

}  // namespace

std::vector<std::vector<std::vector<uint8_t>>> run_from_arena(const IntegerProgram& program, const ArenaPlan& plan,
                                                            const std::vector<Tensor>& inputs) {
  const size_t n_tensors = program.tensors.size();
  // Lifetimes, computed here independently of the planner: written at the writer's position (-1 for graph
  // inputs), read until the last reader (the end for outputs).
  const int positions = static_cast<int>(plan.order.size());
  std::vector<int> written(n_tensors, -1), last(n_tensors, -1);
  for (int p = 0; p < positions; ++p) {
    const IntegerStep& s = program.steps[static_cast<size_t>(plan.order[static_cast<size_t>(p)])];
    for (int t : s.outputs) written[static_cast<size_t>(program.storage_of(t))] = p;
    for (int t : s.inputs) last[static_cast<size_t>(program.storage_of(t))] = p;
  }
  for (int t : program.outputs) last[static_cast<size_t>(program.storage_of(t))] = positions;
  for (int t : program.integer_outputs) last[static_cast<size_t>(program.storage_of(t))] = positions;

  std::vector<uint8_t> storage(plan.arena_bytes + 64);
  uint8_t* arena = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  std::vector<std::vector<uint8_t>> boundary(n_tensors);  // float tensors outside the arena
  for (size_t t = 0; t < n_tensors; ++t)
    if (plan.offset[t] < 0 && program.tensors[t].kind != IntTensorKind::kConstant && program.tensors[t].alias_of < 0)
      boundary[t].assign(program.tensors[t].bytes(), 0);
  auto ptr = [&](int id) -> uint8_t* {
    const int t = program.storage_of(id);
    const IntTensor& tensor = program.tensors[static_cast<size_t>(t)];
    if (tensor.kind == IntTensorKind::kConstant) return const_cast<uint8_t*>(tensor.data.data());
    if (plan.offset[static_cast<size_t>(t)] >= 0) return arena + plan.offset[static_cast<size_t>(t)];
    return boundary[static_cast<size_t>(t)].data();
  };
  std::mt19937 poison(99);
  std::vector<uint8_t> staging;
  const int64_t batch = inputs.at(0).dim(0);
  std::vector<std::vector<std::vector<uint8_t>>> results;
  for (int64_t b = 0; b < batch; ++b) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const size_t bytes = program.tensors[static_cast<size_t>(program.inputs[i])].bytes();
      std::memcpy(ptr(program.inputs[i]), inputs[i].bytes() + static_cast<size_t>(b) * bytes, bytes);
    }
    for (int p = 0; p < positions; ++p) {
      const IntegerStep& step = program.steps[static_cast<size_t>(plan.order[static_cast<size_t>(p)])];
      std::vector<bool> keep(plan.arena_bytes, false);
      for (size_t t = 0; t < n_tensors; ++t)
        if (plan.offset[t] >= 0 && program.tensors[t].alias_of < 0 && written[t] < p && p <= last[t])
          std::fill_n(keep.begin() + plan.offset[t], program.tensors[t].bytes(), true);
      for (size_t i = 0; i < plan.arena_bytes; ++i)
        if (!keep[i]) arena[i] = static_cast<uint8_t>(poison());
      const size_t s_id = static_cast<size_t>(plan.order[static_cast<size_t>(p)]);
      void* scratch = nullptr;
      if (step.scratch_bytes > 0) {  // zeroed: a kernel caching packed weights in scratch re-packs
        scratch = arena + plan.scratch_offset[s_id];
        std::memset(scratch, 0, step.scratch_bytes);
      }
      const StepParams params = bind_step_params(step);
      const exec::KernelChoice k = exec::select_kernel(step.family, params);
      if (!k.ok) throw std::runtime_error("no kernel for " + step.kernel);
      std::vector<const void*> ins;
      for (int t : step.inputs) ins.push_back(ptr(t));
      void* out = ptr(step.outputs[0]);
      const IntTensor& ti = program.tensors[static_cast<size_t>(step.inputs[0])];
      const IntTensor& to = program.tensors[static_cast<size_t>(step.outputs[0])];
      topt_status st;
      if (step.family == TOPT_FAMILY_quantize_s8 && to.channels_last && !ti.channels_last) {
        staging.resize(ti.bytes());
        transpose(static_cast<const uint8_t*>(ins[0]), staging.data(), to.nchw[1], to.nchw[2] * to.nchw[3], 4, true);
        ins[0] = staging.data();
        st = exec::call_kernel(step.family, k.run, params, ins.data(), ins.size(), out, scratch);
      } else if (step.family == TOPT_FAMILY_dequantize_s8 && ti.channels_last && !to.channels_last) {
        staging.resize(to.bytes());
        st = exec::call_kernel(step.family, k.run, params, ins.data(), ins.size(), staging.data(), scratch);
        transpose(staging.data(), static_cast<uint8_t*>(out), ti.nchw[1], ti.nchw[2] * ti.nchw[3], 4, false);
      } else {
        st = exec::call_kernel(step.family, k.run, params, ins.data(), ins.size(), out, scratch);
      }
      if (st != TOPT_OK) throw std::runtime_error(step.kernel + " failed with status " + std::to_string(st));
    }
    std::vector<std::vector<uint8_t>> sample;
    std::vector<int> ids = program.outputs;
    ids.insert(ids.end(), program.integer_outputs.begin(), program.integer_outputs.end());
    for (int id : ids) {
      const IntTensor& t = program.tensors[static_cast<size_t>(id)];
      std::vector<uint8_t> bytes(t.bytes());
      if (needs_transpose(t)) {
        transpose(ptr(id), bytes.data(), t.nchw[1], t.nchw[2] * t.nchw[3], dtype_storage_bytes(t.dtype, 1), false);
      } else {
        std::memcpy(bytes.data(), ptr(id), bytes.size());
      }
      sample.push_back(std::move(bytes));
    }
    results.push_back(std::move(sample));
  }
  return results;
}

}  // namespace tinyopt::testing
