// Offsets for a set of buffers with lifetimes (plan_buffers.h): place them one at a time, in a priority
// order, at the lowest offset (first fit) or into the tightest gap (best fit) that does not overlap any
// already-placed buffer live at the same time. Greedy by size with first fit is TFLite Micro's
// GreedyMemoryPlanner; the other priorities and the local search exist because it is not optimal.
// Not here: which step order or which in-place merges (arena_plan.cpp decides).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan_buffers.h"

namespace tinyopt::detail {

struct Placement {
  std::vector<int64_t> offset;  // per buffer
  size_t arena_bytes = 0;
  std::string heuristic;        // e.g. "size first-fit"
};

// Places buffers in `priority` order (every buffer index once).
Placement place_buffers(const std::vector<PlanBuffer>& buffers, const std::vector<int>& priority, size_t alignment,
                        bool best_fit);

// The baseline: largest first (ties: earlier first use, then index), first fit.
Placement place_greedy_by_size(const std::vector<PlanBuffer>& buffers, size_t alignment);

// The baseline plus other priorities (lifetime length, size x lifetime, first use) with first and best
// fit, then local moves (one buffer to the front of the priority) while they shrink the arena, at most
// `move_budget` placements; stops early at `lower_bound`. Deterministic.
Placement place_searching(const std::vector<PlanBuffer>& buffers, size_t alignment, size_t lower_bound,
                          int move_budget);

}  // namespace tinyopt::detail
