// The four calibrators of calibration.h, each a function of a ValueHistogram: minmax, percentile, mse and
// kl (TensorRT-style entropy calibration, after the algorithm in Migacz, "8-bit Inference with TensorRT",
// GTC 2017, as implemented by MXNet's _get_optimal_threshold: reference distribution P with the outliers
// folded into its last bin, candidate Q merged to the number of levels and expanded back over P's
// non-empty bins, smoothed, KL(P || Q) minimized over thresholds), on a histogram whose point masses
// (exact zeros, spikes on a continuous background) are left out.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

#include "tinyopt/core/error.h"
#include "tinyopt/passes/calibration.h"

namespace tinyopt::quant {
namespace {

constexpr std::array<std::string_view, 4> kNames = {"minmax", "percentile", "mse", "kl"};

Range clamp_to_seen(const ValueHistogram& h, float lo, float hi) {
  return Range{std::clamp(std::min(lo, 0.0f), std::min(h.min, 0.0f), 0.0f),
               std::clamp(std::max(hi, 0.0f), 0.0f, std::max(h.max, 0.0f))};
}

// The histogram with the zeros put back into the bin that holds 0.
std::vector<double> counts_with_zeros(const ValueHistogram& h) {
  std::vector<double> c = h.counts;
  const int zero_bin = h.is_signed() ? ValueHistogram::kBins / 2 : 0;
  c[static_cast<size_t>(zero_bin)] += h.zeros;
  return c;
}

Range percentile_range(const ValueHistogram& h, double p) {
  if (!(p > 0 && p <= 100)) throw_usage("percentile must be in (0, 100], not " + std::to_string(p));
  const std::vector<double> c = counts_with_zeros(h);
  const double total = h.total();
  const double keep = total * p / 100.0;
  const float w = h.bin_width();
  // hi: upper edge of the first bin where the cumulative count from below reaches p% of the values.
  double cum = 0;
  float hi = h.max;
  for (int i = 0; i < ValueHistogram::kBins; ++i) {
    cum += c[static_cast<size_t>(i)];
    if (cum >= keep) {
      hi = h.lo + w * static_cast<float>(i + 1);
      break;
    }
  }
  float lo = h.min;
  if (h.is_signed()) {
    cum = 0;
    for (int i = ValueHistogram::kBins - 1; i >= 0; --i) {
      cum += c[static_cast<size_t>(i)];
      if (cum >= keep) {
        lo = h.lo + w * static_cast<float>(i);
        break;
      }
    }
  }
  return clamp_to_seen(h, lo, hi);
}

// Expected squared error of quantizing the histogram's values to `levels` levels on [lo, hi].
double expected_mse(const ValueHistogram& h, float lo, float hi, int levels) {
  const double step = (static_cast<double>(hi) - lo) / (levels - 1);
  const double noise = step * step / 12.0;
  const double w = h.bin_width();
  double err = 0;
  for (int i = 0; i < ValueHistogram::kBins; ++i) {
    const double n = h.counts[static_cast<size_t>(i)];
    if (n == 0) continue;
    const double x = h.lo + w * (i + 0.5);
    if (x > hi) err += n * (x - hi) * (x - hi);
    else if (x < lo) err += n * (lo - x) * (lo - x);
    else err += n * noise;
  }
  return err;
}

Range mse_range(const ValueHistogram& h, int bits) {
  const int levels = bits == 16 ? 65535 : 255;
  const float lo0 = std::min(h.min, 0.0f), hi0 = std::max(h.max, 0.0f);
  if (bits == 16) {  // symmetric: the search is over the magnitude
    const float a = std::max(-lo0, hi0);
    Range best{lo0, hi0};
    double best_err = std::numeric_limits<double>::infinity();
    for (int k = 1000; k >= 1; --k) {
      const float t = a * static_cast<float>(k) / 1000.0f;
      const double e = expected_mse(h, -t, t, levels);
      if (e < best_err) best_err = e, best = Range{-t, t};
    }
    return clamp_to_seen(h, best.lo, best.hi);
  }
  Range best{lo0, hi0};
  double best_err = std::numeric_limits<double>::infinity();
  for (int k = 1000; k >= 1; --k) {
    const float a = static_cast<float>(k) / 1000.0f;
    const double e = expected_mse(h, a * lo0, a * hi0, levels);
    if (e < best_err) best_err = e, best = Range{a * lo0, a * hi0};
  }
  return best;
}

// MXNet's _smooth_distribution, on counts (not probabilities, so eps is tiny next to any non-empty
// bin): moves eps of mass onto every empty bin so that KL stays finite.
bool smooth(std::vector<double>& p, double eps = 1e-4) {
  size_t zeros = 0;
  for (double v : p) zeros += v == 0;
  const size_t nonzeros = p.size() - zeros;
  if (nonzeros == 0) return false;
  const double eps1 = eps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  for (double& v : p) v += v == 0 ? eps : -eps1;
  for (double v : p)
    if (v <= 0) return false;
  return true;
}

double kl_divergence(std::vector<double> p, std::vector<double> q) {
  if (!smooth(p) || !smooth(q)) return std::numeric_limits<double>::infinity();
  double sp = 0, sq = 0;
  for (double v : p) sp += v;
  for (double v : q) sq += v;
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i) kl += p[i] / sp * std::log((p[i] / sp) / (q[i] / sq));
  return kl;
}

}  // namespace

int kl_threshold_bins(const std::vector<double>& mag, int levels) {
  const int n = static_cast<int>(mag.size());
  if (levels >= n) return n;
  int best_i = n;
  double best_kl = std::numeric_limits<double>::infinity();
  for (int i = levels; i <= n; ++i) {
    std::vector<double> p(mag.begin(), mag.begin() + i);
    double outliers = 0;
    for (int k = i; k < n; ++k) outliers += mag[static_cast<size_t>(k)];
    p.back() += outliers;
    // Q: merge the i reference bins into `levels` chunks of i / levels bins (rounded down at both ends, as
    // TensorRT's linspace; MXNet's "i / levels bins, the remainder to the last chunk" makes one huge last
    // chunk just below every multiple of `levels` and biases the choice to those thresholds), then spread
    // each chunk's mass evenly over the bins of the chunk that are non-empty in P.
    std::vector<double> q(static_cast<size_t>(i), 0.0);
    for (int j = 0; j < levels; ++j) {
      const int start = static_cast<int>(int64_t{j} * i / levels), stop = static_cast<int>(int64_t{j + 1} * i / levels);
      double mass = 0;
      int nonzero = 0;
      for (int k = start; k < stop; ++k) {
        mass += mag[static_cast<size_t>(k)];
        nonzero += p[static_cast<size_t>(k)] != 0;
      }
      for (int k = start; k < stop; ++k)
        if (p[static_cast<size_t>(k)] != 0) q[static_cast<size_t>(k)] = mass / nonzero;
    }
    const double kl = kl_divergence(p, q);
    if (kl < best_kl) best_kl = kl, best_i = i;
  }
  return best_i;
}

std::vector<double> without_point_masses(const std::vector<double>& counts) {
  constexpr int kReach = 8;          // neighbours on each side
  constexpr int kMinNonEmpty = 12;   // of the 16: a continuous background, not a comb of discrete values
  constexpr double kSpikeRatio = 4;  // a bin this many times its neighbours' median holds a point mass
  const int n = static_cast<int>(counts.size());
  std::vector<double> out = counts;
  std::vector<double> nb;
  for (int i = 0; i < n; ++i) {
    nb.clear();
    for (int k = std::max(0, i - kReach); k <= std::min(n - 1, i + kReach); ++k)
      if (k != i && counts[static_cast<size_t>(k)] > 0) nb.push_back(counts[static_cast<size_t>(k)]);
    if (static_cast<int>(nb.size()) < kMinNonEmpty) continue;
    std::nth_element(nb.begin(), nb.begin() + static_cast<std::ptrdiff_t>(nb.size() / 2), nb.end());
    const double median = nb[nb.size() / 2];
    if (counts[static_cast<size_t>(i)] > kSpikeRatio * median) out[static_cast<size_t>(i)] = median;
  }
  return out;
}

namespace {

Range kl_range(const ValueHistogram& h, int bits) {
  // Point masses are left out of the reference distribution: exact zeros (the ReLU spike, kept apart by
  // the histogram) and single values repeated many times on a continuous background (e.g. relu(bias) of a
  // first conv over constant background patches). Each is quantized with at most half a step of error
  // whatever the threshold, but the criterion spreads a quantization bin's mass evenly over its histogram
  // bins (it assumes a smooth density), so a spike would dominate KL and force the smallest threshold
  // (without this, conv1 of the shipped teacher was cut to 13% of its max: -4.3 pt).
  const std::vector<double> c = without_point_masses(h.counts);
  std::vector<double> mag;
  if (h.is_signed()) {  // fold [-A, A] onto |x| in [0, A]: bin kBins/2 + k and kBins/2 - 1 - k
    const int half = ValueHistogram::kBins / 2;
    mag.resize(static_cast<size_t>(half));
    for (int k = 0; k < half; ++k) mag[static_cast<size_t>(k)] = c[static_cast<size_t>(half + k)] + c[static_cast<size_t>(half - 1 - k)];
  } else {
    mag = c;
  }
  const int levels = 1 << (h.is_signed() ? bits - 1 : bits);
  const int i = kl_threshold_bins(mag, levels);
  const float t = h.bin_width() * static_cast<float>(i);
  return clamp_to_seen(h, h.is_signed() ? -t : 0.0f, t);
}

}  // namespace

std::string_view calibrator_name(Calibrator c) { return kNames[static_cast<size_t>(c)]; }

std::optional<Calibrator> calibrator_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<Calibrator>(i);
  return std::nullopt;
}

std::vector<std::string> calibrator_names() { return {kNames.begin(), kNames.end()}; }

Range calibrate_range(const ValueHistogram& h, Calibrator c, int bits, double percentile) {
  if (bits != 8 && bits != 16) throw_usage("activations can be 8 or 16 bits, not " + std::to_string(bits));
  if (c == Calibrator::kMinMax || h.hi <= h.lo || h.total() == 0) return clamp_to_seen(h, h.min, h.max);
  switch (c) {
    case Calibrator::kPercentile: return percentile_range(h, percentile);
    case Calibrator::kMse: return mse_range(h, bits);
    case Calibrator::kKl: return kl_range(h, bits);
    default: return clamp_to_seen(h, h.min, h.max);
  }
}

}  // namespace tinyopt::quant
