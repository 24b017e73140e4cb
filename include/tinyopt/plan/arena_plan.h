// ArenaPlan: where every integer activation and every kernel's scratch lives in one static arena, and in
// which order the steps run. Computed from an IntegerProgram (include/tinyopt/exec/integer_program.h)
// alone, so the host executor, the C code generator and the cost model all see the same plan.
//
// What it is not: it does not allocate, and it does not change the program; a caller that honours
// `order`, `offset` and `scratch_offset` gets the memory it needs and nothing overlaps while live.
//
// Lifetimes run over positions in `order`: a tensor is live from the step that writes it to the last step
// that reads it (a view extends its owner's life); graph inputs are live from position 0 and integer
// outputs to the end. Constants (weights, bias) are not in the arena: they live in flash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/exec/integer_program.h"

namespace tinyopt {

struct ArenaPlanOptions {
  size_t alignment = 16;        // every offset is a multiple of this (SIMD loads, DMA)
  bool in_place = true;         // let elementwise steps whose kernel allows it write over a dying input
  bool search_order = true;     // try other topological orders of the steps and keep the smallest arena
  // Try several placement priorities (and best fit) besides greedy-by-size first-fit, and improve the
  // best by local moves. false = exactly the baseline: TFLite Micro's GreedyMemoryPlanner algorithm.
  bool search_placement = true;
  // Float boundary tensors (IntTensorKind::kInput / kOutput with dtype kF32) belong to the caller and are
  // not placed unless this is set.
  bool place_float_boundary = false;
};

struct ArenaPlan {
  std::vector<int> order;                 // step indices into program.steps, in the order to run them
  std::vector<int64_t> offset;            // per tensor id: byte offset in the arena, -1 when not in it
                                          // (constants, unplaced boundary tensors); a view has its owner's
  std::vector<int64_t> scratch_offset;    // per step id: offset of its scratch, -1 when it needs none
  size_t arena_bytes = 0;                 // the arena size this plan needs (activations + scratch)
  size_t naive_bytes = 0;                 // every placed tensor and scratch buffer side by side
  size_t lower_bound_bytes = 0;           // max over steps of the bytes live at that step (any plan needs it)
  std::string strategy;                   // which heuristic won, e.g. "greedy-by-size, order 3 of 12"
};

// Throws Error(kInternal) if the program is not a valid step order (a step reads a tensor nobody wrote).
ArenaPlan plan_arena(const IntegerProgram& program, const ArenaPlanOptions& options = {});

// Checks that no two tensors (or scratch buffers) that are live at the same position overlap, that each
// fits inside arena_bytes and is aligned; returns a description of the first violation, or "" when valid.
// Tests and the code generator call it; the planner's own result must always pass.
std::string check_arena_plan(const IntegerProgram& program, const ArenaPlan& plan, size_t alignment);

}  // namespace tinyopt
