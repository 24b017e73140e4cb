// The memory planner's view of a program run in one step order: which tensors need arena memory, which
// steps need scratch, and the lifetime of each as an inclusive range of positions in the order. In-place
// steps (the runtime families whose contract lets the output alias an input: add, clamp, hard-swish)
// merge their output into the input that dies there, so the two share one buffer.
// This is the planner's internal description; the result the rest of tinyopt sees is ArenaPlan
// (include/tinyopt/plan/arena_plan.h). It knows nothing about offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tinyopt/exec/integer_program.h"
#include "tinyopt/plan/arena_plan.h"

namespace tinyopt::detail {

// Half-open ranges [a_begin, a_end) and [b_begin, b_end) share at least one point. Used for both time
// (positions) and space (bytes); empty ranges overlap nothing.
bool intervals_overlap(int64_t a_begin, int64_t a_end, int64_t b_begin, int64_t b_end);

inline size_t align_up(size_t n, size_t alignment) { return (n + alignment - 1) / alignment * alignment; }

// True for the families whose kernels may write their output over an input (tinyopt_rt.h contracts).
bool family_allows_in_place(topt_family family);

struct PlanBuffer {
  size_t bytes = 0;
  int first = 0, last = 0;    // live positions, inclusive
  std::vector<int> tensors;   // storage-owning tensors sharing this buffer (more than one after in-place)
  int scratch_step = -1;      // >= 0: the scratch of this step (then `tensors` is empty)
};

struct PlanBuffers {
  std::vector<PlanBuffer> buffers;
  std::vector<int> buffer_of_tensor;  // per tensor id (storage owners only), -1 when not in the arena
  std::vector<int> buffer_of_scratch; // per step id, -1 when the step needs no scratch
  int positions = 0;
  int in_place_merges = 0;
};

// Tensors the arena holds: non-constant storage owners with bytes, except float graph inputs / outputs
// unless options.place_float_boundary.
bool tensor_in_arena(const IntegerProgram& program, int tensor, const ArenaPlanOptions& options);

// Checks the program's own step order (every read tensor written earlier or a graph input, one writer per
// tensor) and returns, per step, the steps it depends on. Throws Error(kInternal) otherwise.
std::vector<std::vector<int>> step_dependencies(const IntegerProgram& program);

// Per tensor id (storage owners in the arena): its live range in `order`, {-1, -1} when it has none.
// Graph inputs are live from position 0, graph and integer outputs to the last position.
struct Lifetime {
  int first = -1, last = -1;
  bool pinned_end = false;  // must survive the whole run (an output)
};
std::vector<Lifetime> tensor_lifetimes(const IntegerProgram& program, const std::vector<int>& order,
                                       const ArenaPlanOptions& options);

// Buffers of `program` run in `order`; in-place merges when options.in_place.
PlanBuffers collect_buffers(const IntegerProgram& program, const std::vector<int>& order,
                            const ArenaPlanOptions& options);

// max over positions of the bytes live there: the sum of aligned sizes minus the largest alignment
// padding among them (the last buffer needs no padding), which no placement can beat.
size_t live_lower_bound(const PlanBuffers& b, size_t alignment);

// Every buffer side by side (aligned), without in-place merges.
size_t naive_bytes(const IntegerProgram& program, const ArenaPlanOptions& options);

}  // namespace tinyopt::detail
