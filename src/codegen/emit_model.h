// model.h / model.c of a generated project: the text of the model's C API and its implementation from an
// IntegerProgram whose kernels were chosen for the target (tinyopt/target/kernel_choice.h) and its arena plan.
//
// model.c holds the constant tensors (static const, aligned, in flash), one static const params struct
// per step, one static arena, and tinyopt_model_invoke(): the quantized input copied into the arena (the
// caller's NCHW order converted to the runtime's NHWC where they differ), then one kernel call per step in
// the plan's order with constant pointers (arena + offset, or a weight array), each wrapped in
// TINYOPT_STEP_BEGIN(i) / TINYOPT_STEP_END(i) and followed by a status check, then the integer output
// copied out (NHWC -> NCHW); tinyopt_model_invoke_checked() checks the buffers' lengths first (for input
// from outside the firmware). The graph's boundary quantize / dequantize steps run only in the float
// helpers (tinyopt_model_quantize_input / _dequantize_output / _invoke_f32), never in the int8 path.
// Not here: choosing kernels, planning memory, files and formats (codegen.cpp, project_formats.cpp).
#pragma once

#include <string>
#include <vector>

#include "tinyopt/codegen/codegen.h"
#include "tinyopt/exec/integer_program.h"
#include "tinyopt/plan/arena_plan.h"

namespace tinyopt::codegen {

// The graph boundary of a program with one float input and one float output (tensor / step ids).
struct ModelBoundary {
  int float_input = -1, quantize_step = -1, int_input = -1;
  int int_output = -1, dequantize_step = -1, float_output = -1;
};

// Throws Error(kBadInput) when the program has more than one input or output, or its input is not
// quantized by exactly one quantize step, or its output is not an int8 tensor dequantized by one step.
ModelBoundary find_boundary(const IntegerProgram& program);

struct ModelSources {
  std::string header, source;        // model.h, model.c
  std::vector<CodegenStep> steps;    // the kernel calls of tinyopt_model_invoke, in order
  std::vector<std::string> kernels;  // every kernel model.c calls (the boundary ones too), sorted
  int64_t weight_bytes = 0, params_bytes = 0;
};

// `title` names the model and target in the files' opening comments.
ModelSources emit_model(const IntegerProgram& program, const ArenaPlan& plan, const ModelBoundary& boundary,
                        const std::string& title);

}  // namespace tinyopt::codegen
