// Greedy placement of buffers with lifetimes, and the search over priorities (placement.h).
#include "plan/placement.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace tinyopt::detail {
namespace {

bool live_together(const PlanBuffer& a, const PlanBuffer& b) {
  return intervals_overlap(a.first, int64_t{a.last} + 1, b.first, int64_t{b.last} + 1);
}

// Buffer indices sorted by `less`, ties by index (stable).
template <class Less>
std::vector<int> sorted_priority(const std::vector<PlanBuffer>& buffers, Less less) {
  std::vector<int> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return less(buffers[static_cast<size_t>(a)], buffers[static_cast<size_t>(b)]);
  });
  return order;
}

int64_t span(const PlanBuffer& b) { return int64_t{b.last} - b.first + 1; }

}  // namespace

Placement place_buffers(const std::vector<PlanBuffer>& buffers, const std::vector<int>& priority, size_t alignment,
                        bool best_fit) {
  Placement out;
  out.offset.assign(buffers.size(), -1);
  std::vector<int> placed;  // kept sorted by offset
  std::vector<int> conflicts;
  for (int id : priority) {
    const PlanBuffer& b = buffers[static_cast<size_t>(id)];
    const int64_t size = static_cast<int64_t>(b.bytes);
    conflicts.clear();
    for (int q : placed)
      if (live_together(b, buffers[static_cast<size_t>(q)])) conflicts.push_back(q);
    // Walk the gaps between the conflicting buffers, lowest offset first.
    int64_t candidate = 0, chosen = -1, chosen_gap = std::numeric_limits<int64_t>::max();
    for (int q : conflicts) {
      const int64_t q_begin = out.offset[static_cast<size_t>(q)];
      const int64_t q_end = q_begin + static_cast<int64_t>(buffers[static_cast<size_t>(q)].bytes);
      if (q_begin >= candidate + size) {
        const int64_t gap = q_begin - candidate;
        if (!best_fit) {
          chosen = candidate;
          break;
        }
        if (gap < chosen_gap) chosen = candidate, chosen_gap = gap;
      }
      candidate = std::max(candidate, static_cast<int64_t>(align_up(static_cast<size_t>(q_end), alignment)));
    }
    if (chosen < 0) chosen = candidate;
    out.offset[static_cast<size_t>(id)] = chosen;
    out.arena_bytes = std::max(out.arena_bytes, static_cast<size_t>(chosen + size));
    const auto at = std::upper_bound(placed.begin(), placed.end(), chosen,
                                     [&](int64_t off, int q) { return off < out.offset[static_cast<size_t>(q)]; });
    placed.insert(at, id);
  }
  return out;
}

Placement place_greedy_by_size(const std::vector<PlanBuffer>& buffers, size_t alignment) {
  const std::vector<int> priority = sorted_priority(buffers, [](const PlanBuffer& a, const PlanBuffer& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    return a.first < b.first;
  });
  Placement p = place_buffers(buffers, priority, alignment, false);
  p.heuristic = "greedy-by-size first-fit";
  return p;
}

Placement place_searching(const std::vector<PlanBuffer>& buffers, size_t alignment, size_t lower_bound,
                          int move_budget) {
  const auto by_size = [](const PlanBuffer& a, const PlanBuffer& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.first < b.first;
  };
  struct Heuristic {
    const char* name;
    std::vector<int> priority;
  };
  const std::vector<Heuristic> heuristics = {
      {"greedy-by-size", sorted_priority(buffers, by_size)},
      {"size, longest first", sorted_priority(buffers, [](const PlanBuffer& a, const PlanBuffer& b) {
         return a.bytes != b.bytes ? a.bytes > b.bytes : span(a) > span(b);
       })},
      {"lifetime", sorted_priority(buffers, [](const PlanBuffer& a, const PlanBuffer& b) {
         return span(a) != span(b) ? span(a) > span(b) : a.bytes > b.bytes;
       })},
      {"size x lifetime", sorted_priority(buffers, [](const PlanBuffer& a, const PlanBuffer& b) {
         return static_cast<double>(a.bytes) * static_cast<double>(span(a)) >
                static_cast<double>(b.bytes) * static_cast<double>(span(b));
       })},
      {"first use", sorted_priority(buffers, [](const PlanBuffer& a, const PlanBuffer& b) {
         return a.first != b.first ? a.first < b.first : a.bytes > b.bytes;
       })},
  };
  Placement best;
  std::vector<int> best_priority;
  bool best_fit_mode = false;
  for (const Heuristic& h : heuristics) {
    for (bool fit : {false, true}) {
      Placement p = place_buffers(buffers, h.priority, alignment, fit);
      if (!best_priority.empty() && p.arena_bytes >= best.arena_bytes) continue;
      best = std::move(p);
      best.heuristic = std::string(h.name) + (fit ? " best-fit" : " first-fit");
      best_priority = h.priority;
      best_fit_mode = fit;
      if (best.arena_bytes <= lower_bound) return best;
    }
  }
  // Local search: move one buffer to the front of the winning priority while that helps.
  const std::string base = best.heuristic;
  bool improved = true;
  int moves = 0;
  while (improved && moves < move_budget) {
    improved = false;
    for (size_t i = 1; i < best_priority.size() && moves < move_budget; ++i) {
      std::vector<int> trial = best_priority;
      std::rotate(trial.begin(), trial.begin() + static_cast<std::ptrdiff_t>(i),
                  trial.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      Placement p = place_buffers(buffers, trial, alignment, best_fit_mode);
      ++moves;
      if (p.arena_bytes < best.arena_bytes) {
        best = std::move(p);
        best.heuristic = base + " + local moves";
        best_priority = std::move(trial);
        improved = true;
        if (best.arena_bytes <= lower_bound) return best;
      }
    }
  }
  return best;
}

}  // namespace tinyopt::detail
