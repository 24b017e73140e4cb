// Calibration sample selection and the two-pass collection of activation statistics (calibration.h).
#include "tinyopt/passes/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "passes/quantize/dataset_batches.h"
#include "tinyopt/core/error.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/exec/float_executor.h"

namespace tinyopt::quant {

std::vector<int64_t> calibration_indices(int64_t dataset_size, int64_t count, uint64_t seed) {
  if (dataset_size <= 0) return {};
  Dataset probe;  // BatchIterator only needs the sample count: a (dataset_size, 0) tensor allocates nothing
  probe.x = Tensor(DType::kF32, {dataset_size, 0});
  const BatchIterator it(probe, 1, true, seed);
  std::vector<int64_t> idx = it.order();
  if (count < dataset_size) idx.resize(static_cast<size_t>(std::max<int64_t>(count, 0)));
  std::sort(idx.begin(), idx.end());
  return idx;
}

Dataset select_calibration_samples(const Dataset& data, int64_t count, uint64_t seed) {
  const std::vector<int64_t> idx = calibration_indices(data.size(), count, seed);
  Dataset out;
  out.name = data.name + " (calibration)";
  out.num_classes = data.num_classes;
  Shape shape = data.x.shape();
  if (shape.empty()) return out;
  shape[0] = static_cast<int64_t>(idx.size());
  out.x = Tensor(DType::kF32, shape);
  const int64_t sample = data.size() ? data.x.numel() / data.size() : 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    std::memcpy(out.x.data<float>() + static_cast<int64_t>(i) * sample, data.x.data<float>() + idx[i] * sample,
                static_cast<size_t>(sample) * sizeof(float));
    if (data.labeled()) out.y.push_back(data.y[static_cast<size_t>(idx[i])]);
  }
  return out;
}

ValueHistogram ValueHistogram::for_range(float min, float max) {
  ValueHistogram h;
  h.min = min;
  h.max = max;
  if (min >= 0) {
    h.hi = max;
  } else {
    h.hi = std::max(-min, max);
    h.lo = -h.hi;
  }
  h.counts.assign(kBins, 0.0);
  return h;
}

void ValueHistogram::add(std::span<const float> values) {
  if (!(hi > lo)) {
    for (float v : values) zeros += v == 0;  // a constant-zero value: nothing to bin
    return;
  }
  const float inv = static_cast<float>(kBins) / (hi - lo);
  for (float v : values) {
    if (v == 0) {
      zeros += 1;
      continue;
    }
    const int b = static_cast<int>((v - lo) * inv);
    counts[static_cast<size_t>(std::clamp(b, 0, kBins - 1))] += 1;
  }
}

double ValueHistogram::total() const {
  double t = zeros;
  for (double c : counts) t += c;
  return t;
}

std::map<std::string, ValueHistogram> collect_activation_stats(const Graph& graph, const Dataset& data,
                                                               const std::vector<std::string>& values,
                                                               const CalibrationOptions& opts,
                                                               const CalibrationProgress& progress) {
  if (data.size() == 0) throw_bad_input("calibration data '" + data.name + "' has no samples");
  check_dataset_fits_model(graph, data);
  FloatExecutor exec(graph, ExecOptions{opts.threads});
  const int64_t batch = std::max<int64_t>(opts.batch, 1);
  std::map<std::string, std::pair<float, float>> minmax;
  for (const std::string& v : values) minmax[v] = {INFINITY, -INFINITY};
  detail::for_each_batch(data, batch, [&](const Tensor& x, int64_t done) {
    const std::map<std::string, Tensor> all = exec.run_all({x});
    for (auto& [name, mm] : minmax) {
      const Tensor& t = all.at(name);
      for (float v : t.span<float>()) {
        if (!std::isfinite(v))
          throw_bad_input("value '" + name + "' is not finite on the calibration data (" + data.name + ")");
        mm.first = std::min(mm.first, v);
        mm.second = std::max(mm.second, v);
      }
    }
    if (progress) progress(1, done, data.size());
  });
  std::map<std::string, ValueHistogram> stats;
  for (const auto& [name, mm] : minmax) stats[name] = ValueHistogram::for_range(mm.first, mm.second);
  if (!opts.histograms) return stats;
  detail::for_each_batch(data, batch, [&](const Tensor& x, int64_t done) {
    const std::map<std::string, Tensor> all = exec.run_all({x});
    for (auto& [name, h] : stats) h.add(all.at(name).span<float>());
    if (progress) progress(2, done, data.size());
  });
  return stats;
}

}  // namespace tinyopt::quant
