// Post-training calibration of activation ranges (DESIGN.md section 1, stage 2): which samples are used,
// the statistics collected per activation value over them, and the calibrators that turn a value's
// statistics into a clipping range [lo, hi], from which quant_plan.h's activation_quant() makes scale and
// zero point. It runs the float model (FloatExecutor::run_all) only; it does not quantize anything.
//
// Statistics are gathered in two passes over the samples: min/max first, then a histogram of kBins bins
// over [0, max] (values never negative, e.g. after ReLU) or [-A, A] with A = max|x| (signed values), with
// exact zeros counted apart (they are always representable, so the MSE calibrator does not charge them
// rounding noise). Calibrators:
//   minmax      [min, max] seen.
//   percentile  the p-th percentile of the values as hi (and the (100 - p)-th as lo for signed values).
//   mse         [a * min, a * max] with a in (0, 1] minimizing the expected squared quantization error on the
//               histogram: clipping error of the bins outside plus step^2 / 12 for the non-zero values inside.
//   kl          TensorRT's entropy calibration: the threshold t (a bin edge) minimizing KL(P || Q) between the
//               clipped histogram P of |x| and its quantization Q to 2^bits levels (2^(bits-1) for signed
//               values), point masses left out (exact zeros, and spikes: without_point_masses); range
//               [0, t] or [-t, t] cut to [min, max].
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"

namespace tinyopt::quant {

enum class Calibrator { kMinMax, kPercentile, kMse, kKl };
std::string_view calibrator_name(Calibrator c);                  // "minmax", "percentile", "mse", "kl"
std::optional<Calibrator> calibrator_from_name(std::string_view name);
std::vector<std::string> calibrator_names();

// The calibration sample selection (documented in docs/quantization.md so peers can reproduce it): the
// first `count` entries of the permutation of [0, dataset_size) that BatchIterator draws for `seed` (our
// Fisher-Yates over std::mt19937_64(seed), dataset.h), sorted ascending. count >= dataset_size gives all.
std::vector<int64_t> calibration_indices(int64_t dataset_size, int64_t count, uint64_t seed);
// Those samples of `data` as a new dataset (labels kept).
Dataset select_calibration_samples(const Dataset& data, int64_t count, uint64_t seed);

// Value histogram over a fixed range (see above). Zeros are counted in `zeros`, not in `counts`.
struct ValueHistogram {
  static constexpr int kBins = 2048;
  float lo = 0, hi = 0;          // histogram range: lo = 0 or lo = -hi
  float min = 0, max = 0;        // values seen (pass 1)
  std::vector<double> counts;    // kBins bins of width (hi - lo) / kBins; the top edge belongs to the last bin
  double zeros = 0;

  // Empty histogram for values in [min, max].
  static ValueHistogram for_range(float min, float max);
  void add(std::span<const float> values);
  double total() const;
  bool is_signed() const { return lo < 0; }
  float bin_width() const { return (hi - lo) / static_cast<float>(kBins); }
};

struct Range {
  float lo = 0, hi = 0;
};

// The clipping range a calibrator chooses for `bits`-bit activations (8: asymmetric, 16: symmetric).
// `percentile` in (0, 100] is used by kPercentile only.
Range calibrate_range(const ValueHistogram& h, Calibrator c, int bits, double percentile = 99.99);

// The kl calibrator's core: the number of bins i in [levels, size] of a histogram of magnitudes (bin 0
// starting at 0) whose threshold (the upper edge of bin i - 1) minimizes KL(P || Q) for `levels` levels.
int kl_threshold_bins(const std::vector<double>& magnitudes, int levels);

// The histogram the kl calibrator searches: `counts` with every point mass on a continuous background
// flattened to the median of its neighbours (a bin holding more than 4x the median of the non-empty bins
// among its 16 neighbours, when at least 12 of them are non-empty; combs of discrete values, whose
// neighbours are mostly empty, are left alone). The zeros are already apart (ValueHistogram::zeros).
std::vector<double> without_point_masses(const std::vector<double>& counts);

struct CalibrationOptions {
  int64_t batch = 50;     // samples per run_all (run_all keeps every intermediate value of the batch)
  int threads = 0;        // FloatExecutor threads (0 = all cores)
  bool histograms = true; // false: min/max only (enough for kMinMax), one pass
};

// Progress: (pass 1 or 2, samples done in this pass, samples per pass).
using CalibrationProgress = std::function<void(int pass, int64_t done, int64_t total)>;

// Runs `graph` over all samples of `data` and returns the statistics of each named float value.
// Throws kBadInput when the data is empty or does not fit the model (check_dataset_fits_model).
std::map<std::string, ValueHistogram> collect_activation_stats(const Graph& graph, const Dataset& data,
                                                               const std::vector<std::string>& values,
                                                               const CalibrationOptions& opts = {},
                                                               const CalibrationProgress& progress = {});

}  // namespace tinyopt::quant
