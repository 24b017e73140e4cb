// Code generation: a quantized (QDQ) model + a Target -> a self-contained C99 project (model.h / model.c,
// the runtime/ kernel files the model calls, build files for one packaging format, an example main.c).
//
// Steps (src/codegen/codegen.cpp):
//   1. lower_qdq_graph (the integer executor's own lowering: kernel layouts, multipliers, scratch sizes);
//   2. re-pick every step's kernel variant for the target (retarget_program, tinyopt/target/kernel_choice.h);
//   3. plan_arena over the retargeted program, checked with check_arena_plan;
//   4. emit model.h / model.c: weights and params as static const, one static arena, straight-line kernel
//      calls in the plan's order, each wrapped in TINYOPT_STEP_BEGIN(i) / TINYOPT_STEP_END(i);
//   5. copy the runtime files those kernels need, add the format's build files and manifest.json;
//   6. write the whole folder atomically (a temporary folder beside it, then rename).
// The generated code has no malloc, no interpreter and no float in the int8 path; float appears only in
// the boundary helpers (tinyopt_model_quantize_input / _dequantize_output / _invoke_f32).
// docs/codegen.md describes the generated project. This is not a compiler driver: it never runs the
// cross compiler (tests and `tinyopt emulate` do).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/core/tensor.h"
#include "tinyopt/plan/arena_plan.h"
#include "tinyopt/target/target.h"

namespace tinyopt {

enum class CodegenFormat { kMake, kCmake, kEspIdf, kArduino, kZephyr };

// "make", "cmake", "esp-idf", "arduino", "zephyr"; parse throws Error(kUsage) listing the formats.
std::string codegen_format_name(CodegenFormat format);
CodegenFormat parse_codegen_format(const std::string& name);
std::vector<std::string> codegen_format_names();

// The target `--target host` names: the host's `cc`, no target flags, no emulator, reference kernels.
Target host_target();

struct CodegenOptions {
  CodegenFormat format = CodegenFormat::kMake;
  // One float sample (the graph input's shape with batch 1, or batch N: the first sample is used) that
  // main.c embeds, quantized. Empty: main.c embeds the input zero point everywhere (an all-"zero" input).
  std::optional<Tensor> sample_input;
  ArenaPlanOptions plan;
  // Folder holding runtime/ (include/, ref/, arm_dsp/, ...). Empty: $TINYOPT_RUNTIME_DIR, else the
  // source tree's runtime/ this binary was built from.
  std::string runtime_dir;
};

// One kernel call of the generated model.c, in the order it runs.
struct CodegenStep {
  int step = 0;                // index into the IntegerProgram's steps; the i of TINYOPT_STEP_BEGIN(i)
  std::string kernel;          // "topt_conv2d_s8__ref"
  std::string family;          // "conv2d_s8"
  std::vector<std::string> nodes;  // IR nodes it implements
  int64_t macs = 0;
  int64_t weight_bytes = 0;
  size_t scratch_bytes = 0;
};

// Everything a caller (the CLI, `tinyopt emulate`, tests) needs to know about the generated project.
struct CodegenResult {
  std::string dir;                       // the folder written
  std::string target;                    // target name
  CodegenFormat format = CodegenFormat::kMake;
  std::vector<std::string> files;        // every file written, relative to dir, sorted
  // The C sources of the model (model.c and the runtime files), relative to dir, without the example;
  // the same list as manifest.json "sources" and the Makefile's MODEL_SRCS (make format).
  std::vector<std::string> sources;
  std::vector<std::string> include_dirs;  // relative to dir ("." for the folder itself)
  std::string example;                    // the example program's source, relative to dir
  std::vector<CodegenStep> steps;         // kernel calls of tinyopt_model_invoke, in order
  std::vector<std::string> kernels;       // distinct kernel names used, sorted
  int64_t input_size = 0, output_size = 0;  // int8 elements of the quantized input / output
  float input_scale = 1.0f, output_scale = 1.0f;
  int32_t input_zero_point = 0, output_zero_point = 0;
  int64_t weight_bytes = 0;   // constant tensors (weights, biases) in flash
  int64_t params_bytes = 0;   // per-channel multipliers / shifts and other per-step constant arrays
  size_t arena_bytes = 0, arena_naive_bytes = 0, arena_lower_bound_bytes = 0;
  std::string plan_strategy;
};

// Generates the project for `qdq` (a quantized graph with one input and one int8 output) into `out_dir`.
// Throws Error(kBadInput) for a float model ("run `tinyopt quantize` first"), a graph the integer runtime
// cannot lower, more than one input or output, or an int16 graph output; Error(kBadInput) naming the
// path when out_dir exists and is not a previously generated project, or cannot be written (nothing is
// left behind).
CodegenResult generate_c_project(const Graph& qdq, const Target& target, const std::string& out_dir,
                                 const CodegenOptions& options = {});

}  // namespace tinyopt
