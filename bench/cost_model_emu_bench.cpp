// The cost model against our own emulated instruction counts (issue 8: "vs our own emulated instruction
// counts <= 10%"), per kernel call. Deterministic (instruction counts, no timing).
//
//   cost_model_emu_bench WORK [FIT.json] OUT.json
// WORK is what bench/cost_model_emu_measure.sh wrote: models.json (the spread of models: MLPerf Tiny
// reference shapes, the Fashion-MNIST teacher and student, other built-in architectures and widths), each
// model's int8 ONNX file and, per emulated platform (cortex-m4, cortex-m7) and kernel variant (ref, dsp),
// the `tinyopt emulate --json` result with the instruction count of every kernel call. For each run this
// lowers the same ONNX file, estimates it with the shipped target files (estimate_program; the ref runs
// with the target's dsp feature removed, as they were generated) and writes per layer: the cost terms
// (cost_terms), the predicted and the emulated instructions and the error; totals per model; the median
// absolute error per kernel class and overall. With FIT.json (bench/fit_cost_model.py --out) the held-out
// predictions of the fit (each architecture predicted by coefficients fitted without it) are reported
// beside the in-sample ones. bench/run.sh's bench_cost_model_emu runs the measurement, this, the fit and
// this again (docs/targets.md "Instruction terms").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench_io.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/target/cost_model.h"

namespace {

using namespace tinyopt;
using nlohmann::json;

// The platform's target file of this source tree (so a refit is compared without rebuilding), with the dsp
// feature removed for the reference runs (as cost_model_emu_measure.sh generated them: codegen then picked
// the ref kernels, and the cost model prices ref).
Target target_for(const std::string& platform, const std::string& variant) {
  Target t = load_target(std::string(TINYOPT_SOURCE_DIR) + "/data/targets/" + platform + ".json");
  if (variant == "ref") t.features.erase(std::remove(t.features.begin(), t.features.end(), "dsp"), t.features.end());
  return t;
}

double median_abs(std::vector<double> v) {
  if (v.empty()) return 0;
  for (double& x : v) x = std::fabs(x);
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Held-out predictions of the fit: (model, platform, variant, step) -> predicted instructions.
std::map<std::string, double> held_out_predictions(const std::string& fit_path) {
  std::map<std::string, double> out;
  if (fit_path.empty()) return out;
  const json fit = bench::read_json(fit_path);
  for (const json& l : fit.at("held_out_layers"))
    out[l.at("key").get<std::string>()] = l.at("predicted_instructions").get<double>();
  return out;
}

std::string layer_key(const std::string& model, const std::string& platform, const std::string& variant, int step) {
  return model + "|" + platform + "|" + variant + "|" + std::to_string(step);
}

int compare(const std::string& work, const std::string& fit_path, const std::string& out_path) {
  const json spread = bench::read_json(work + "/models.json");
  const std::map<std::string, double> held = held_out_predictions(fit_path);
  json rows = json::array(), models = json::array();
  std::map<std::string, std::vector<double>> err_by_class, held_by_class;
  std::vector<double> all_err, all_held, model_err, model_held;
  for (const json& m : spread.at("models"))
    for (const json& r : m.at("runs")) {
    const std::string name = m.at("name"), group = m.at("group"), platform = r.at("platform"), variant = r.at("variant");
    const IntegerProgram program = lower_qdq_graph(load_onnx(work + "/" + m.at("onnx").get<std::string>()));
    const json run = bench::read_json(work + "/" + r.at("file").get<std::string>());
    const Estimate e = estimate_program(program, target_for(platform, variant));
    double emu_total = 0, pred_total = 0, held_total = 0;
    bool all_held_present = !held.empty();
    for (const json& l : run.at("layers")) {
      const int step = l.at("step");
      const LayerEstimate& est = e.layers.at(static_cast<size_t>(step));
      const double emu = l.at("instructions"), err = 100.0 * (est.instructions - emu) / emu;
      const std::string key = layer_key(name, platform, variant, step), kernel = l.at("kernel");
      // "topt_conv2d_1x1_s8__dsp" -> "conv2d_1x1_s8/dsp": the kernel that ran, as the fit groups them
      const std::string ran = kernel.substr(5, kernel.find("__") - 5) + "/" + kernel.substr(kernel.find("__") + 2);
      json terms = json::object();
      for (const auto& [term, value] : cost_terms(program, program.steps.at(static_cast<size_t>(step))))
        terms[term] = value;
      json row = {{"key", key}, {"model", name}, {"group", group}, {"platform", platform},
                  {"variant", variant}, {"step", step}, {"node", est.name}, {"kernel", kernel},
                  {"class", ran}, {"cost_key", est.cost_key}, {"macs", est.macs}, {"terms", terms},
                  {"emulated_instructions", emu}, {"predicted_instructions", est.instructions}, {"error_pct", err}};
      emu_total += emu;
      pred_total += est.instructions;
      err_by_class[ran].push_back(err);
      all_err.push_back(err);
      if (auto it = held.find(key); it != held.end()) {
        const double h = 100.0 * (it->second - emu) / emu;
        row["held_out_predicted_instructions"] = it->second;
        row["held_out_error_pct"] = h;
        held_by_class[ran].push_back(h);
        all_held.push_back(h);
        held_total += it->second;
      } else {
        all_held_present = false;
      }
      rows.push_back(row);
    }
    const double merr = 100.0 * (pred_total - emu_total) / emu_total;
    model_err.push_back(merr);
    json mrow = {{"model", name}, {"platform", platform}, {"variant", variant}, {"emulated_instructions", emu_total},
                 {"predicted_instructions", pred_total}, {"error_pct", merr}};
    if (all_held_present) {
      mrow["held_out_predicted_instructions"] = held_total;
      mrow["held_out_error_pct"] = 100.0 * (held_total - emu_total) / emu_total;
      model_held.push_back(mrow["held_out_error_pct"]);
    }
    std::printf("%-22s %-10s %-4s emulated %12.0f predicted %12.0f (%+6.1f%%)\n", name.c_str(), platform.c_str(),
                variant.c_str(), emu_total, pred_total, merr);
    models.push_back(mrow);
  }
  json per_class = json::object();
  for (const auto& [cls, errs] : err_by_class) {
    per_class[cls] = {{"layers", errs.size()}, {"median_abs_error_pct", median_abs(errs)}};
    if (held_by_class.count(cls)) per_class[cls]["held_out_median_abs_error_pct"] = median_abs(held_by_class[cls]);
    std::printf("%-24s %4zu layers  median |error| %5.1f%%", cls.c_str(), errs.size(), median_abs(errs));
    if (held_by_class.count(cls)) std::printf("  held out %5.1f%%", median_abs(held_by_class[cls]));
    std::printf("\n");
  }
  std::printf("all layers: median |error| %.1f%% (held out %.1f%%); model totals %.1f%% (held out %.1f%%)\n",
              median_abs(all_err), median_abs(all_held), median_abs(model_err), median_abs(model_held));
  json out = {{"generator", "bench/cost_model_emu_bench.cpp compare (bench/run.sh, BENCH_ONLY=cost_model_emu)"},
              {"what", "predicted (estimate_program, data/targets/*.json) vs emulated instructions per kernel call"},
              {"measured", "bench/cost_model_emu_measure.sh: tinyopt codegen + emulate, one sample per run"},
              {"acceptance", "median |error| <= 10% vs our own emulated instruction counts (issue 8)"},
              {"median_abs_error_pct", median_abs(all_err)},
              {"model_totals_median_abs_error_pct", median_abs(model_err)},
              {"per_class", per_class},
              {"models", models},
              {"layers", rows}};
  if (!held.empty()) {
    out["held_out_median_abs_error_pct"] = median_abs(all_held);
    out["held_out_model_totals_median_abs_error_pct"] = median_abs(model_held);
    out["held_out"] = "each architecture (all its widths) predicted by coefficients fitted without it "
                      "(bench/fit_cost_model.py --emu, " + fit_path + ")";
  }
  bench::write_json(out_path, out);
  std::printf("wrote %s\n", out_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3) return compare(argv[1], "", argv[2]);
    if (argc == 4) return compare(argv[1], argv[2], argv[3]);
  } catch (const Error& e) {
    std::fprintf(stderr, "cost_model_emu_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: cost_model_emu_bench WORK [FIT.json] OUT.json\n");
  return 2;
}
