// Programs for the memory planner tests: random DAG-shaped IntegerPrograms (only what the planner reads:
// tensors with sizes, kinds and views, steps with families, inputs, outputs and scratch; the kernel
// parameters are left default, so these programs are planned, never run), the built-in architectures
// quantized by the product's PTQ, and a runner that executes a program from ONE arena at a plan's offsets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/exec/integer_program.h"
#include "tinyopt/plan/arena_plan.h"

namespace tinyopt::testing {

// A float input, a quantize step, then `steps` random steps (conv-like with scratch, add, clamp, concat,
// views) reading earlier tensors, a dequantize step of the last one.
IntegerProgram random_program(uint32_t seed, int steps);

// build_architecture(name, width) quantized int8 by int8_version (cost_model.h: PTQ on noise; the plan
// depends only on shapes).
Graph quantized_architecture(const std::string& name, float width = 1.0f);

// Runs `samples` samples through `program` with every activation and scratch buffer inside one arena at
// `plan`'s offsets (float boundary tensors in their own buffers), calling the runtime kernels directly.
// Before each step every arena byte not holding a tensor that must survive is overwritten with random
// bytes, so a plan that lets two live tensors share memory changes the result. Returns, per sample, the
// bytes of the graph outputs (float, NCHW) followed by those of the integer outputs (NCHW order), in the
// order IntegerExecutor::run and run_integer return them.
std::vector<std::vector<std::vector<uint8_t>>> run_from_arena(const IntegerProgram& program, const ArenaPlan& plan,
                                                            const std::vector<Tensor>& inputs);

}  // namespace tinyopt::testing
