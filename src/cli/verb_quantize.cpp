// `tinyopt quantize MODEL --data D [--calib N | --calib-data D] [--calibrator C] [--weights int8|int4]
// [--activations int8|int16] [--no-bias-correction] [--json] -o OUT.onnx`: post-training quantization
// (the pipeline is quant::quantize_model in src/passes/quantize/), then test accuracy of the float and the
// quantized model, then the QDQ ONNX file (written last, atomically, so an error leaves no output).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/progress.h"
#include "cli/quantize_extras.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/quantize.h"

namespace tinyopt::cli {
namespace {

struct QuantizeArgs {
  std::string model, data, calib_data, out;
  std::string calibrator = "mse", weights = "int8", activations = "int8", weight_clip;
  int64_t calib = 500;
  double percentile = 99.99;
  uint64_t seed = 0;
  int threads = 0;
  int64_t batch = 256;
  int64_t limit = 0;
  bool no_bias_correction = false;
  bool json = false;
  QuantizeExtras extras;  // --weights mixed, QAT (quantize_extras.h)
};

nlohmann::json sqnr_json(double db) {
  if (std::isinf(db)) return db > 0 ? nlohmann::json("inf") : nlohmann::json("-inf");
  return std::round(db * 100.0) / 100.0;
}

void run_quantize(const QuantizeArgs& a) {
  const Graph model = load_model(a.model);
  Dataset test = load_dataset(a.data, Split::kTest);
  if (a.limit > 0 && a.limit < test.size()) test = take(test, a.limit);
  Dataset calib;
  std::vector<int64_t> calib_indices;  // into the training split; empty with --calib-data (all of it is used)
  if (!a.calib_data.empty()) {
    calib = load_dataset(a.calib_data, Split::kTrain);
    if (calib.size() == 0) throw_bad_input("calibration data '" + a.calib_data + "' has no samples");
  } else {
    if (a.calib <= 0) throw_bad_input("--calib must be at least 1 (calibration needs samples)");
    const Dataset train = load_dataset(a.data, Split::kTrain);
    if (train.size() == 0) throw_bad_input("dataset '" + a.data + "' has no training samples to calibrate on");
    calib = quant::select_calibration_samples(train, a.calib, a.seed);
    calib_indices = quant::calibration_indices(train.size(), a.calib, a.seed);
  }
  with_error_context(a.model, [&] {
    check_dataset_fits_model(model, calib);
    check_dataset_fits_model(model, test);
  });

  quant::QuantizeOptions opts;
  opts.calibrator = *quant::calibrator_from_name(a.calibrator);
  opts.percentile = a.percentile;
  opts.weight_bits = a.weights == "int4" ? 4 : 8;
  opts.activation_bits = a.activations == "int16" ? 16 : 8;
  opts.bias_correction = !a.no_bias_correction;
  if (!a.weight_clip.empty()) opts.weight_clip = a.weight_clip == "mse" ? quant::WeightClip::kMse : quant::WeightClip::kMax;
  opts.calibration.threads = a.threads;

  ProgressLine progress;
  nlohmann::json extra_json = nlohmann::json::object();
  std::string extra_summary;
  QuantizeExtras extras = a.extras;
  extras.mixed = a.weights == "mixed";
  const QuantizeDataSpec spec{a.data, a.seed, a.calib_data.empty() ? a.calib : 0, a.threads};
  const quant::QuantizeResult r = with_error_context(a.model, [&] {
    return quantize_with_extras(model, calib, spec, opts, extras, progress, extra_json, extra_summary);
  });
  progress.update("quantize: evaluating the float model", true);
  const EvalResult float_eval = evaluate_classifier(model, test, a.batch, a.threads);
  progress.update("quantize: evaluating the quantized model", true);
  const EvalResult quant_eval = evaluate_classifier(quant::unpack_int4_initializers(r.qdq), test, a.batch, a.threads);
  progress.finish();

  Graph out = r.qdq;
  out.metadata["tinyopt.quantize"] =
      fmt::format("calibrator={} weights={} activations={} calib={} bias_correction={}", a.calibrator, a.weights,
                  a.activations, calib.size(), opts.bias_correction ? "on" : "off");
  save_onnx(out, a.out);

  if (a.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const quant::LayerReport& l : r.layers)
      layers.push_back({{"name", l.name}, {"op", std::string(op_name(l.op))}, {"weight_bits", l.weight_bits},
                        {"act_bits", l.act_bits}, {"sqnr_db", sqnr_json(l.sqnr_db)}});
    nlohmann::json j = {{"output", a.out},
                        {"accuracy", quant_eval.accuracy},
                        {"float_accuracy", float_eval.accuracy},
                        {"samples", quant_eval.samples},
                        {"calibration_samples", calib.size()},
                        {"calibrator", a.calibrator},
                        {"bias_correction", opts.bias_correction},
                        {"calibration_indices", calib_indices},
                        {"layers", layers}};
    j.update(extra_json);
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{:<24} {:>8} {:>6} {:>6} {:>9}\n", "layer", "op", "w bits", "a bits", "SQNR dB");
  for (const quant::LayerReport& l : r.layers)
    fmt::print("{:<24} {:>8} {:>6} {:>6} {:>9.2f}\n", l.name, op_name(l.op), l.weight_bits, l.act_bits, l.sqnr_db);
  fmt::print("{}", extra_summary);
  fmt::print("{}: test accuracy {:.2f}% quantized, {:.2f}% float ({:+.2f} pt; {} test samples, {} calibration samples, {})\n",
             a.out, 100 * quant_eval.accuracy, 100 * float_eval.accuracy, 100 * (quant_eval.accuracy - float_eval.accuracy),
             quant_eval.samples, calib.size(), a.calibrator);
}

}  // namespace

void add_quantize_verb(CLI::App& app) {
  auto a = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "post-training quantization to a QDQ ONNX model (int8 / int4 weights)");
  cmd->add_option("model", a->model, "float ONNX model")->required();
  cmd->add_option("--data", a->data, "fashion-mnist, a folder of IDX files, x.npy,y.npy or a .csv")->required();
  cmd->add_option("-o,--output", a->out, "output QDQ .onnx file")->required();
  cmd->add_option("--calib", a->calib, "calibration samples drawn from the training split (with --seed)");
  cmd->add_option("--calib-data", a->calib_data, "calibrate on all of this data instead (any --data format)");
  cmd->add_option("--calibrator", a->calibrator, "activation range calibrator")
      ->check(CLI::IsMember(quant::calibrator_names()));
  cmd->add_option("--percentile", a->percentile, "percentile for --calibrator percentile")->check(CLI::Range(50.0, 100.0));
  cmd->add_option("--weights", a->weights, "weight precision")->check(CLI::IsMember({"int8", "int4", "mixed"}));
  cmd->add_option("--activations", a->activations, "activation precision")->check(CLI::IsMember({"int8", "int16"}));
  cmd->add_option("--weight-clip", a->weight_clip, "weight scale: max |w| or the MSE-optimal clip (default: max for int8, mse for int4)")
      ->check(CLI::IsMember({"max", "mse"}));
  cmd->add_flag("--no-bias-correction", a->no_bias_correction, "skip empirical bias correction");
  cmd->add_option("--seed", a->seed, "seed of the calibration sample selection");
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch", a->batch, "evaluation batch size")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--limit", a->limit, "evaluate on the first N test samples only (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", a->json, "print a JSON object");
  add_quantize_extra_flags(cmd, a->extras);
  cmd->callback([a] { run_quantize(*a); });
}

}  // namespace tinyopt::cli
