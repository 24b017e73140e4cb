// The cost model against published MLPerf Tiny latencies: the four reference models (ds-cnn, resnet8,
// mobilenetv1 0.25, fc-ae; our built-in architectures with the reference shapes, quantized int8) estimated
// on the cortex-m4 / cortex-m7 / cortex-m33 targets and compared with the best submission per board
// (the rows the dsp coefficients are calibrated to; REFERENCE-NUMBERS.md 1.3), with the error of each and
// the median absolute error (issue 8 acceptance: <= 30%, goal <= 15%). Context rows that our kernels are
// not meant to match (TFLM 2.3.1 + CMSIS-NN of 2021, microTVM + CMSIS-NN, Raspberry Pi 4 LEIP with 4
// threads) are listed with their error but left out of the median. Also writes, per model, the MACs and
// bytes per kernel class that bench/fit_cost_model.py fits the coefficients to.
// Writes bench/results/cost_model.json (`bench/run.sh BUILD_DIR` with BENCH_ONLY=cost_model).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench_io.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/target/cost_model.h"

namespace {

using namespace tinyopt;

IntegerProgram lowered(const std::string& name, float width) {
  ArchOptions a;
  a.width = width;
  a.seed = 1;
  return lower_qdq_graph(int8_version(build_architecture(name, a)));
}

struct Published {
  const char* target;  // our target it is compared with
  const char* system;  // board and software stack, MLPerf round
  bool acceptance;     // in the median (the calibration set) or context only
  double ms[4];        // KWS (ds-cnn), IC (resnet8), VWW (mobilenetv1 0.25), AD (fc-ae)
};

// REFERENCE-NUMBERS.md section 1.3 (MLPerf Tiny results, median latency) [V].
const Published kPublished[] = {
    {"cortex-m4", "NUCLEO-L4R5ZI-P, X-CUBE-AI 10.2 (STMicroelectronics, v1.3)", true, {43.4, 166, 89.4, 4.79}},
    {"cortex-m7", "NUCLEO-H7A3ZI-Q, X-CUBE-AI 9.0 (STMicroelectronics, v1.2)", true, {11.3, 40.8, 23.8, 1.23}},
    {"cortex-m33", "NUCLEO-U575ZI-Q, X-CUBE-AI 10.2 (STMicroelectronics, v1.3)", true, {29.0, 109, 59.3, 3.21}},
    {"cortex-m4", "NUCLEO-L4R5ZI, Plumerai Inference Engine 2023 (v1.1)", false, {47.8, 168, 98.8, 4.05}},
    {"cortex-m4", "NUCLEO-L4R5ZI, microTVM + CMSIS-NN (OctoML, v1.0)", false, {99.8, 390, 301, 8.61}},
    {"cortex-m4", "Nucleo-L4R5ZI, TFLM 2.3.1 + CMSIS-NN (reference, v0.5)", false, {182, 704, 601, 10.05}},
    {"cortex-m7", "NUCLEO-H7A3ZI-Q, Plumerai Inference Engine 2023 (v1.1)", false, {13.9, 50.9, 26.8, 1.35}},
    {"cortex-m33", "NUCLEO-U575ZI-Q, Plumerai Inference Engine 2023 (v1.1)", false, {30.0, 104, 59.5, 3.67}},
    {"rpi4", "Raspberry Pi 4 B, LEIP v1.9.3 int8 (LatentAI, v0.5; threads unstated)", false, {0.421, 1.07, 2.60, 0.192}},
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cost_model_bench OUT.json\n");
    return 2;
  }
  struct Model {
    const char* benchmark;
    const char* arch;
    float width;
  };
  const Model models[4] = {{"KWS", "ds-cnn", 1.0f}, {"IC", "resnet8", 1.0f}, {"VWW", "mobilenetv1", 0.25f},
                           {"AD", "fc-ae", 1.0f}};
  std::vector<IntegerProgram> programs;
  nlohmann::json features = nlohmann::json::array();
  const Target m4 = load_target("cortex-m4");
  for (const Model& m : models) {
    programs.push_back(lowered(m.arch, m.width));
    // MACs / bytes / steps per kernel class (taken from the estimate's layer classification).
    std::map<std::string, nlohmann::json> per_class;
    for (const LayerEstimate& l : estimate_program(programs.back(), m4).layers) {
      const std::string cls = l.kernel.substr(0, l.kernel.find('/'));
      nlohmann::json& c = per_class[cls];
      if (c.is_null()) c = {{"macs", 0}, {"bytes", 0}, {"steps", 0}};
      c["macs"] = c["macs"].get<int64_t>() + l.macs;
      c["bytes"] = c["bytes"].get<int64_t>() + l.bytes;
      c["steps"] = c["steps"].get<int64_t>() + 1;
    }
    features.push_back({{"benchmark", m.benchmark}, {"arch", m.arch}, {"width", m.width}, {"classes", per_class}});
  }
  std::vector<double> acceptance_errors;
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-10s %-5s %10s %10s %8s  %s\n", "target", "model", "predicted", "published", "error", "system");
  for (const Published& p : kPublished) {
    const Target t = load_target(p.target);
    for (int i = 0; i < 4; ++i) {
      const Estimate e = estimate_program(programs[static_cast<size_t>(i)], t);
      const double err = 100.0 * (e.latency_ms - p.ms[i]) / p.ms[i];
      if (p.acceptance) acceptance_errors.push_back(std::fabs(err));
      std::printf("%-10s %-5s %10.3f %10.3f %7.1f%%  %s%s\n", p.target, models[i].benchmark, e.latency_ms, p.ms[i], err,
                  p.system, p.acceptance ? "" : " (context)");
      rows.push_back({{"target", p.target},
                      {"benchmark", models[i].benchmark},
                      {"model", models[i].arch},
                      {"system", p.system},
                      {"in_median", p.acceptance},
                      {"predicted_ms", e.latency_ms},
                      {"published_ms", p.ms[i]},
                      {"error_pct", err},
                      {"predicted_energy_uj", e.energy_uj},
                      {"macs", e.macs}});
    }
  }
  const double med = median(acceptance_errors);
  std::printf("median |error| over the %zu calibration rows: %.1f%%\n", acceptance_errors.size(), med);
  nlohmann::json out;
  out["generator"] = "bench/cost_model_bench.cpp (bench/run.sh, BENCH_ONLY=cost_model)";
  out["published_source"] = "REFERENCE-NUMBERS.md section 1.3 (mlcommons/tiny_results_v0.5..v1.3, median latency)";
  out["median_abs_error_pct"] = med;
  out["acceptance"] = "median |error| <= 30% (goal <= 15%) over the in_median rows (issue 8)";
  out["note"] =
      "in_median rows are the ones the dsp coefficients were fitted to (bench/fit_cost_model.py), so their error is "
      "in-sample; cost_model_fit.json holds the leave-one-row-out errors of the same fit.";
  out["rows"] = rows;
  out["features"] = features;
  bench::write_json(argv[1], out);
  std::printf("wrote %s\n", argv[1]);
  return 0;
}
