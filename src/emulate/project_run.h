// The pieces emulate_model and emulate_project share: reading a generated project's manifest.json,
// quantizing samples, building and running the project with firmware/drivers/model_main.c on one
// platform, and turning a device run plus reference outputs into an EmulateResult.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "emulate/link_map.h"
#include "tinyopt/core/tensor.h"
#include "tinyopt/emulate/emu_platform.h"
#include "tinyopt/emulate/emulate.h"

namespace tinyopt::emulate {

struct ProjectManifest {
  std::string dir;                                  // absolute
  std::vector<std::string> sources, include_dirs;   // absolute
  std::vector<EmulatedLayer> steps;                 // execution order, instructions 0
  int64_t input_size = 0, output_size = 0;
  float input_scale = 1.0f;
  int32_t input_zero_point = 0;
  int64_t weight_bytes = 0, arena_bytes = 0;
  std::vector<std::string> kernels;
};

// Throws Error(kBadInput) naming the file when DIR/manifest.json is missing or not a codegen manifest.
ProjectManifest read_manifest(const std::string& dir);

// float samples (N, ...) -> N * input_size int8 bytes, with the runtime's quantize kernel.
std::string quantize_samples(const Tensor& x, float scale, int32_t zero_point, int64_t input_size);

struct ProjectRun {
  std::string outputs;                             // samples * output_size int8 bytes
  std::vector<uint64_t> inference_instructions;    // per sample (empty on the host)
  std::vector<std::vector<uint64_t>> layer_instructions;  // per sample, per step
  int64_t stack_bytes = 0;                         // peak over samples
  int64_t arena_used_bytes = 0;                    // arena high-water mark, peak over samples
  ObjectSizes model;                               // the project's objects, from the linker map
};

// Builds DIR's sources + model_main.c for `platform` in work_dir, runs it on `inputs` (whole samples),
// reads outputs, counts and sizes. Throws Error(kBadInput) on a build failure or a failing run.
ProjectRun run_project(const EmuPlatform& platform, const ProjectManifest& project, const std::string& inputs,
                       const std::string& work_dir);

// Fills samples, mismatches, accuracy, instructions, layers and sizes of `result` from a device run and
// the reference outputs (same layout); labels may be empty.
void summarize(const ProjectManifest& project, const ProjectRun& device, const std::string& reference_outputs,
               const std::vector<int32_t>& labels, EmulateResult& result);

}  // namespace tinyopt::emulate
