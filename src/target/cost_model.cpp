// estimate_program / estimate_model (include/tinyopt/target/cost_model.h).
//
// Flash and RAM beyond weights and arena are estimates, not measurements (the emulate verb measures them
// with arm-none-eabi-size; its figures should replace these constants when they land):
//  - code: kBaseCodeBytes (invoke, boundary quantize/dequantize, startup glue) + kKernelCodeBytes per
//    distinct kernel used + kStepCodeBytes per step (the call with its constant params struct) + the
//    per-channel requantization arrays (multiplier and shift, 8 bytes per output channel) in flash;
//  - stack: a bound per core family (stack_bytes below), the deepest call chain of any runtime kernel
//    the core can run plus tinyopt_model_invoke's frame. The kernels have no recursion, no VLAs and no
//    alloca, so the depth does not depend on the model's shapes. Measured with the targets' gcc at -O2
//    (-fstack-usage -fcallgraph-info=su; tests/emu/emu_stack_bound_test.cpp recomputes it and fails when a
//    kernel outgrows the bound): Cortex-M (Thumb-2) deepest chain 400 B (the DSP depthwise kernels) +
//    invoke 32 B; Cortex-M0+ (Thumb-1, soft-float helpers) 312 B; Cortex-A (AArch64) 976 B (the NEON
//    int4 conv) + invoke 64 B. Xtensa has no compiler here to measure: the old 2 KiB guess stays.
#include "tinyopt/target/cost_model.h"

#include <algorithm>
#include <fmt/format.h>
#include <random>
#include <set>

#include "tinyopt/core/error.h"
#include "tinyopt/passes/quantize.h"
#include "tinyopt/plan/arena_plan.h"
#include "tinyopt/target/kernel_choice.h"

namespace tinyopt {
namespace {

constexpr int64_t kBaseCodeBytes = 1536;
constexpr int64_t kKernelCodeBytes = 1024;
constexpr int64_t kStepCodeBytes = 64;

// The stack bound of `target`'s core family (see the top of this file).
int64_t stack_bytes(const Target& target) {
  if (target.core.rfind("cortex-m", 0) == 0) return 640;
  if (target.core.rfind("cortex-a", 0) == 0) return 1280;
  return 2048;
}

int64_t activation_bytes(const IntegerProgram& program, const IntegerStep& step) {
  int64_t bytes = 0;
  auto add = [&](int id) {
    const IntTensor& t = program.tensors[static_cast<size_t>(program.storage_of(id))];
    if (t.kind != IntTensorKind::kConstant) bytes += static_cast<int64_t>(t.bytes());
  };
  for (int id : step.inputs) add(id);
  for (int id : step.outputs) add(id);
  return bytes;
}

int64_t elements(const topt_dims& d) { return int64_t{d.n} * d.h * d.w * d.c; }

// The window of a windowed step (conv, depthwise, pooling), or null.
const topt_window2d* window_of(const StepParams& params) {
  if (const auto* p = std::get_if<topt_conv2d_params>(&params)) return &p->win;
  if (const auto* p = std::get_if<topt_dwconv2d_params>(&params)) return &p->win;
  if (const auto* p = std::get_if<topt_pool2d_params>(&params)) return &p->win;
  return nullptr;
}

// The graph-boundary conversions (quantize the float graph input, dequantize into a float graph output): the
// generated code runs them in the float convenience wrapper, outside tinyopt_model_invoke, which is what
// the emulator counts and what MLPerf Tiny times (int8 in, int8 out).
bool at_float_boundary(const IntegerProgram& program, const IntegerStep& step) {
  const auto contains = [](const std::vector<int>& ids, const std::vector<int>& of) {
    return !of.empty() && std::find(ids.begin(), ids.end(), of.front()) != ids.end();
  };
  return (step.family == TOPT_FAMILY_quantize_s8 && contains(program.inputs, step.inputs)) ||
         (step.family == TOPT_FAMILY_dequantize_s8 && contains(program.outputs, step.outputs));
}

// The variant of a step's chosen kernel ("topt_dense_s8__dsp" -> "dsp").
std::string chosen_variant(const IntegerStep& step) {
  const size_t sep = step.kernel.rfind("__");
  if (sep == std::string::npos) throw_internal("kernel '" + step.kernel + "' has no variant suffix");
  return step.kernel.substr(sep + 2);
}

int64_t requant_bytes(const IntegerStep& step) {
  return static_cast<int64_t>((step.multiplier.size() + step.shift.size()) * sizeof(int32_t));
}

}  // namespace

bool Estimate::fits_flash() const { return target_flash_bytes <= 0 || flash_bytes <= target_flash_bytes; }
bool Estimate::fits_ram() const { return target_ram_bytes <= 0 || ram_bytes <= target_ram_bytes; }

const std::vector<std::string>& cost_term_names() {
  static const std::vector<std::string> names = {"call",     "macs", "outputs",    "inputs", "pixels",
                                                 "channels", "taps", "pixel_taps", "gather"};
  return names;
}

std::vector<std::pair<std::string, double>> cost_terms(const IntegerProgram& program, const IntegerStep& step) {
  int64_t outputs = 0, inputs = 0, pixels = 0, channels = 0, taps = 0, pixel_taps = 0, gather = 0;
  for (int id : step.outputs) outputs += program.tensors[static_cast<size_t>(program.storage_of(id))].numel();
  for (int id : step.inputs) {
    const IntTensor& t = program.tensors[static_cast<size_t>(program.storage_of(id))];
    if (t.kind != IntTensorKind::kConstant) inputs += t.numel();
  }
  if (const topt_window2d* w = window_of(step.params)) {
    const int64_t window = int64_t{w->kernel_h} * w->kernel_w;
    pixels = int64_t{w->output.n} * w->output.h * w->output.w;
    outputs = elements(w->output);
    taps = outputs * window;
    pixel_taps = pixels * window;
    if (!std::holds_alternative<topt_pool2d_params>(step.params)) channels = w->output.c;
    if (std::holds_alternative<topt_conv2d_params>(step.params)) gather = pixels * window * w->input.c;
  } else if (const auto* d = std::get_if<topt_dense_params>(&step.params)) {
    pixels = d->batches;
    channels = d->out_features;
    outputs = int64_t{d->batches} * d->out_features;
    gather = int64_t{d->batches} * d->in_features;
  }
  const double values[] = {1.0,
                           static_cast<double>(step.macs),
                           static_cast<double>(outputs),
                           static_cast<double>(inputs),
                           static_cast<double>(pixels),
                           static_cast<double>(channels),
                           static_cast<double>(taps),
                           static_cast<double>(pixel_taps),
                           static_cast<double>(gather)};
  std::vector<std::pair<std::string, double>> terms;
  for (size_t i = 0; i < cost_term_names().size(); ++i) terms.emplace_back(cost_term_names()[i], values[i]);
  return terms;
}

std::string preferred_variant(const Target& target) {
  if (target.has("dsp")) return "dsp";
  if (target.has("neon")) return "neon";
  return "ref";
}

Estimate estimate_program(const IntegerProgram& lowered, const Target& target) {
  // The kernels codegen will call on this target (not the host's), so that cycles are priced and the arena
  // is planned with their scratch: the estimated arena is the one the firmware declares.
  IntegerProgram program = lowered;
  retarget_program(program, target);
  Estimate e;
  e.target = target.name;
  e.target_flash_bytes = target.flash_bytes;
  e.target_ram_bytes = target.ram_bytes;
  std::set<std::string> kernels;
  int64_t requant = 0;
  for (const IntegerStep& step : program.steps) {
    // priced as the kernel the step calls ("topt_conv2d_c1x4_s8__dsp" -> class "conv2d_c1x4_s8"), the way
    // bench/fit_cost_model.py groups the emulated calls; retarget_program has set every step's kernel
    const std::string cls = kernel_class_of(step.kernel), family = family_name(step.family);
    const std::string variant = chosen_variant(step);
    std::string key;
    for (const std::string& k : {cls + "/" + variant, family + "/" + variant, "default/" + variant, cls + "/ref",
                                 family + "/ref", std::string("default/ref")})
      if (target.kernel_costs.count(k)) {
        key = k;
        break;
      }
    if (key.empty()) throw_internal("target '" + target.name + "' has no default/ref kernel cost");  // load_target checks
    const KernelCost& c = target.kernel_costs.at(key);
    LayerEstimate l;
    l.name = step.source_nodes.empty() ? cls : step.source_nodes.front();
    if (at_float_boundary(program, step)) {
      l.kernel = cls + "/boundary";
      l.macs = step.macs;
      e.layers.push_back(std::move(l));
      continue;
    }
    l.cost_key = key;
    l.kernel = cls + "/" + key.substr(key.find('/') + 1);
    l.macs = step.macs;
    l.bytes = activation_bytes(program, step);
    if (c.instructions.empty()) {
      l.cycles = c.fixed_cycles + c.cycles_per_mac * static_cast<double>(l.macs) +
                 c.cycles_per_byte * static_cast<double>(l.bytes);
    } else {
      for (const auto& [term, value] : cost_terms(program, step))
        if (auto it = c.instructions.find(term); it != c.instructions.end()) l.instructions += it->second * value;
      l.cycles = c.cycles_per_instruction * l.instructions;
    }
    l.latency_ms = l.cycles / static_cast<double>(target.clock_hz) * 1e3;
    l.weight_bytes = step.weight_bytes;
    e.cycles += l.cycles;
    e.macs += l.macs;
    e.weight_bytes += l.weight_bytes;
    requant += requant_bytes(step);
    kernels.insert(l.kernel);
    e.layers.push_back(std::move(l));
  }
  e.latency_ms = e.cycles / static_cast<double>(target.clock_hz) * 1e3;
  e.notes.push_back("latency is tinyopt_model_invoke's (int8 in, int8 out, as emulated and as MLPerf Tiny times "
                    "it); the float input quantization and output dequantization are not counted");
  e.energy_uj = target.active_power_mw * e.latency_ms;  // mW x ms = uJ
  e.code_bytes = kBaseCodeBytes + kKernelCodeBytes * static_cast<int64_t>(kernels.size()) +
                 kStepCodeBytes * static_cast<int64_t>(program.steps.size()) + requant;
  e.flash_bytes = e.weight_bytes + e.code_bytes;
  e.arena_bytes = static_cast<int64_t>(plan_arena(program).arena_bytes);
  e.stack_bytes = stack_bytes(target);
  e.ram_bytes = e.arena_bytes + e.stack_bytes;
  return e;
}

Graph int8_version(const Graph& graph, int weight_bits) {
  // The estimate depends only on shapes and bit widths, not on the calibration ranges, so no data is needed.
  if (graph.inputs.size() != 1) throw_bad_input("estimating a float model needs exactly one graph input");
  Shape shape = graph.value(graph.inputs[0]).shape;
  if (shape.empty()) throw_bad_input("graph input '" + graph.inputs[0] + "' has no shape");
  shape[0] = 2;
  for (int64_t d : shape)
    if (d <= 0) throw_bad_input("graph input '" + graph.inputs[0] + "' has an unknown dimension " + shape_str(shape));
  Dataset calib;
  calib.x = Tensor(DType::kF32, shape);
  calib.name = "uniform noise (shape only)";
  std::mt19937 rng(1);
  float* x = calib.x.data<float>();
  for (int64_t i = 0; i < calib.x.numel(); ++i) x[i] = static_cast<float>(rng() % 1024) / 1024.0f;
  quant::QuantizeOptions o;
  o.calibrator = quant::Calibrator::kMinMax;
  o.bias_correction = false;
  o.weight_bits = weight_bits;
  return quant::quantize_model(graph, calib, o).qdq;
}

Estimate estimate_model(const Graph& graph, const Target& target) {
  if (is_quantized(graph)) return estimate_program(lower_qdq_graph(graph), target);
  Estimate e = estimate_program(lower_qdq_graph(int8_version(graph)), target);
  e.notes.push_back("float model: estimated as its int8 version (int8 weights and activations, same shapes); "
                    "run `tinyopt quantize` for the real quantized model");
  return e;
}

}  // namespace tinyopt
