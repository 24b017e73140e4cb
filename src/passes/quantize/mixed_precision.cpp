// Mixed-precision weights: per-layer int4 sensitivity, the exact knapsack choice under a flash or
// average-bits budget, and quantize_mixed_precision around quantize_model (see mixed_precision.h).
#include "tinyopt/passes/mixed_precision.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/exec/float_executor.h"

namespace tinyopt::quant {
namespace {

// Logits of `graph` over all samples, (N, K) row-major.
std::vector<float> logits_of(const Graph& graph, const Dataset& data, const CalibrationOptions& options) {
  FloatExecutor exec(graph, ExecOptions{options.threads});
  const int64_t n = data.size(), batch = std::max<int64_t>(1, options.batch);
  const int64_t sample = data.x.numel() / n;
  std::vector<float> out;
  for (int64_t b = 0; b < n; b += batch) {
    const int64_t count = std::min(batch, n - b);
    Shape shape = data.x.shape();
    shape[0] = count;
    const Tensor xb = Tensor::from_f32(
        shape, std::span<const float>(data.x.data<float>() + b * sample, static_cast<size_t>(count * sample)));
    const Tensor y = exec.run({xb}).at(0);
    out.insert(out.end(), y.data<float>(), y.data<float>() + y.numel());
  }
  return out;
}

struct OutputError {
  double noise = 0, signal = 0, accuracy = -1;
};

OutputError compare(const std::vector<float>& reference, const std::vector<float>& logits, const Dataset& data) {
  OutputError e;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double d = static_cast<double>(logits[i]) - reference[i];
    e.noise += d * d;
    e.signal += static_cast<double>(reference[i]) * reference[i];
  }
  const auto n = static_cast<double>(data.size());
  if (data.labeled()) {
    const size_t k = logits.size() / static_cast<size_t>(data.size());
    int64_t correct = 0;
    for (size_t i = 0; i < static_cast<size_t>(data.size()); ++i) {
      const auto row = logits.begin() + static_cast<std::ptrdiff_t>(i * k);
      correct += std::max_element(row, row + static_cast<std::ptrdiff_t>(k)) - row == data.y[i];
    }
    e.accuracy = static_cast<double>(correct) / n;
  }
  e.noise /= n;
  e.signal /= n;
  return e;
}

OutputError quantized_error(const Graph& folded, const QuantPlan& plan, const std::vector<float>& reference,
                            const Dataset& data, const CalibrationOptions& options) {
  const Graph qdq = unpack_int4_initializers(apply_quant_plan(folded, plan));
  return compare(reference, logits_of(qdq, data, options), data);
}

// One state of the knapsack: bytes (or bits) saved, summed cost, and how it was reached.
struct State {
  int64_t saved = 0;
  double cost = 0;
  int parent = -1;    // index in the previous layer's frontier
  bool int4 = false;  // this layer int4
};

// Keeps the Pareto-optimal states (no other state saves at least as much for at most the cost).
std::vector<State> pareto(std::vector<State> states) {
  std::stable_sort(states.begin(), states.end(), [](const State& a, const State& b) {
    return a.saved != b.saved ? a.saved > b.saved : a.cost < b.cost;
  });
  std::vector<State> kept;
  for (const State& s : states)
    if (kept.empty() || s.cost < kept.back().cost) kept.push_back(s);
  return kept;
}

}  // namespace

SensitivityReport measure_sensitivity(const Graph& folded, const QuantPlan& plan, const Dataset& heldout,
                                      const CalibrationOptions& options, const QuantizeProgress& progress) {
  if (heldout.size() == 0) throw_bad_input(heldout.name + ": no held-out samples to measure sensitivity on");
  check_dataset_fits_model(folded, heldout);
  const QuantSites sites = find_quant_sites(folded);
  const std::vector<float> reference = logits_of(folded, heldout, options);
  SensitivityReport report;
  report.float_accuracy = compare(reference, reference, heldout).accuracy;
  const OutputError base = quantized_error(folded, plan, reference, heldout, options);
  report.int8_accuracy = base.accuracy;
  report.int8_noise = base.noise;
  report.int8_sqnr_db = sqnr_db(base.signal, base.noise);
  std::set<std::string> seen;
  for (const QuantLayer& l : sites.layers) {
    if (!seen.insert(l.weight).second) continue;  // a weight shared by two layers is decided once
    const Tensor& w = *folded.value(l.weight).data;
    LayerSensitivity s;
    s.node = l.node;
    s.weight = l.weight;
    s.weight_count = w.numel();
    s.bytes_int8 = static_cast<int64_t>(dtype_storage_bytes(DType::kI8, w.numel()));
    s.bytes_int4 = static_cast<int64_t>(dtype_storage_bytes(DType::kI4, w.numel()));
    QuantPlan p = plan;
    p.weights[l.weight] = weight_quant(w, l.weight_axis, 4, WeightClip::kMse);
    const OutputError e = quantized_error(folded, p, reference, heldout, options);
    s.noise_added = std::max(0.0, e.noise - base.noise);
    s.sqnr_db = sqnr_db(e.signal, e.noise);
    s.accuracy = e.accuracy;
    report.layers.push_back(s);
    if (progress) progress("sensitivity", static_cast<int64_t>(report.layers.size()), static_cast<int64_t>(sites.layers.size()));
  }
  return report;
}

PrecisionChoice choose_weight_bits(const std::vector<LayerSensitivity>& layers, int64_t int8_flash_bytes,
                                   const WeightBudget& budget) {
  if (budget.max_flash_bytes.has_value() == budget.max_bits_avg.has_value())
    throw_usage("give exactly one weight budget: a flash size or an average number of bits");
  int64_t elements = 0, max_saved_bytes = 0;
  for (const LayerSensitivity& l : layers) {
    elements += l.weight_count;
    max_saved_bytes += l.bytes_int8 - l.bytes_int4;
  }
  // Per layer, what int4 saves in the budget's unit; `need`: how much must be saved.
  const bool flash = budget.max_flash_bytes.has_value();
  int64_t need = 0;
  if (flash) {
    const int64_t smallest = int8_flash_bytes - max_saved_bytes;
    if (*budget.max_flash_bytes < smallest)
      throw_bad_input("weight budget of " + std::to_string(*budget.max_flash_bytes) +
                      " bytes cannot be met: the smallest achievable size is " + std::to_string(smallest) +
                      " bytes (every layer's weights int4; int8 needs " + std::to_string(int8_flash_bytes) + ")");
    need = int8_flash_bytes - *budget.max_flash_bytes;
  } else {
    const double bits = *budget.max_bits_avg;
    if (!(bits >= 4.0))
      throw_bad_input("average weight bits of " + std::to_string(bits) +
                      " cannot be met: the smallest achievable average is 4 bits (every layer int4; smallest size " +
                      std::to_string(int8_flash_bytes - max_saved_bytes) + " bytes)");
    need = static_cast<int64_t>(std::ceil((8.0 - bits) * static_cast<double>(elements) - 1e-6));
  }
  auto saving = [&](const LayerSensitivity& l) { return flash ? l.bytes_int8 - l.bytes_int4 : 4 * l.weight_count; };

  // Frontier per layer (kept for backtracking); saved is capped at need.
  need = std::max<int64_t>(need, 0);
  std::vector<std::vector<State>> frontiers;
  std::vector<State> current = {State{}};
  for (const LayerSensitivity& l : layers) {
    std::vector<State> next;
    for (size_t i = 0; i < current.size(); ++i) {
      next.push_back({current[i].saved, current[i].cost, static_cast<int>(i), false});
      next.push_back({std::min(need, current[i].saved + saving(l)), current[i].cost + std::max(0.0, l.noise_added),
                      static_cast<int>(i), true});
    }
    frontiers.push_back(current);
    current = pareto(std::move(next));
  }
  // The cheapest state that saves enough (the frontier is sorted by saved, descending; the cap makes
  // every sufficient state save exactly `need`, and pareto kept the cheapest of them first).
  if (current.empty() || current.front().saved < need) throw_internal("knapsack lost the all-int4 state");
  PrecisionChoice choice;
  choice.predicted_noise_added = current.front().cost;
  // Walk back through the frontiers: frontiers[k] holds the states before layer k was decided.
  State s = current.front();
  int64_t saved_bytes = 0, bits = 0;
  for (size_t k = layers.size(); k-- > 0;) {
    const LayerSensitivity& l = layers[k];
    choice.weight_bits_by_layer[l.node] = s.int4 ? 4 : 8;
    if (s.int4) saved_bytes += l.bytes_int8 - l.bytes_int4;
    bits += (s.int4 ? 4 : 8) * l.weight_count;
    s = frontiers[k][static_cast<size_t>(s.parent)];
  }
  choice.flash_bytes = int8_flash_bytes - saved_bytes;
  choice.bits_avg = elements > 0 ? static_cast<double>(bits) / static_cast<double>(elements) : 8.0;
  return choice;
}

Dataset heldout_samples(const Dataset& data, int64_t calibration_count, int64_t count, uint64_t seed) {
  const std::vector<int64_t> calib = calibration_indices(data.size(), calibration_count, seed);
  const std::vector<int64_t> both = calibration_indices(data.size(), calibration_count + count, seed);
  std::vector<int64_t> rows;
  std::set_difference(both.begin(), both.end(), calib.begin(), calib.end(), std::back_inserter(rows));
  Dataset out;
  out.name = data.name + " (held out)";
  out.num_classes = data.num_classes;
  Shape shape = data.x.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  out.x = Tensor(DType::kF32, shape);
  const int64_t sample = data.size() > 0 ? data.x.numel() / data.size() : 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out.x.data<float>() + static_cast<int64_t>(i) * sample, data.x.data<float>() + rows[i] * sample,
                static_cast<size_t>(sample) * sizeof(float));
    if (data.labeled()) out.y.push_back(data.y[static_cast<size_t>(rows[i])]);
  }
  return out;
}

MixedPrecisionResult quantize_mixed_precision(const Graph& float_model, const Dataset& calibration,
                                              const Dataset& heldout, const QuantizeOptions& options,
                                              const WeightBudget& budget, const QuantizeProgress& progress) {
  QuantizeOptions int8 = options;
  int8.weight_bits = 8;
  int8.weight_bits_by_layer.clear();
  const QuantizeResult base = quantize_model(float_model, calibration, int8, progress);
  MixedPrecisionResult r;
  r.sensitivity = measure_sensitivity(base.float_model, base.plan, heldout, options.calibration, progress);
  r.choice = choose_weight_bits(r.sensitivity.layers, summarize_model(base.qdq).weight_bytes, budget);
  QuantizeOptions mixed = options;
  mixed.weight_bits = 8;
  mixed.weight_bits_by_layer = r.choice.weight_bits_by_layer;
  r.quantized = quantize_model(float_model, calibration, mixed, progress);
  return r;
}

}  // namespace tinyopt::quant
