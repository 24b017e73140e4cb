// Shared helpers of the tests/unit/passes_*_test.cpp files: small built-in models with non-trivial
// BatchNormalization statistics, random inputs, SQNR between tensors, and a min/max QuantPlan computed
// directly from one float run (independent of the calibration code under test).
#pragma once

#include <cmath>
#include <random>
#include <string>

#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/data/npy.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/quant_plan.h"

namespace tinyopt::testing {

// A built-in architecture whose BN layers hold random affine parameters and statistics.
inline Graph model_with_random_bn(const std::string& arch, float width, uint64_t seed) {
  Graph g = build_architecture(arch, ArchOptions{width, 0, seed});
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (const Node& n : g.nodes) {
    if (n.op != OpType::kBatchNormalization) continue;
    const float lo[4] = {0.5f, -0.5f, -0.5f, 0.5f}, hi[4] = {1.5f, 0.5f, 0.5f, 2.0f};
    for (int k = 0; k < 4; ++k) {
      Tensor& t = *g.value(n.inputs[static_cast<size_t>(k + 1)]).data;
      for (float& v : t.span<float>()) v = lo[k] + (hi[k] - lo[k]) * u(rng);
    }
  }
  return g;
}

inline Tensor random_images(int64_t n, const Shape& sample, uint64_t seed) {
  Shape s = sample;
  s.insert(s.begin(), n);
  Tensor t(DType::kF32, s);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (float& v : t.span<float>()) v = u(rng);
  return t;
}

// 10 log10(sum ref^2 / sum (ref - x)^2), computed in double.
inline double sqnr_db_of(const Tensor& ref, const Tensor& x) {
  double s = 0, e = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double r = ref.data<float>()[i], d = r - x.data<float>()[i];
    s += r * r;
    e += d * d;
  }
  return 10.0 * std::log10(s / std::max(e, 1e-30));
}

// Min/max activation ranges from one float run on `x`, max-abs per-channel weights.
inline quant::QuantPlan minmax_plan(const Graph& g, const Tensor& x, int weight_bits = 8, int act_bits = 8) {
  const quant::QuantSites sites = quant::find_quant_sites(g);
  const auto all = FloatExecutor(g, ExecOptions{1}).run_all({x});
  quant::QuantPlan plan;
  for (const auto& s : sites.activations) {
    if (s.kind != quant::SiteKind::kCalibrated) continue;
    float lo = 0, hi = 0;
    for (float v : all.at(s.value).span<float>()) lo = std::min(lo, v), hi = std::max(hi, v);
    plan.activations[s.value] = quant::activation_quant(lo, hi, act_bits);
  }
  for (const auto& l : sites.layers)
    plan.weights[l.weight] = quant::weight_quant(*g.value(l.weight).data, l.weight_axis, weight_bits);
  return plan;
}

// For CLI tests of `quantize`: a temp dir holding `model` (a built-in with random BN, saved as ONNX) and
// `samples` random 1x28x28 images with labels i % 10 as x.npy,y.npy (`data`, the --data argument); `out` is
// where the test asks for the output.
struct QuantizeVerbSetup {
  TempDir dir;
  std::string model = dir.file("m.onnx"), data, out = dir.file("q.onnx");
  QuantizeVerbSetup(const std::string& arch, float width, uint64_t model_seed, int64_t samples, uint64_t data_seed) {
    save_onnx(model_with_random_bn(arch, width, model_seed), model);
    write_npy(dir.file("x.npy"), random_images(samples, {1, 28, 28}, data_seed));
    Tensor y(DType::kI64, {samples});
    for (int64_t i = 0; i < samples; ++i) y.data<int64_t>()[i] = i % 10;
    write_npy(dir.file("y.npy"), y);
    data = dir.file("x.npy") + "," + dir.file("y.npy");
  }
};

}  // namespace tinyopt::testing
