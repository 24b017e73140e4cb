// Post-training quantization, the library behind `tinyopt quantize` (DESIGN.md sections 1 and 4): fold
// BatchNormalization, calibrate activation ranges on sample data, choose per-channel weight scales, apply
// empirical bias correction, build the QDQ graph (quant_plan.h) and measure each layer's SQNR.
//
// Pipeline (quantize_model), each step also callable on its own so QAT / mixed precision can reuse them:
//   1. fold_batch_norm(float model)                                   -> folded float graph
//   2. find_quant_sites + collect_activation_stats(folded, calibration data)
//   3. make_quant_plan(folded, stats, options): calibrator ranges for activations, weight_quant for weights
//   4. correct_biases (unless disabled): per layer in order, b -= E[y_q] - E[y] per output channel, where
//      y is the layer's float output (before its activation) and y_q the same value in the QDQ graph
//      with all earlier layers already corrected (Nagel et al. 2019, "Data-Free Quantization", section
//      4.2, the empirical variant); layers without a bias get one
//   5. apply_quant_plan(corrected float graph, plan)                   -> QDQ graph
//   6. layer_sqnr(float, QDQ, calibration data): 10 log10(sum y^2 / sum (y - y_q)^2) per layer, y the
//      float model's layer output (after the fused activation), y_q the QDQ model's dequantized one.
// Everything runs in the float executor (the QDQ graph as a float simulation, int4 weights unpacked);
// deterministic for a given thread count. It does not evaluate accuracy (the verb does, via
// evaluate_classifier) and never prints.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/passes/calibration.h"
#include "tinyopt/passes/quant_plan.h"

namespace tinyopt::quant {

struct QuantizeOptions {
  Calibrator calibrator = Calibrator::kMse;  // best measured SQNR (docs/quantization.md)
  double percentile = 99.99;         // kPercentile
  int weight_bits = 8;               // 8 or 4, for every layer not in weight_bits_by_layer
  int activation_bits = 8;           // 8 or 16
  std::map<std::string, int> weight_bits_by_layer;  // node name -> 8 or 4 (mixed precision)
  std::optional<WeightClip> weight_clip;  // default: kMax for int8 weights, kMse for int4
  bool bias_correction = true;
  CalibrationOptions calibration;    // batch and threads of the float runs
};

struct LayerReport {
  std::string name;  // node name
  OpType op = OpType::kConv;
  int weight_bits = 8;
  int act_bits = 8;
  double sqnr_db = 0;
  double bias_shift = 0;  // mean |correction| applied to the bias by bias correction (0 when off)
};

struct QuantizeResult {
  Graph qdq;                 // the quantized model (kI4 weights stay packed)
  Graph float_model;         // the folded (and bias-corrected) float graph the QDQ graph was built from
  QuantPlan plan;
  std::vector<LayerReport> layers;
};

// stage: "calibrate", "bias-correction", "sqnr"; done/total in that stage's own units.
using QuantizeProgress = std::function<void(const std::string& stage, int64_t done, int64_t total)>;

// Throws kBadInput for empty calibration data, data that does not fit the model, an op that cannot be
// quantized (naming node and op) or invalid options.
QuantizeResult quantize_model(const Graph& float_model, const Dataset& calibration, const QuantizeOptions& options,
                              const QuantizeProgress& progress = {});

// Step 3: the plan for a folded float graph from activation statistics (one per calibrated site).
QuantPlan make_quant_plan(const Graph& folded, const QuantSites& sites, const std::map<std::string, ValueHistogram>& stats,
                          const QuantizeOptions& options);

// Step 4: the folded graph with biases corrected for `plan`. Returns per layer node the mean |shift|.
Graph correct_biases(const Graph& folded, const QuantPlan& plan, const Dataset& calibration, const QuantizeOptions& options,
                     std::map<std::string, double>* shifts = nullptr, const QuantizeProgress& progress = {});

// Step 6: SQNR in dB of each layer's output (QuantLayer::site), in the order of find_quant_sites().layers.
// An exact match gives +infinity.
std::map<std::string, double> layer_sqnr(const Graph& float_graph, const Graph& qdq, const Dataset& data,
                                         const CalibrationOptions& options = {}, const QuantizeProgress& progress = {});

// 10 log10(signal / noise) from sums of squares; +infinity for noise 0, -infinity for signal 0 < noise.
double sqnr_db(double signal_sum_sq, double noise_sum_sq);

}  // namespace tinyopt::quant
