// Lifetimes and buffers of a program in a step order, in-place merges, and the live-bytes lower bound
// (plan_buffers.h).
#include "plan/plan_buffers.h"

#include <algorithm>
#include <fmt/format.h>
#include <numeric>

#include "tinyopt/core/error.h"

namespace tinyopt::detail {

bool intervals_overlap(int64_t a_begin, int64_t a_end, int64_t b_begin, int64_t b_end) {
  if (a_begin >= a_end || b_begin >= b_end) return false;
  return a_begin < b_end && b_begin < a_end;
}

bool family_allows_in_place(topt_family family) {
  return family == TOPT_FAMILY_add_s8 || family == TOPT_FAMILY_clamp_s8 || family == TOPT_FAMILY_hardswish_s8;
}

bool tensor_in_arena(const IntegerProgram& program, int tensor, const ArenaPlanOptions& options) {
  const IntTensor& t = program.tensors.at(static_cast<size_t>(tensor));
  if (t.alias_of >= 0 || t.kind == IntTensorKind::kConstant || t.bytes() == 0) return false;
  const bool boundary = t.kind == IntTensorKind::kInput || t.kind == IntTensorKind::kOutput;
  return !(boundary && t.dtype == DType::kF32 && !options.place_float_boundary);
}

namespace {

std::string step_name(const IntegerProgram& program, int s) {
  const IntegerStep& step = program.steps[static_cast<size_t>(s)];
  return fmt::format("step {} ({}{})", s, family_name(step.family),
                     step.source_nodes.empty() ? "" : ", node '" + step.source_nodes[0] + "'");
}

bool is_constant(const IntegerProgram& program, int storage) {
  return program.tensors[static_cast<size_t>(storage)].kind == IntTensorKind::kConstant;
}

}  // namespace

std::vector<std::vector<int>> step_dependencies(const IntegerProgram& program) {
  const size_t n_tensors = program.tensors.size();
  std::vector<int> writer(n_tensors, -1);
  std::vector<bool> available(n_tensors, false);
  for (size_t t = 0; t < n_tensors; ++t)
    available[t] = program.tensors[t].kind == IntTensorKind::kConstant || program.tensors[t].kind == IntTensorKind::kInput;
  for (int in : program.inputs) available.at(static_cast<size_t>(program.storage_of(in))) = true;
  std::vector<std::vector<int>> deps(program.steps.size());
  for (size_t s = 0; s < program.steps.size(); ++s) {
    const IntegerStep& step = program.steps[s];
    for (int in : step.inputs) {
      const int t = program.storage_of(in);
      if (!available.at(static_cast<size_t>(t)))
        throw_internal(fmt::format("memory planner: {} reads tensor '{}' that no earlier step writes",
                                   step_name(program, static_cast<int>(s)), program.tensors[static_cast<size_t>(in)].name));
      const int w = writer[static_cast<size_t>(t)];
      if (w >= 0 && std::find(deps[s].begin(), deps[s].end(), w) == deps[s].end()) deps[s].push_back(w);
    }
    for (int out : step.outputs) {
      const int t = program.storage_of(out);
      if (writer.at(static_cast<size_t>(t)) >= 0 || is_constant(program, t) ||
          program.tensors[static_cast<size_t>(t)].kind == IntTensorKind::kInput)
        throw_internal(fmt::format("memory planner: {} writes tensor '{}' that is already written",
                                   step_name(program, static_cast<int>(s)), program.tensors[static_cast<size_t>(out)].name));
      writer[static_cast<size_t>(t)] = static_cast<int>(s);
      available[static_cast<size_t>(t)] = true;
    }
  }
  return deps;
}

std::vector<Lifetime> tensor_lifetimes(const IntegerProgram& program, const std::vector<int>& order,
                                       const ArenaPlanOptions& options) {
  const int positions = static_cast<int>(order.size());
  std::vector<Lifetime> life(program.tensors.size());
  auto touch = [&](int t, int p) {
    Lifetime& l = life[static_cast<size_t>(t)];
    l.first = l.first < 0 ? p : std::min(l.first, p);
    l.last = std::max(l.last, p);
  };
  std::vector<bool> in_arena(program.tensors.size());
  for (size_t t = 0; t < program.tensors.size(); ++t) in_arena[t] = tensor_in_arena(program, static_cast<int>(t), options);
  for (size_t t = 0; t < program.tensors.size(); ++t)
    if (in_arena[t] && program.tensors[t].kind == IntTensorKind::kInput) touch(static_cast<int>(t), 0);
  for (int in : program.inputs) {
    const int t = program.storage_of(in);
    if (in_arena[static_cast<size_t>(t)]) touch(t, 0);
  }
  for (int p = 0; p < positions; ++p) {
    const IntegerStep& step = program.steps.at(static_cast<size_t>(order[static_cast<size_t>(p)]));
    for (int in : step.inputs) {
      const int t = program.storage_of(in);
      if (in_arena[static_cast<size_t>(t)]) touch(t, p);
    }
    for (int out : step.outputs) {
      const int t = program.storage_of(out);
      if (in_arena[static_cast<size_t>(t)]) touch(t, p);
    }
  }
  auto pin = [&](int id) {
    const int t = program.storage_of(id);
    if (!in_arena[static_cast<size_t>(t)]) return;
    touch(t, std::max(positions - 1, 0));
    life[static_cast<size_t>(t)].pinned_end = true;
  };
  for (int out : program.outputs) pin(out);
  for (int out : program.integer_outputs) pin(out);
  for (size_t t = 0; t < program.tensors.size(); ++t)
    if (program.tensors[t].kind == IntTensorKind::kOutput) pin(static_cast<int>(t));
  return life;
}

PlanBuffers collect_buffers(const IntegerProgram& program, const std::vector<int>& order,
                            const ArenaPlanOptions& options) {
  PlanBuffers b;
  b.positions = static_cast<int>(order.size());
  b.buffer_of_tensor.assign(program.tensors.size(), -1);
  b.buffer_of_scratch.assign(program.steps.size(), -1);
  const std::vector<Lifetime> life = tensor_lifetimes(program, order, options);
  for (size_t t = 0; t < program.tensors.size(); ++t) {
    if (life[t].first < 0) continue;
    PlanBuffer buf;
    buf.bytes = program.tensors[t].bytes();
    buf.first = life[t].first;
    buf.last = life[t].last;
    buf.tensors = {static_cast<int>(t)};
    b.buffer_of_tensor[t] = static_cast<int>(b.buffers.size());
    b.buffers.push_back(std::move(buf));
  }
  for (int p = 0; p < b.positions; ++p) {
    const int s = order[static_cast<size_t>(p)];
    const IntegerStep& step = program.steps[static_cast<size_t>(s)];
    if (step.scratch_bytes > 0) {
      PlanBuffer buf;
      buf.bytes = step.scratch_bytes;
      buf.first = buf.last = p;
      buf.scratch_step = s;
      b.buffer_of_scratch[static_cast<size_t>(s)] = static_cast<int>(b.buffers.size());
      b.buffers.push_back(std::move(buf));
    }
    if (!options.in_place || !family_allows_in_place(step.family) || step.outputs.size() != 1) continue;
    // The output joins the buffer of an activation input that dies here (not an output that must
    // survive, same bytes); the kernel then writes over the input it reads.
    const int out = program.storage_of(step.outputs[0]);
    const int out_buf = b.buffer_of_tensor[static_cast<size_t>(out)];
    if (out_buf < 0 || b.buffers[static_cast<size_t>(out_buf)].tensors.size() != 1) continue;
    const size_t activations = step.family == TOPT_FAMILY_add_s8 ? 2 : 1;
    for (size_t i = 0; i < std::min(activations, step.inputs.size()); ++i) {
      const int in = program.storage_of(step.inputs[i]);
      const int in_buf = b.buffer_of_tensor[static_cast<size_t>(in)];
      if (in_buf < 0 || in_buf == out_buf || life[static_cast<size_t>(in)].pinned_end) continue;
      PlanBuffer& ib = b.buffers[static_cast<size_t>(in_buf)];
      if (ib.last != p || ib.bytes != program.tensors[static_cast<size_t>(out)].bytes()) continue;
      PlanBuffer& ob = b.buffers[static_cast<size_t>(out_buf)];
      ib.last = ob.last;
      ib.tensors.push_back(out);
      ob.tensors.clear();
      ob.bytes = 0;  // left empty; removed below
      b.buffer_of_tensor[static_cast<size_t>(out)] = in_buf;
      ++b.in_place_merges;
      break;
    }
  }
  if (b.in_place_merges > 0) {  // drop the emptied buffers and renumber
    std::vector<int> renumber(b.buffers.size(), -1);
    std::vector<PlanBuffer> kept;
    for (size_t i = 0; i < b.buffers.size(); ++i) {
      if (b.buffers[i].tensors.empty() && b.buffers[i].scratch_step < 0) continue;
      renumber[i] = static_cast<int>(kept.size());
      kept.push_back(std::move(b.buffers[i]));
    }
    b.buffers = std::move(kept);
    for (int& id : b.buffer_of_tensor)
      if (id >= 0) id = renumber[static_cast<size_t>(id)];
    for (int& id : b.buffer_of_scratch)
      if (id >= 0) id = renumber[static_cast<size_t>(id)];
  }
  return b;
}

size_t live_lower_bound(const PlanBuffers& b, size_t alignment) {
  size_t best = 0;
  for (int p = 0; p < b.positions; ++p) {
    size_t sum = 0, max_pad = 0;
    for (const PlanBuffer& buf : b.buffers) {
      if (buf.first > p || buf.last < p || buf.bytes == 0) continue;
      const size_t aligned = align_up(buf.bytes, alignment);
      sum += aligned;
      max_pad = std::max(max_pad, aligned - buf.bytes);
    }
    best = std::max(best, sum - max_pad);
  }
  return best;
}

size_t naive_bytes(const IntegerProgram& program, const ArenaPlanOptions& options) {
  size_t sum = 0;
  for (size_t t = 0; t < program.tensors.size(); ++t)
    if (tensor_in_arena(program, static_cast<int>(t), options)) sum += align_up(program.tensors[t].bytes(), options.alignment);
  for (const IntegerStep& s : program.steps) sum += align_up(s.scratch_bytes, options.alignment);
  return sum;
}

}  // namespace tinyopt::detail
