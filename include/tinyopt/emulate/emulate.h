// `tinyopt emulate`: build a generated C project (tinyopt codegen) for an emulated device, run real samples
// through it under qemu, and report what the device computed and what it cost — every output byte
// compared with the host (the integer executor, or the same project built for the host when only the
// folder is given), instructions per inference and per kernel call (the qemu plugin), flash and RAM of the
// model (from the linker map, without the harness and C library) and the stack it used (painting).
// Steps: 1. codegen into a temporary folder (MODEL) or read DIR/manifest.json; 2. quantize the samples
// with the model's input parameters (the runtime's own quantize kernel, as the host executor does);
// 3. build model + firmware/drivers/model_main.c + harness; 4. run with the plugin; 5. run the host
// reference on the same samples; 6. compare and measure. Not a cycle model: QEMU counts instructions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/core/tensor.h"

namespace tinyopt {

struct EmulateOptions {
  std::string target = "cortex-m4";  // cortex-m4 | cortex-m7 | rpi4 | rpi5 (emu_platform_names())
  std::string data;                  // --data spec; "" = seeded random inputs in [0, 1)
  bool train_split = false;          // samples from the train split instead of test
  int64_t samples = 10;              // the first N of `data` (or of `inputs`), or N random inputs
  uint64_t seed = 1;         // for random inputs
  // Float samples (N, ...input shape without batch) to run instead of `data`: for callers that already
  // hold their data (the optimize pipeline). Labels: `labels` (may be empty).
  std::optional<Tensor> inputs;
  std::vector<int32_t> labels;
  // Reference kernels only (no dsp / neon variants): the baseline the optimized kernels are measured
  // against. Model emulation only (a project folder's kernels were chosen when it was generated).
  bool reference_kernels = false;
  std::string keep_dir;      // "" = build in a temporary folder removed afterwards; else keep it here
};

// One kernel call of tinyopt_model_invoke, in execution order.
struct EmulatedLayer {
  int step = 0;                    // the i of TINYOPT_STEP_BEGIN(i) (manifest.json "step")
  std::string kernel, family;      // "topt_conv2d_s8__dsp", "conv2d_s8"
  std::vector<std::string> nodes;  // IR nodes it implements
  int64_t macs = 0;
  double instructions = 0;         // mean over the samples
  double instructions_per_mac() const { return macs > 0 ? instructions / static_cast<double>(macs) : 0.0; }
};

struct EmulateResult {
  std::string target, model;    // model: the file or folder emulated
  std::string reference;        // "integer executor" or "host build of the project"
  int64_t samples = 0;
  int64_t mismatches = 0;        // samples whose output differs from the host in any byte
  int64_t mismatched_bytes = 0;
  std::vector<uint8_t> identical;  // per sample: 1 when every output byte equals the reference's
  std::optional<double> accuracy;  // device top-1 accuracy when the data has labels
  double instructions_per_inference = 0;  // mean over samples
  uint64_t instructions_min = 0, instructions_max = 0;
  int64_t macs = 0;
  std::vector<EmulatedLayer> layers;
  // Sizes of the model alone (model.c + the runtime files it calls), from the linker map after gc:
  int64_t flash_bytes = 0;     // text + rodata + data image
  int64_t ram_bytes = 0;       // data + bss (arena included) + stack_bytes
  int64_t text_bytes = 0, rodata_bytes = 0, data_bytes = 0, bss_bytes = 0;
  int64_t stack_bytes = 0;     // peak over samples, measured by painting
  int64_t arena_bytes = 0;     // the planner's arena (part of bss)
  int64_t arena_used_bytes = 0;  // highest arena byte an inference wrote, + 1 (painting; <= arena_bytes)
  int64_t weight_bytes = 0;    // constant weight and bias tensors (codegen's count)
  // Per-channel requantization multipliers and shifts (int32 each) as linked: model data derived from
  // the weight scales (TFLite Micro keeps the scales in the model file, not in its interpreter).
  int64_t requant_bytes = 0;
  // flash_bytes - weight_bytes - requant_bytes: the runtime's price (kernel code, the invoke function,
  // the per-step params structs)
  int64_t code_overhead_bytes = 0;
  std::vector<std::string> kernels;
};

// THE entry point for library callers (the CLI, optimize, benchmarks): emulates a quantized model —
// codegen for the target (load_target(options.target)), then as emulate_project, with the integer
// executor on the same samples as the reference. Throws Error(kBadInput) for a float model, unsupported graphs,
// missing tools (naming them), build failures, a guest fault; Error(kUsage) for an unknown target.
EmulateResult emulate_model(const Graph& qdq, const std::string& model_name, const EmulateOptions& options);

// Emulates a generated project folder (DIR/manifest.json). The reference is the same project built for
// and run on the host. Random inputs unless options.data is given (its samples must have the model's
// input size).
EmulateResult emulate_project(const std::string& dir, const EmulateOptions& options);

}  // namespace tinyopt
