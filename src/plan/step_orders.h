// Candidate execution orders for the memory planner: topological orders of a program's steps (a step runs
// after the steps that write what it reads). The arena a plan needs depends on the order when the graph
// branches (residual blocks, concats): running the cheaper branch first, or finishing a branch before
// starting the next, changes what is live together. Not here: judging an order (arena_plan.cpp does,
// by planning each one).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tinyopt/exec/integer_program.h"

namespace tinyopt::detail {

struct StepOrder {
  std::vector<int> steps;
  std::string how;  // "program order", "memory-greedy", "depth-first", "sampled 7"
};

// The program's own order first, then (deduplicated, at most max_orders in all): the memory-greedy list
// schedule (among ready steps, the one that leaves the fewest live bytes), depth-first (prefer a step
// reading what was just written), and orders sampled with a fixed seed. A chain yields exactly one.
// `deps` is step_dependencies(program).
std::vector<StepOrder> candidate_orders(const IntegerProgram& program, const std::vector<std::vector<int>>& deps,
                                        size_t max_orders);

}  // namespace tinyopt::detail
