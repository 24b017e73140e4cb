// The optimize pipeline's stages (stages.h): thin, timed calls into the passes, trainer and evaluator.
#include "tinyopt/search/stages.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/passes/calibration.h"
#include "tinyopt/passes/mixed_precision.h"
#include "tinyopt/passes/prune.h"
#include "tinyopt/passes/qat.h"
#include "tinyopt/passes/quantize.h"
#include "tinyopt/train/trainer.h"

namespace tinyopt::search {

SearchData make_search_data(const Dataset& train, const Dataset& test, const SearchPlan& plan) {
  SearchData d;
  d.finetune = take(train, plan.finetune_per_epoch > 0 ? plan.finetune_per_epoch : 0);
  d.qat = take(train, plan.qat_per_epoch > 0 ? plan.qat_per_epoch : 0);
  d.calib = quant::select_calibration_samples(train, plan.calib_samples, plan.seed);
  d.heldout = quant::heldout_samples(train, plan.calib_samples, plan.heldout_samples, plan.seed);
  d.test = test;
  return d;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const StageContext& ctx, const std::string& stage, double fraction, const std::string& detail) {
  if (ctx.progress) ctx.progress(stage, fraction, detail);
}

train::ProgressFn train_progress(const StageContext& ctx, const std::string& stage) {
  return [&ctx, stage](const train::TrainProgress& p) {
    const double total = static_cast<double>(p.epochs) * static_cast<double>(std::max<int64_t>(1, p.steps_per_epoch));
    const double done = static_cast<double>(p.epoch) * static_cast<double>(p.steps_per_epoch) + static_cast<double>(p.step);
    report(ctx, stage, total > 0 ? done / total : 0,
           fmt::format("epoch {}/{} step {}/{} loss {:.4f} {:.0f} img/s", p.epoch + 1, p.epochs, p.step,
                       p.steps_per_epoch, p.loss, p.images_per_s));
  };
}

quant::QuantizeProgress quantize_progress(const StageContext& ctx) {
  return [&ctx](const std::string& stage, int64_t done, int64_t total) {
    report(ctx, "quantize", total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0,
           fmt::format("{} {}/{}", stage, done, total));
  };
}

}  // namespace

Candidate prune_stage(Candidate c, const StageContext& ctx) {
  if (c.spec.keep >= 1.0) {
    c.float_model = *ctx.teacher;
    return c;
  }
  const auto start = Clock::now();
  const ModelSummary before = summarize_model(*ctx.teacher);
  prune::PruneOptions o;
  o.criterion = prune::Criterion::kL1;
  o.target.target_params = static_cast<int64_t>(c.spec.keep * static_cast<double>(before.params));
  o.target.round_to = ctx.round_to;
  report(ctx, "prune", 0, fmt::format("L1 to {} params", o.target.target_params));
  c.float_model = prune::prune_structured(*ctx.teacher, o);
  const ModelSummary after = summarize_model(c.float_model);
  c.stages.push_back({"prune",
                      fmt::format("L1 structured pruning (global ranking, channels multiple of {}): params {} -> {} "
                                  "({:.1f}%), MACs {} -> {} ({:.1f}%)",
                                  ctx.round_to, before.params, after.params,
                                  100.0 * static_cast<double>(after.params) / static_cast<double>(before.params),
                                  before.macs, after.macs,
                                  100.0 * static_cast<double>(after.macs) / static_cast<double>(before.macs)),
                      seconds_since(start), false});
  return c;
}

Candidate finetune_stage(Candidate c, const StageContext& ctx) {
  const SearchPlan& plan = *ctx.plan;
  if (c.spec.keep >= 1.0 || plan.finetune_epochs <= 0 || ctx.data->finetune.size() == 0) return c;
  const auto start = Clock::now();
  train::TrainConfig cfg;
  cfg.epochs = plan.finetune_epochs;
  cfg.batch = plan.batch;
  cfg.lr = plan.finetune_lr;
  cfg.optimizer = "sgd";
  cfg.momentum = 0.9f;
  cfg.nesterov = true;
  cfg.schedule = "cosine";
  cfg.seed = plan.seed;
  cfg.threads = plan.threads;
  cfg.teacher = ctx.teacher;
  cfg.kd_temp = 4.0f;
  cfg.kd_alpha = 0.9f;
  cfg.evaluate_each_epoch = false;
  cfg.checkpoint_path = ctx.store->path(c.spec.pruned_key() + "-finetune.ckpt");
  cfg.resume = true;  // a fresh run starts with an empty checkpoint folder
  const train::TrainResult r =
      train::train(c.float_model, ctx.data->finetune, Dataset{}, cfg, train_progress(ctx, "fine-tune"));
  c.float_model = r.model;
  report(ctx, "fine-tune", 1, "float accuracy");
  c.float_accuracy = evaluate_classifier(c.float_model, ctx.data->test, 256, plan.threads).accuracy;
  c.stages.push_back({"fine-tune",
                      fmt::format("KD from the teacher (T 4, alpha 0.9), SGD lr {:g} cosine, {} epoch(s) x {} images; "
                                  "float accuracy {:.2f}%",
                                  plan.finetune_lr, plan.finetune_epochs, ctx.data->finetune.size(),
                                  100 * c.float_accuracy),
                      seconds_since(start), false});
  return c;
}

namespace {

bool uniform_bits(const std::map<std::string, int>& bits, int value) {
  for (const auto& [node, b] : bits)
    if (b != value) return false;
  return true;
}

}  // namespace

Candidate quantize_stage(Candidate c, const StageContext& ctx) {
  const SearchPlan& plan = *ctx.plan;
  const SearchData& data = *ctx.data;
  const auto start = Clock::now();
  quant::QuantizeOptions opts;
  opts.calibration.threads = plan.threads;
  opts.weight_bits = c.spec.weights == WeightPolicy::kInt4 ? 4 : 8;
  quant::QuantizeResult q;
  std::string what;
  if (c.spec.weights == WeightPolicy::kMixed) {
    // The budget: what the flash budget leaves for weights, else halfway between all-int8 and all-int4.
    const quant::QuantizeResult int8 = quant::quantize_model(c.float_model, data.calib, opts, quantize_progress(ctx));
    const quant::SensitivityReport sens =
        quant::measure_sensitivity(int8.float_model, int8.plan, data.heldout, opts.calibration, quantize_progress(ctx));
    const int64_t int8_bytes = summarize_model(int8.qdq).weight_bytes;
    int64_t saved_all = 0;
    for (const quant::LayerSensitivity& l : sens.layers) saved_all += l.bytes_int8 - l.bytes_int4;
    const int64_t int4_bytes = int8_bytes - saved_all;
    int64_t budget = (int8_bytes + int4_bytes) / 2;
    if (ctx.weight_budget && *ctx.weight_budget < int8_bytes && *ctx.weight_budget >= int4_bytes) budget = *ctx.weight_budget;
    const quant::PrecisionChoice choice = quant::choose_weight_bits(sens.layers, int8_bytes, {budget, std::nullopt});
    if (uniform_bits(choice.weight_bits_by_layer, 4) || uniform_bits(choice.weight_bits_by_layer, 8)) {
      c.duplicate = true;
      c.notes.push_back(fmt::format("mixed precision under {} of weights chose the same bits for every layer: the "
                                    "same model as the uniform candidate, not evaluated again",
                                    format_bytes(static_cast<double>(budget))));
      c.stages.push_back({"quantize", "mixed precision: uniform choice (duplicate)", seconds_since(start), false});
      return c;
    }
    opts.weight_bits_by_layer = choice.weight_bits_by_layer;
    q = quant::quantize_model(c.float_model, data.calib, opts, quantize_progress(ctx));
    int int4 = 0;
    for (const auto& [node, bits] : choice.weight_bits_by_layer) int4 += bits == 4;
    what = fmt::format("mixed precision under {} of weights: {} of {} layers int4 (sensitivity on {} held-out images)",
                       format_bytes(static_cast<double>(budget)), int4, choice.weight_bits_by_layer.size(),
                       data.heldout.size());
  } else {
    q = quant::quantize_model(c.float_model, data.calib, opts, quantize_progress(ctx));
    what = fmt::format("PTQ W{}A8", opts.weight_bits);
  }
  c.stages.push_back({"quantize",
                      fmt::format("{}: BN folded, MSE calibration on {} images, bias correction", what, data.calib.size()),
                      seconds_since(start), false});
  c.qdq = q.qdq;

  const bool qat = c.spec.weights != WeightPolicy::kInt8 && c.spec.keep < 1.0 && plan.qat_epochs > 0 && data.qat.size() > 0;
  if (qat) {
    const auto qat_start = Clock::now();
    train::TrainConfig cfg = quant::default_qat_config();
    cfg.epochs = plan.qat_epochs;
    cfg.lr = plan.qat_lr;
    cfg.batch = plan.batch;
    cfg.seed = plan.seed;
    cfg.threads = plan.threads;
    cfg.teacher = ctx.teacher;
    cfg.evaluate_each_epoch = false;
    const quant::QatResult r =
        quant::quantization_aware_training(q.float_model, q.plan, data.qat, Dataset{}, cfg, train_progress(ctx, "qat"));
    c.qdq = r.qdq;
    c.stages.push_back({"qat",
                        fmt::format("quantization-aware fine-tune (LSQ, KD from the teacher), Adam lr {:g}, {} epoch(s) x "
                                    "{} images",
                                    plan.qat_lr, plan.qat_epochs, data.qat.size()),
                        seconds_since(qat_start), false});
  }
  return c;
}

namespace {

std::vector<LayerRow> layer_rows(const Graph& teacher, const Graph& float_model, const Graph& qdq) {
  std::map<std::string, int64_t> before, after;
  for (const prune::ChannelSpace& s : prune::analyze_channels(teacher).spaces) before[s.node] = s.width;
  for (const prune::ChannelSpace& s : prune::analyze_channels(float_model).spaces) after[s.node] = s.width;
  std::vector<LayerRow> rows;
  for (const LayerSummary& l : summarize_model(qdq).layers) {
    if (l.macs == 0 && l.weight_bytes == 0) continue;
    LayerRow r;
    r.name = l.name;
    r.op = l.op;
    r.weight_bits = l.weight_bits;
    r.macs = l.macs;
    r.weight_bytes = l.weight_bytes;
    r.channels_before = before.count(l.name) ? before[l.name] : 0;
    r.channels_after = after.count(l.name) ? after[l.name] : 0;
    rows.push_back(r);
  }
  return rows;
}

}  // namespace

Candidate evaluate_stage(Candidate c, const StageContext& ctx) {
  const auto start = Clock::now();
  report(ctx, "evaluate", 0, fmt::format("{} test images, integer executor", ctx.data->test.size()));
  const EvalResult e = evaluate_classifier(c.qdq, ctx.data->test, 256, ctx.plan->threads);
  c.metrics.accuracy = e.accuracy;
  c.metrics.weight_bytes = summarize_model(c.qdq).weight_bytes;
  c.layers = layer_rows(*ctx.teacher, c.float_model, c.qdq);
  c.stages.push_back({"evaluate",
                      fmt::format("integer executor ({}): {:.2f}% on {} test images", e.executor, 100 * e.accuracy,
                                  e.samples),
                      seconds_since(start), false});
  return c;
}

}  // namespace tinyopt::search
