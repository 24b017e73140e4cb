// plan_arena and check_arena_plan (include/tinyopt/plan/arena_plan.h).
//
// Algorithm of plan_arena:
//  1. Check the program's own order and derive, per step, the steps it depends on (what it reads).
//  2. Candidate orders: the program order; with search_order also the memory-greedy list schedule,
//     depth-first, and up to kMaxOrders orders sampled with a fixed seed (deduplicated; a chain has one).
//  3. Per order: lifetimes over positions (graph inputs from 0, outputs to the end, a view's reads count
//     for its owner), one buffer per arena tensor and per step scratch (live at its step only); with
//     in_place, an add / clamp / hard-swish output joins the input buffer that dies at that step.
//  4. Lower bound of the order: max over positions of the live bytes (plan_buffers.h).
//  5. Placement: greedy by size with first fit (TFLite Micro's GreedyMemoryPlanner); with
//     search_placement also other priorities, best fit and local moves (placement.h), stopping at the
//     lower bound.
//  6. Keep the order with the smallest arena (ties: the earlier candidate, so the program order wins
//     when nothing beats it); with in_place the program order without in-place is a candidate too, so
//     the result never loses to the plain greedy plan. Offsets of views are their owner's.
// Every step is deterministic, so the same program and options give the same plan.
#include "tinyopt/plan/arena_plan.h"

#include <algorithm>
#include <fmt/format.h>

#include "plan/placement.h"
#include "plan/plan_buffers.h"
#include "plan/step_orders.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

constexpr size_t kMaxOrders = 48;
constexpr int kMoveBudget = 400;  // placements of the local search per order

}  // namespace

ArenaPlan plan_arena(const IntegerProgram& program, const ArenaPlanOptions& options) {
  if (options.alignment == 0) throw_internal("memory planner: alignment must be at least 1");
  const std::vector<std::vector<int>> deps = detail::step_dependencies(program);
  const std::vector<detail::StepOrder> orders =
      detail::candidate_orders(program, deps, options.search_order ? kMaxOrders : 1);
  // Candidates: each order with the requested in-place setting; with in_place, also the program order
  // without it, so the result is never worse than the plain greedy plan of the program order.
  struct Candidate {
    size_t order;
    bool in_place;
  };
  std::vector<Candidate> candidates;
  for (size_t k = 0; k < orders.size(); ++k) candidates.push_back({k, options.in_place});
  if (options.in_place) candidates.push_back({0, false});
  ArenaPlan best;
  detail::PlanBuffers best_buffers;
  detail::Placement best_place;
  size_t best_index = 0;
  for (size_t c = 0; c < candidates.size(); ++c) {
    ArenaPlanOptions o = options;
    o.in_place = candidates[c].in_place;
    const detail::StepOrder& order = orders[candidates[c].order];
    detail::PlanBuffers buffers = detail::collect_buffers(program, order.steps, o);
    const size_t lb = detail::live_lower_bound(buffers, options.alignment);
    detail::Placement place = options.search_placement
                                  ? detail::place_searching(buffers.buffers, options.alignment, lb, kMoveBudget)
                                  : detail::place_greedy_by_size(buffers.buffers, options.alignment);
    if (c > 0 && place.arena_bytes >= best.arena_bytes) continue;
    best.order = order.steps;
    best.arena_bytes = place.arena_bytes;
    best.lower_bound_bytes = lb;
    best_buffers = std::move(buffers);
    best_place = std::move(place);
    best_index = candidates[c].order;
  }
  best.naive_bytes = detail::naive_bytes(program, options);
  best.offset.assign(program.tensors.size(), -1);
  best.scratch_offset.assign(program.steps.size(), -1);
  for (size_t t = 0; t < program.tensors.size(); ++t) {
    const int buf = best_buffers.buffer_of_tensor[static_cast<size_t>(program.storage_of(static_cast<int>(t)))];
    if (buf >= 0) best.offset[t] = best_place.offset[static_cast<size_t>(buf)];
  }
  for (size_t s = 0; s < program.steps.size(); ++s) {
    const int buf = best_buffers.buffer_of_scratch[s];
    if (buf >= 0) best.scratch_offset[s] = best_place.offset[static_cast<size_t>(buf)];
  }
  best.strategy = fmt::format("{}, {} (order {} of {}), {} in-place", best_place.heuristic, orders[best_index].how,
                              best_index + 1, orders.size(), best_buffers.in_place_merges);
  return best;
}

namespace {

struct Item {
  int64_t first = 0, last = 0;  // live positions, inclusive
  int64_t offset = 0, bytes = 0;
  int tensor = -1, scratch_step = -1;
};

std::string describe(const IntegerProgram& program, const Item& it) {
  const std::string what =
      it.tensor >= 0 ? fmt::format("tensor '{}'", program.tensors[static_cast<size_t>(it.tensor)].name)
                     : fmt::format("scratch of step {} ({})", it.scratch_step,
                                   program.steps[static_cast<size_t>(it.scratch_step)].kernel);
  return fmt::format("{} (bytes [{}, {}), positions {}..{})", what, it.offset, it.offset + it.bytes, it.first, it.last);
}

// `a` and `b` may share memory: one is an activation input of an in-place step at position p that
// dies there, the other that step's output, at the same offset with the same size.
bool in_place_pair(const IntegerProgram& program, const std::vector<int>& order, const Item& a, const Item& b,
                   const std::vector<detail::Lifetime>& life) {
  if (a.tensor < 0 || b.tensor < 0 || a.offset != b.offset || a.bytes != b.bytes) return false;
  const Item& in = a.first <= b.first ? a : b;
  const Item& out = a.first <= b.first ? b : a;
  if (in.last != out.first || life[static_cast<size_t>(in.tensor)].pinned_end) return false;
  const IntegerStep& step = program.steps[static_cast<size_t>(order[static_cast<size_t>(out.first)])];
  if (!detail::family_allows_in_place(step.family) || step.outputs.size() != 1 ||
      program.storage_of(step.outputs[0]) != out.tensor)
    return false;
  const size_t activations = std::min<size_t>(step.family == TOPT_FAMILY_add_s8 ? 2 : 1, step.inputs.size());
  for (size_t i = 0; i < activations; ++i)
    if (program.storage_of(step.inputs[i]) == in.tensor) return true;
  return false;
}

}  // namespace

std::string check_arena_plan(const IntegerProgram& program, const ArenaPlan& plan, size_t alignment) {
  if (alignment == 0) return "alignment is 0";
  const size_t n_steps = program.steps.size(), n_tensors = program.tensors.size();
  if (plan.order.size() != n_steps) return fmt::format("order has {} steps, the program {}", plan.order.size(), n_steps);
  if (plan.offset.size() != n_tensors) return fmt::format("{} tensor offsets for {} tensors", plan.offset.size(), n_tensors);
  if (plan.scratch_offset.size() != n_steps)
    return fmt::format("{} scratch offsets for {} steps", plan.scratch_offset.size(), n_steps);
  std::vector<std::vector<int>> deps;
  try {
    deps = detail::step_dependencies(program);
  } catch (const Error& e) {
    return e.what();
  }
  std::vector<int> position(n_steps, -1);
  for (size_t p = 0; p < n_steps; ++p) {
    const int s = plan.order[p];
    if (s < 0 || static_cast<size_t>(s) >= n_steps || position[static_cast<size_t>(s)] >= 0)
      return fmt::format("order is not a permutation of the steps (position {} holds {})", p, s);
    position[static_cast<size_t>(s)] = static_cast<int>(p);
    for (int d : deps[static_cast<size_t>(s)])
      if (position[static_cast<size_t>(d)] < 0) return fmt::format("step {} runs before step {} it reads from", s, d);
  }
  ArenaPlanOptions all;
  all.place_float_boundary = true;
  const std::vector<detail::Lifetime> life = detail::tensor_lifetimes(program, plan.order, all);
  std::vector<Item> items;
  auto place_check = [&](const Item& it) -> std::string {
    if (it.offset % static_cast<int64_t>(alignment) != 0)
      return fmt::format("{} is not aligned to {}", describe(program, it), alignment);
    if (it.offset + it.bytes > static_cast<int64_t>(plan.arena_bytes))
      return fmt::format("{} ends past the arena ({} bytes)", describe(program, it), plan.arena_bytes);
    return "";
  };
  for (size_t t = 0; t < n_tensors; ++t) {
    const IntTensor& tensor = program.tensors[t];
    const int owner = program.storage_of(static_cast<int>(t));
    if (owner != static_cast<int>(t)) {
      if (plan.offset[t] != plan.offset[static_cast<size_t>(owner)])
        return fmt::format("view '{}' is at offset {}, its owner '{}' at {}", tensor.name, plan.offset[t],
                           program.tensors[static_cast<size_t>(owner)].name, plan.offset[static_cast<size_t>(owner)]);
      continue;
    }
    if (tensor.kind == IntTensorKind::kConstant) {
      if (plan.offset[t] != -1) return fmt::format("constant '{}' has an arena offset", tensor.name);
      continue;
    }
    if (life[t].first < 0 || tensor.bytes() == 0) continue;
    if (plan.offset[t] < 0) {
      const bool boundary = tensor.kind == IntTensorKind::kInput || tensor.kind == IntTensorKind::kOutput;
      if (boundary && tensor.dtype == DType::kF32) continue;  // the caller's buffer
      return fmt::format("tensor '{}' (live at positions {}..{}) has no offset", tensor.name, life[t].first, life[t].last);
    }
    Item it{life[t].first, life[t].last, plan.offset[t], static_cast<int64_t>(tensor.bytes()), static_cast<int>(t), -1};
    if (std::string e = place_check(it); !e.empty()) return e;
    items.push_back(it);
  }
  for (size_t s = 0; s < n_steps; ++s) {
    const size_t bytes = program.steps[s].scratch_bytes;
    if (bytes == 0) continue;
    if (plan.scratch_offset[s] < 0) return fmt::format("step {} ({}) needs scratch but has none", s, program.steps[s].kernel);
    const int p = position[s];
    Item it{p, p, plan.scratch_offset[s], static_cast<int64_t>(bytes), -1, static_cast<int>(s)};
    if (std::string e = place_check(it); !e.empty()) return e;
    items.push_back(it);
  }
  for (size_t i = 0; i < items.size(); ++i)
    for (size_t j = i + 1; j < items.size(); ++j) {
      const Item& a = items[i];
      const Item& b = items[j];
      if (!detail::intervals_overlap(a.first, a.last + 1, b.first, b.last + 1) ||
          !detail::intervals_overlap(a.offset, a.offset + a.bytes, b.offset, b.offset + b.bytes))
        continue;
      if (in_place_pair(program, plan.order, a, b, life)) continue;
      return fmt::format("{} overlaps {}", describe(program, a), describe(program, b));
    }
  return "";
}

}  // namespace tinyopt
