// The cost model: predicted latency, energy, flash and RAM of a quantized model on a target, per layer and
// in total (DESIGN.md section 5; `tinyopt estimate`, and the optimize pipeline's objective).
//
// Per step of the IntegerProgram: the kernel that runs on the target is the one codegen calls there
// (retarget_program, tinyopt/target/kernel_choice.h: dsp on Cortex-M with the DSP extension, neon on
// Cortex-A, ref where no optimized row accepts the step or its scratch would dominate the arena). Its cost
// comes from the first of these target.kernel_costs keys that exists, with <class> the step's kernel class
// (its family, or a shape class such as conv2d_1x1_s8 for pointwise convolutions) and <variant> the chosen
// kernel's: <class>/<variant>, <family>/<variant>, default/<variant>, <class>/ref, <family>/ref, default/ref. When that entry has instruction terms (fitted to emulated
// instruction counts of the kernel, docs/targets.md "Instruction terms"), then
//   instructions = sum over terms t of entry.instructions[t] * cost_terms(step)[t]
//   cycles       = entry.cycles_per_instruction * instructions   (calibrated to published MLPerf Tiny rows)
// else (targets without an emulator: a coarser per-MAC model from published figures)
//   cycles     = fixed_cycles + cycles_per_mac * MACs + cycles_per_byte * activation bytes read and written
//   latency_ms = sum(cycles) / clock_hz * 1000          energy_uj = active_power_mw * latency_ms
//   flash      = weight bytes + runtime code estimate    RAM = planned arena (plan_arena) + stack estimate
// Steps at the float graph boundary (quantize the input, dequantize the output) run outside
// tinyopt_model_invoke and cost 0 here (kernel "<class>/boundary", empty cost_key).
// The coefficients (data/targets/*.json, docs/targets.md) say where they come from; bench/ compares the
// predictions with published MLPerf Tiny latencies (bench/results/cost_model.json).
// The arena is plan_arena over that retargeted program with default options: the plan codegen writes.
// Not here: measuring anything (the emulator does).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/exec/integer_program.h"
#include "tinyopt/target/target.h"

namespace tinyopt {

struct LayerEstimate {
  std::string name;       // the IR node the step implements (first source node), or the kernel class
  std::string kernel;     // kernel class and variant the cost came from, e.g. "conv2d_1x1_s8/dsp"
  std::string cost_key;   // the target.kernel_costs key used (may be a fallback such as "default/ref"); "" at
                          // the float boundary
  int64_t macs = 0;
  int64_t bytes = 0;      // activation bytes read and written (the cycles_per_byte term)
  double instructions = 0;  // predicted dynamic instructions (0 when the cost entry has no instruction terms)
  double cycles = 0;
  double latency_ms = 0;
  int64_t weight_bytes = 0;
};

struct Estimate {
  std::string target;
  double latency_ms = 0;
  double energy_uj = 0;
  int64_t flash_bytes = 0;   // weight_bytes + code_bytes
  int64_t ram_bytes = 0;     // arena_bytes + stack_bytes
  int64_t arena_bytes = 0;   // plan_arena() of the program retargeted to the target, default options
  int64_t stack_bytes = 0;
  int64_t weight_bytes = 0;
  int64_t code_bytes = 0;    // runtime kernels used + per-step call code (see cost_model.cpp)
  int64_t macs = 0;
  double cycles = 0;
  std::vector<LayerEstimate> layers;  // in execution order
  std::vector<std::string> notes;     // e.g. that a float model was estimated as its int8 version
  bool fits_flash() const;            // against the target's flash_bytes / ram_bytes (set by the estimators)
  bool fits_ram() const;
  int64_t target_flash_bytes = 0, target_ram_bytes = 0;
};

// The shape quantities a kernel's dynamic instruction count is modelled as linear in, for one step:
//   call        1 (per-call setup: parameter checks, per-call tables)
//   macs        multiply-accumulates (the inner loop)
//   outputs     output elements (requantization, stores)
//   inputs      activation input elements read (elementwise and pooling work, widening)
//   pixels      output positions N*OH*OW of a windowed op, batches of a dense (per-pixel loop overhead)
//   channels    output channels of conv / depthwise / dense (per-channel parameter preparation)
//   taps        outputs * KH*KW (a per-output window walk: the reference kernels' bounds checks, pooling)
//   pixel_taps  pixels * KH*KW (a per-position window walk shared by all channels: depthwise dsp)
//   gather      pixels * KH*KW*C_in (im2col / widening of the activations; dense: batches * in_features)
// Every term is present (0 where it does not apply), in this order.
const std::vector<std::string>& cost_term_names();
std::vector<std::pair<std::string, double>> cost_terms(const IntegerProgram& program, const IntegerStep& step);

// The preferred kernel variant on `target`: "dsp", "neon" or "ref" (what most steps run; the report says it).
std::string preferred_variant(const Target& target);

// Estimate of a lowered quantized program.
Estimate estimate_program(const IntegerProgram& program, const Target& target);

// The float model quantized int8 (PTQ, min-max, no bias correction) on two samples of uniform noise in
// [0, 1): what estimate_model estimates for a float model. weight_bits 4 gives the W4A8 version (int4
// weights, int8 activations). For shape-only uses (estimates, memory plans, benchmarks of them), never for
// accuracy. Throws Error(kBadInput) unless the model has one input of known shape (batch aside).
Graph int8_version(const Graph& float_model, int weight_bits = 8);

// Estimate of a model: a quantized (QDQ) graph is lowered and estimated; a float graph is estimated as its
// int8 version (same shapes, int8 weights and activations; a note says so) without running any data.
// Throws Error(kBadInput) naming the node when the graph cannot be lowered.
Estimate estimate_model(const Graph& graph, const Target& target);

}  // namespace tinyopt
