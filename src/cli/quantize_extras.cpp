// Mixed precision and QAT for `tinyopt quantize` (see quantize_extras.h): flag parsing, the calls into
// quant::quantize_mixed_precision and quant::quantization_aware_training, and their report.
#include "cli/quantize_extras.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "cli/model_file.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/passes/mixed_precision.h"
#include "tinyopt/passes/qat.h"

namespace tinyopt::cli {

void add_quantize_extra_flags(CLI::App* cmd, QuantizeExtras& e) {
  cmd->add_option("--max-flash", e.max_flash, "--weights mixed: weight bytes as stored (64KiB, 1MiB, 60000)")
      ->transform(CLI::AsSizeValue(true));
  cmd->add_option("--max-bits-avg", e.max_bits_avg, "--weights mixed: mean bits per weight")->check(CLI::Range(1.0, 32.0));
  cmd->add_option("--heldout", e.heldout, "--weights mixed: training samples (not calibration ones) to measure layer sensitivity on")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  cmd->add_option("--qat-epochs", e.qat_epochs, "quantization-aware training epochs after quantizing (0 = none)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--qat-lr", e.qat_lr, "QAT peak learning rate (Adam, cosine to 0)")->check(CLI::PositiveNumber);
  cmd->add_option("--qat-batch", e.qat_batch, "QAT batch size")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--qat-limit", e.qat_limit, "QAT on the first N training samples only (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--teacher", e.teacher, "QAT: distil from this float model")->check(CLI::ExistingFile);
  cmd->add_option("--kd-temp", e.kd_temp, "QAT distillation temperature T")->check(CLI::PositiveNumber);
  cmd->add_option("--kd-alpha", e.kd_alpha, "QAT weight of the distillation term")->check(CLI::Range(0.0f, 1.0f));
}

namespace {

void check_usage(const QuantizeExtras& e) {
  const bool budget = e.max_flash > 0 || e.max_bits_avg > 0;
  if (e.mixed && !budget) throw_usage("--weights mixed needs a budget: --max-flash SIZE or --max-bits-avg B");
  if (!e.mixed && budget) throw_usage("--max-flash / --max-bits-avg choose mixed precision: add --weights mixed");
  if (e.max_flash > 0 && e.max_bits_avg > 0) throw_usage("give --max-flash or --max-bits-avg, not both");
  if (e.qat_epochs == 0 && !e.teacher.empty()) throw_usage("--teacher distils during QAT: add --qat-epochs N");
}

nlohmann::json mixed_json(const quant::MixedPrecisionResult& m, const QuantizeExtras& e) {
  nlohmann::json layers = nlohmann::json::array();
  for (const quant::LayerSensitivity& l : m.sensitivity.layers)
    layers.push_back({{"name", l.node},
                      {"weight_bits", m.choice.weight_bits_by_layer.at(l.node)},
                      {"weight_count", l.weight_count},
                      {"int4_noise_added", l.noise_added},
                      {"int4_output_sqnr_db", std::isfinite(l.sqnr_db) ? nlohmann::json(l.sqnr_db) : nlohmann::json("inf")},
                      {"int4_accuracy", l.accuracy}});
  nlohmann::json j = {{"predicted_flash_bytes", m.choice.flash_bytes},
                      {"bits_avg", m.choice.bits_avg},
                      {"predicted_noise_added", m.choice.predicted_noise_added},
                      {"heldout_samples", e.heldout},
                      {"int8_output_sqnr_db", m.sensitivity.int8_sqnr_db},
                      {"layers", layers}};
  if (e.max_flash > 0) j["max_flash"] = e.max_flash;
  if (e.max_bits_avg > 0) j["max_bits_avg"] = e.max_bits_avg;
  return j;
}

}  // namespace

quant::QuantizeResult quantize_with_extras(const Graph& model, const Dataset& calibration, const QuantizeDataSpec& spec,
                                           const quant::QuantizeOptions& options, const QuantizeExtras& e,
                                           ProgressLine& progress, nlohmann::json& json, std::string& summary) {
  check_usage(e);
  auto on_stage = [&](const std::string& stage, int64_t done, int64_t total) {
    progress.update(fmt::format("quantize: {} {}/{}", stage, done, total), done == total);
  };
  std::optional<Dataset> train_split;
  auto training_split = [&]() -> const Dataset& {
    if (!train_split) train_split = load_dataset(spec.data, Split::kTrain);
    return *train_split;
  };

  quant::QuantizeResult r;
  if (e.mixed) {
    const Dataset heldout = quant::heldout_samples(training_split(), spec.calib, e.heldout, spec.seed);
    quant::WeightBudget budget;
    if (e.max_flash > 0) budget.max_flash_bytes = static_cast<int64_t>(e.max_flash);
    else budget.max_bits_avg = e.max_bits_avg;
    quant::MixedPrecisionResult m = quant::quantize_mixed_precision(model, calibration, heldout, options, budget, on_stage);
    json["mixed"] = mixed_json(m, e);
    int int4 = 0;
    for (const auto& [node, bits] : m.choice.weight_bits_by_layer) int4 += bits == 4;
    summary += fmt::format("mixed precision: {} of {} layers int4, {} weight bytes predicted ({:.2f} bits/weight), "
                           "sensitivity on {} held-out samples\n",
                           int4, m.choice.weight_bits_by_layer.size(), m.choice.flash_bytes, m.choice.bits_avg,
                           heldout.size());
    r = std::move(m.quantized);
  } else {
    r = quant::quantize_model(model, calibration, options, on_stage);
  }

  if (e.qat_epochs > 0) {
    Dataset train_data = training_split();
    if (e.qat_limit > 0 && e.qat_limit < train_data.size()) train_data = take(train_data, e.qat_limit);
    train::TrainConfig c = quant::default_qat_config();
    c.epochs = e.qat_epochs;
    c.lr = e.qat_lr;
    c.batch = e.qat_batch;
    c.seed = spec.seed;
    c.threads = spec.threads;
    c.evaluate_each_epoch = false;
    Graph teacher;
    if (!e.teacher.empty()) {
      teacher = load_model(e.teacher);
      c.teacher = &teacher;
      c.kd_temp = e.kd_temp;
      c.kd_alpha = e.kd_alpha;
    }
    const quant::QatResult q = quant::quantization_aware_training(
        r.float_model, r.plan, train_data, Dataset{}, c, [&](const train::TrainProgress& p) {
          progress.update(fmt::format("qat: epoch {}/{} step {}/{} loss {:.4f} train acc {:.2f}% lr {:.2g} {:.0f} img/s eta {}",
                                      p.epoch + 1, p.epochs, p.step, p.steps_per_epoch, p.loss, 100 * p.accuracy, p.lr,
                                      p.images_per_s, format_duration(p.eta_s)),
                          p.epoch_end);
        });
    r.float_model = q.float_model;
    r.plan = q.plan;
    r.qdq = q.qdq;
    progress.update("qat: per-layer SQNR", true);
    const std::map<std::string, double> sqnr = quant::layer_sqnr(r.float_model, r.qdq, calibration, options.calibration);
    for (quant::LayerReport& l : r.layers)
      if (const auto it = sqnr.find(l.name); it != sqnr.end()) l.sqnr_db = it->second;
    json["qat"] = {{"epochs", e.qat_epochs}, {"lr", e.qat_lr}, {"batch", e.qat_batch}, {"train_samples", train_data.size()},
                   {"teacher", e.teacher}, {"final_loss", q.final_loss}};
    summary += fmt::format("QAT: {} epoch(s) on {} training samples, lr {:g}{}, final loss {:.4f}\n", e.qat_epochs,
                           train_data.size(), e.qat_lr, e.teacher.empty() ? "" : ", distilled from " + e.teacher,
                           q.final_loss);
  }
  json["weight_bytes"] = summarize_model(r.qdq).weight_bytes;
  return r;
}

}  // namespace tinyopt::cli
