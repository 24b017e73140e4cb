// Calibrators on synthetic distributions with known answers, statistics collection, and the calibration
// sample selection (the contract peers reproduce: docs/quantization.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "passes_test_util.h"
#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/passes/calibration.h"
#include "tinyopt/passes/fold_batch_norm.h"

namespace tinyopt {
namespace {

using quant::Calibrator;

quant::ValueHistogram histogram_of(const std::vector<float>& v) {
  const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  quant::ValueHistogram h = quant::ValueHistogram::for_range(*mn, *mx);
  h.add(v);
  return h;
}

std::vector<float> uniform_values(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// N(0, 1) plus `outliers` values at +50 (and -30 when signed); ReLU'd when !signed.
std::vector<float> gaussian_with_outliers(size_t n, int outliers, bool is_signed, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = is_signed ? g(rng) : std::max(0.0f, g(rng));
  for (int i = 0; i < outliers; ++i) v[static_cast<size_t>(i)] = 50.0f;
  if (is_signed) v[static_cast<size_t>(outliers)] = -30.0f;
  return v;
}

TEST(Calibrators, UniformKeepsTheFullRange) {
  const std::vector<float> v = uniform_values(200000, 0.0f, 4.0f, 1);
  const quant::ValueHistogram h = histogram_of(v);
  EXPECT_DOUBLE_EQ(h.total(), 200000.0);
  const quant::Range mm = quant::calibrate_range(h, Calibrator::kMinMax, 8);
  EXPECT_EQ(mm.lo, 0.0f);
  EXPECT_EQ(mm.hi, h.max);
  // Nothing to gain from clipping a uniform distribution: every calibrator stays near the max.
  for (Calibrator c : {Calibrator::kPercentile, Calibrator::kMse, Calibrator::kKl}) {
    SCOPED_TRACE(std::string(quant::calibrator_name(c)));
    const quant::Range r = quant::calibrate_range(h, c, 8, 99.99);
    EXPECT_EQ(r.lo, 0.0f);
    EXPECT_GT(r.hi, 0.97f * h.max);
    EXPECT_LE(r.hi, h.max);
  }
  // The 90th percentile of U(0, 4) is 3.6 (to a bin).
  EXPECT_NEAR(quant::calibrate_range(h, Calibrator::kPercentile, 8, 90.0).hi, 3.6f, 0.01f);
}

TEST(Calibrators, GaussianWithOutliersIsClippedBelowTheMax) {
  for (bool is_signed : {false, true}) {
    SCOPED_TRACE(is_signed ? "signed" : "relu");
    const quant::ValueHistogram h = histogram_of(gaussian_with_outliers(200000, 5, is_signed, 2));
    EXPECT_EQ(h.is_signed(), is_signed);
    EXPECT_EQ(quant::calibrate_range(h, Calibrator::kMinMax, 8).hi, 50.0f);
    // 99.99th percentile of N(0,1) is 3.72; the ReLU'd one has the same upper tail.
    const quant::Range p = quant::calibrate_range(h, Calibrator::kPercentile, 8, 99.99);
    EXPECT_NEAR(p.hi, 3.72f, 0.3f);
    if (is_signed) {
      EXPECT_NEAR(p.lo, -3.72f, 0.3f);
    }
    // KL: the outliers' mass is negligible next to the distortion of the bulk they would cost.
    const quant::Range kl = quant::calibrate_range(h, Calibrator::kKl, 8);
    EXPECT_GT(kl.hi, 2.0f);
    EXPECT_LT(kl.hi, 15.0f);
    if (is_signed) {
      EXPECT_LT(kl.lo, -2.0f);
    }
    // MSE keeps far outliers (5 x 45^2 of clipping error outweighs the bulk's rounding noise) ...
    EXPECT_GT(quant::calibrate_range(h, Calibrator::kMse, 8).hi, 40.0f);
    // ... but cuts the thin tail of the plain Gaussian, the more so with fewer levels.
    const quant::ValueHistogram plain = histogram_of(gaussian_with_outliers(200000, 0, false, 2));
    const float mse8 = quant::calibrate_range(plain, Calibrator::kMse, 8).hi;
    EXPECT_GT(mse8, 2.5f);
    EXPECT_LT(mse8, 0.95f * plain.max);
    EXPECT_GT(quant::calibrate_range(plain, Calibrator::kMse, 16).hi, mse8);
  }
}

TEST(Calibrators, MseRangeMinimizesTheQuantizationErrorOfTheData) {
  // Independent check: quantize the data itself with the chosen range and a few others.
  const std::vector<float> v = gaussian_with_outliers(50000, 3, false, 3);
  const quant::ValueHistogram h = histogram_of(v);
  auto data_mse = [&](float hi) {
    const quant::TensorQuant q = quant::activation_quant(0.0f, hi, 8);
    double e = 0;
    for (float x : v) {
      const float qx = std::clamp(std::round(x / q.scale[0]) + static_cast<float>(q.zero_point[0]), -128.0f, 127.0f);
      const float d = x - (qx - static_cast<float>(q.zero_point[0])) * q.scale[0];
      e += d * d;
    }
    return e;
  };
  const float best = quant::calibrate_range(h, Calibrator::kMse, 8).hi;
  for (float other : {0.5f * best, 2.0f * best, 50.0f}) EXPECT_LT(data_mse(best), data_mse(other)) << other;
}

TEST(Calibrators, KlThresholdOnKnownHistograms) {
  // Exactly representable with 128 levels when cut at bin 128: KL 0 there (the first minimum).
  std::vector<double> mag(2048, 0.0);
  for (int k = 0; k < 128; ++k) mag[static_cast<size_t>(k)] = 100.0 + 50.0 * std::sin(k * 0.7);
  EXPECT_EQ(quant::kl_threshold_bins(mag, 128), 128);
  // A varied bulk in 256 bins and one far outlier: the threshold stays near the bulk, not at the outlier.
  for (int k = 0; k < 256; ++k) mag[static_cast<size_t>(k)] = 1000.0 + 500.0 * std::sin(k * 0.3);
  mag[2047] = 1.0;
  const int t = quant::kl_threshold_bins(mag, 128);
  EXPECT_GE(t, 128);
  EXPECT_LT(t, 512);
  // More levels than bins: nothing to clip.
  EXPECT_EQ(quant::kl_threshold_bins(mag, 4096), 2048);
}

// TensorRT / MXNet entropy calibration written independently in numpy (loops as in MXNet's
// _get_optimal_threshold, chunks as TensorRT's linspace, eps smoothing on counts): prints the chosen
// number of bins for each histogram line of argv[1] (levels first, then the counts).
constexpr const char* kKlReferenceScript = R"PY(
import sys, numpy as np
def smooth(p, eps=1e-4):
    p = p.astype(np.float64).copy(); zero = p == 0
    if zero.all(): return None
    p[zero] += eps; p[~zero] -= eps * zero.sum() / (~zero).sum()
    return p if (p > 0).all() else None
def threshold_bins(mag, levels):
    n = len(mag)
    if levels >= n: return n
    best, best_i = np.inf, n
    for i in range(levels, n + 1):
        p = mag[:i].copy(); p[-1] += mag[i:].sum()
        q = np.zeros(i)
        for j in range(levels):
            a, b = j * i // levels, (j + 1) * i // levels
            keep = p[a:b] != 0
            if keep.any(): q[a:b][keep] = mag[a:b].sum() / keep.sum()
        ps, qs = smooth(p), smooth(q)
        if ps is None or qs is None: continue
        ps, qs = ps / ps.sum(), qs / qs.sum()
        kl = float((ps * np.log(ps / qs)).sum())
        if kl < best: best, best_i = kl, i
    return best_i
for line in open(sys.argv[1]):
    v = [float(x) for x in line.split()]
    print(threshold_bins(np.array(v[1:]), int(v[0])))
)PY";

// Histograms of |x| with 384 bins (small enough for the numpy loops): half-normal, exponential with a far
// tail, and a two-bump mixture, each from seeded samples.
std::vector<std::vector<double>> reference_histograms() {
  std::mt19937 rng(17);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::exponential_distribution<double> expo(1.0);
  std::vector<std::vector<double>> out;
  for (int kind = 0; kind < 3; ++kind) {
    std::vector<double> samples(200000);
    for (double& x : samples)
      x = kind == 0 ? std::abs(normal(rng)) : kind == 1 ? expo(rng) : std::abs(normal(rng)) + (rng() % 4 == 0 ? 3.0 : 0.0);
    const double top = *std::max_element(samples.begin(), samples.end());
    std::vector<double> h(384, 0.0);
    for (double x : samples) h[std::min<size_t>(383, static_cast<size_t>(x / top * 384))] += 1;
    out.push_back(h);
  }
  return out;
}

TEST(Calibrators, KlThresholdMatchesAnIndependentNumpyReference) {
  if (!testing::python_has("numpy")) GTEST_SKIP() << "/usr/bin/python3 cannot import numpy";
  testing::TempDir dir;
  std::string lines;
  std::vector<std::pair<std::vector<double>, int>> cases;
  for (const auto& h : reference_histograms())
    for (int levels : {32, 64}) cases.push_back({h, levels});
  for (const auto& [h, levels] : cases) {
    lines += std::to_string(levels);
    for (double c : h) lines += " " + std::to_string(static_cast<int64_t>(c));
    lines += "\n";
  }
  testing::write_file(dir.file("hists.txt"), lines);
  testing::write_file(dir.file("kl.py"), kKlReferenceScript);
  const auto r = testing::run_command("/usr/bin/python3 '" + dir.file("kl.py") + "' '" + dir.file("hists.txt") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream want(r.out);
  for (const auto& [h, levels] : cases) {
    int expected = -1;
    ASSERT_TRUE(want >> expected);
    EXPECT_EQ(quant::kl_threshold_bins(h, levels), expected) << "levels " << levels;
  }
}

TEST(Calibrators, KlLeavesPointMassesOut) {
  // A ReLU-like exponential density over [0, 8] and, on top, one value repeated many times (the
  // relu(bias) spike a first conv makes on constant background patches) low in the range. Thresholds
  // measured with the numpy reference above: 1061 bins smooth, 483 with the spike.
  quant::ValueHistogram h = quant::ValueHistogram::for_range(0.0f, 8.0f);
  for (int k = 0; k < quant::ValueHistogram::kBins; ++k)
    h.counts[static_cast<size_t>(k)] = std::round(20000.0 * std::exp(-k / 100.0));
  const float smooth_hi = quant::calibrate_range(h, Calibrator::kKl, 8).hi;
  EXPECT_NEAR(smooth_hi, 1061 * 8.0f / quant::ValueHistogram::kBins, 1e-4f);
  std::vector<double> spiked = h.counts;
  spiked[32] *= 10;
  // TensorRT's search on the raw histogram halves the threshold ...
  EXPECT_EQ(quant::kl_threshold_bins(spiked, 256), 483);
  // ... the calibrator flattens the spike and keeps the threshold of the smooth density.
  const std::vector<double> flat = quant::without_point_masses(spiked);
  EXPECT_NEAR(flat[32], h.counts[32], 0.05 * h.counts[32]);
  EXPECT_EQ(flat[33], spiked[33]);
  h.counts = spiked;
  EXPECT_NEAR(quant::calibrate_range(h, Calibrator::kKl, 8).hi, smooth_hi, 8.0f * 4 / quant::ValueHistogram::kBins);
  // A comb of discrete values (every 8th bin, like 8-bit pixels in a 2048-bin histogram) is no spike.
  std::vector<double> comb(2048, 0.0);
  for (size_t k = 0; k < comb.size(); k += 8) comb[k] = 100.0 + static_cast<double>(k % 24);
  EXPECT_EQ(quant::without_point_masses(comb), comb);
}

TEST(Calibrators, NamesRoundTrip) {
  for (const std::string& name : quant::calibrator_names())
    EXPECT_EQ(quant::calibrator_name(*quant::calibrator_from_name(name)), name);
  EXPECT_FALSE(quant::calibrator_from_name("entropy").has_value());
}

TEST(CalibrationSamples, DeterministicSortedAndTheTrainingShuffleOrder) {
  const std::vector<int64_t> a = quant::calibration_indices(60000, 500, 0);
  ASSERT_EQ(a.size(), 500u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::adjacent_find(a.begin(), a.end()), a.end());
  EXPECT_EQ(a, quant::calibration_indices(60000, 500, 0));
  EXPECT_NE(a, quant::calibration_indices(60000, 500, 1));
  // Independently: the first 500 samples of BatchIterator's first shuffled epoch for the same seed.
  Dataset d;
  d.x = Tensor(DType::kF32, {60000, 1});
  for (int64_t i = 0; i < 60000; ++i) d.x.data<float>()[i] = static_cast<float>(i);
  BatchIterator it(d, 500, true, 0);
  Tensor x;
  std::vector<int32_t> y;
  ASSERT_TRUE(it.next(x, y));
  std::vector<int64_t> b;
  for (float v : x.span<float>()) b.push_back(static_cast<int64_t>(v));
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_EQ(quant::calibration_indices(10, 50, 3).size(), 10u);  // all of a small set
  const Dataset s = quant::select_calibration_samples(d, 7, 0);
  ASSERT_EQ(s.size(), 7);
  const std::vector<int64_t> idx = quant::calibration_indices(60000, 7, 0);
  for (int64_t i = 0; i < 7; ++i) EXPECT_EQ(s.x.data<float>()[i], static_cast<float>(idx[static_cast<size_t>(i)]));
}

TEST(CalibrationStats, MinMaxAndHistogramCoverEveryValue) {
  const Graph g = fold_batch_norm(testing::model_with_random_bn("fmnist-ds", 0.25f, 9));
  Dataset d;
  d.x = testing::random_images(7, {1, 28, 28}, 4);
  d.name = "random";
  const quant::QuantSites sites = quant::find_quant_sites(g);
  std::vector<std::string> names;
  for (const auto& s : sites.activations)
    if (s.kind == quant::SiteKind::kCalibrated) names.push_back(s.value);
  quant::CalibrationOptions opts;
  opts.batch = 3;  // uneven batches
  opts.threads = 1;
  const auto stats = quant::collect_activation_stats(g, d, names, opts);
  const auto all = FloatExecutor(g, ExecOptions{1}).run_all({d.x});
  for (const std::string& n : names) {
    SCOPED_TRACE(n);
    const auto span = all.at(n).span<float>();
    const auto [mn, mx] = std::minmax_element(span.begin(), span.end());
    // Batches of 3 and of 7 may take different kernel paths: equal up to float rounding.
    EXPECT_NEAR(stats.at(n).min, *mn, 1e-5f * std::abs(*mn));
    EXPECT_NEAR(stats.at(n).max, *mx, 1e-5f * std::abs(*mx));
    EXPECT_DOUBLE_EQ(stats.at(n).total(), static_cast<double>(span.size()));
  }
  Dataset empty;
  empty.name = "nothing";
  EXPECT_THROW(quant::collect_activation_stats(g, empty, names, opts), Error);
  Dataset wrong;
  wrong.x = testing::random_images(2, {1, 8, 8}, 4);
  EXPECT_THROW(quant::collect_activation_stats(g, wrong, names, opts), Error);
}

}  // namespace
}  // namespace tinyopt
