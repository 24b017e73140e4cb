// Mixed-precision weights (DESIGN.md section 1, stage 2): which layers may store int4 weights instead of
// int8, chosen from each layer's measured sensitivity so that a flash or average-bits budget is met with the
// least predicted loss. It chooses bit widths only; quantize_model (quantize.h) then quantizes with them
// and qat.h may fine-tune the result.
//
// 1. Sensitivity (measure_sensitivity): on held-out samples, the logits of the float model are compared with
//    those of the QDQ model of the all-int8 plan and of that plan with one layer's weights re-quantized to
//    int4 (weight_quant(..., 4, WeightClip::kMse)), one layer at a time. A layer's cost is the increase of the
//    output noise power (mean squared logit error) it causes. Noise from independent sources adds, so the
//    predicted cost of a set of int4 layers is the sum of their costs -- the additive model the choice needs
//    (SQNR in dB or accuracy drops do not add).
// 2. Choice (choose_weight_bits): minimise the summed cost over the set S of int4 layers subject to
//    saved(S) >= need, where saved is bytes (flash budget: int8 bytes minus packed int4 bytes of the weight)
//    or weight bits (average-bits budget: 4 per element). This is a 0/1 knapsack, solved exactly by dynamic
//    programming over Pareto-optimal (saved, cost) states with `saved` capped at `need` (so the state count
//    is at most min(2^layers, need + 1)). Exact rather than greedy by cost per byte saved because greedy
//    fails on the common case of one large layer versus several small ones (the tests hold such a table),
//    and models have few enough layers that exactness is cheap.
// A budget no choice can meet throws kBadInput stating the smallest achievable size (every layer int4).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/passes/quant_plan.h"
#include "tinyopt/passes/quantize.h"

namespace tinyopt::quant {

struct LayerSensitivity {
  std::string node;            // the layer's node name (QuantLayer::node)
  std::string weight;          // its weight initializer
  int64_t weight_count = 0;    // elements of the weight
  int64_t bytes_int8 = 0;      // the weight stored as int8 (the bias is int32 either way)
  int64_t bytes_int4 = 0;      // the weight stored as packed int4
  double noise_added = 0;      // cost: output noise power added by int4 weights in this layer alone (>= 0)
  double sqnr_db = 0;          // output SQNR with this layer alone int4
  double accuracy = -1;        // accuracy with this layer alone int4 (-1 for unlabeled data)
};

struct SensitivityReport {
  double float_accuracy = -1;     // of the float model on the held-out samples (-1 for unlabeled data)
  double int8_accuracy = -1;      // of the all-int8 (plan) model
  double int8_noise = 0;          // output noise power of the plan's model
  double int8_sqnr_db = 0;
  std::vector<LayerSensitivity> layers;  // in the order of find_quant_sites().layers
};

// Step 1 on `folded` (BN folded) with `plan` (every layer int8) as the baseline, on `heldout`.
// Throws kBadInput for empty data or data that does not fit the model.
// Progress: ("sensitivity", layers done, layers).
SensitivityReport measure_sensitivity(const Graph& folded, const QuantPlan& plan, const Dataset& heldout,
                                      const CalibrationOptions& options = {}, const QuantizeProgress& progress = {});

struct WeightBudget {
  std::optional<int64_t> max_flash_bytes;  // weight bytes as stored: summarize_model(qdq).weight_bytes
  std::optional<double> max_bits_avg;      // mean bits per layer-weight element (biases not counted)
};

struct PrecisionChoice {
  std::map<std::string, int> weight_bits_by_layer;  // every layer node -> 4 or 8
  int64_t flash_bytes = 0;                          // predicted weight bytes of the QDQ model
  double bits_avg = 8;                              // mean bits per layer-weight element
  double predicted_noise_added = 0;                 // sum of the int4 layers' costs
};

// Step 2. `int8_flash_bytes` is the weight bytes of the all-int8 QDQ model. Exactly one of the budget's
// fields must be set (kUsage otherwise); an unreachable budget throws kBadInput with the smallest size.
PrecisionChoice choose_weight_bits(const std::vector<LayerSensitivity>& layers, int64_t int8_flash_bytes,
                                   const WeightBudget& budget);

// `count` samples of `data` held out from calibration: the entries [calibration_count, calibration_count +
// count) of the permutation calibration_indices() draws from for `seed`, in ascending order -- disjoint from
// select_calibration_samples(data, calibration_count, seed). Fewer when the data runs out.
Dataset heldout_samples(const Dataset& data, int64_t calibration_count, int64_t count, uint64_t seed);

struct MixedPrecisionResult {
  QuantizeResult quantized;        // quantize_model with the chosen weight_bits_by_layer
  SensitivityReport sensitivity;
  PrecisionChoice choice;
};

// Steps 1 and 2 around quantize_model: quantize all-int8 (options, weight_bits 8), measure sensitivity on
// `heldout`, choose, quantize again with the chosen bits. Progress stages as quantize_model's plus
// "sensitivity" (layers done / layers).
MixedPrecisionResult quantize_mixed_precision(const Graph& float_model, const Dataset& calibration,
                                              const Dataset& heldout, const QuantizeOptions& options,
                                              const WeightBudget& budget, const QuantizeProgress& progress = {});

}  // namespace tinyopt::quant
