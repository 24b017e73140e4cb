// The candidate grid and its training sizes from the time budget (search_plan.h), and its JSON form.
#include "tinyopt/search/search_plan.h"

#include <algorithm>
#include <cmath>

#include "tinyopt/core/error.h"

namespace tinyopt::search {

std::vector<double> SearchPlan::keep_levels() const {
  std::vector<double> keeps;
  for (const CandidateSpec& c : candidates)
    if (c.keep < 1.0 && std::find(keeps.begin(), keeps.end(), c.keep) == keeps.end()) keeps.push_back(c.keep);
  return keeps;
}

namespace {

// Nominal seconds of the work each candidate gets, for a model of `macs` MACs per sample (the pruned model's
// MACs are taken as keep * the teacher's: structured pruning removes MACs about as fast as parameters).
struct Costs {
  const PlanInputs& in;
  const SearchPlan& plan;
  double macs(double keep) const { return keep * static_cast<double>(in.teacher_macs); }
  // Training: teacher forward (KD) + student forward and backward (3 MAC-equivalents per MAC).
  double train_image(double keep) const { return (static_cast<double>(in.teacher_macs) + 3 * macs(keep)) / kTrainMacsPerSecond; }
  // PTQ: MSE calibration, per-layer bias correction and the SQNR pass cost about 100 float forwards per
  // calibration sample (measured: 140 s for the 256 images of fmnist-cnn at ~14% of a core).
  double quantize(double keep) const {
    return 100.0 * static_cast<double>(plan.calib_samples) * macs(keep) / kTrainMacsPerSecond;
  }
  // Mixed precision: one float forward of the held-out samples per layer plus the int8 baseline (~8 layers).
  double sensitivity(double keep) const {
    return 9.0 * static_cast<double>(plan.heldout_samples) * macs(keep) / kTrainMacsPerSecond;
  }
  double evaluate(double keep, WeightPolicy p) const {
    const double integer = p == WeightPolicy::kInt8 ? kIntegerMacsPerSecond : kInt4MacsPerSecond;
    return static_cast<double>(in.test_samples) * macs(keep) * (1.0 / integer + 1.0 / kTrainMacsPerSecond);
  }
  // Everything but the fine-tuning images, for the whole grid.
  double fixed(const std::vector<CandidateSpec>& cands) const {
    double s = 0;
    for (const CandidateSpec& c : cands) {
      s += quantize(c.keep) + evaluate(c.keep, c.weights);
      if (c.weights == WeightPolicy::kMixed) s += sensitivity(c.keep) + quantize(c.keep);
    }
    return s;
  }
  // Seconds per fine-tuning image of a level: the KD fine-tune itself plus the QAT of its int4 and mixed
  // candidates, which take a quarter of that many images each (fake quantization costs ~1.5x).
  double per_level_image(double keep) const { return train_image(keep) * (1.0 + 2 * 0.25 * 1.5); }
};

// Mixed precision needs held-out samples to measure sensitivity on; without them it is left out.
std::vector<CandidateSpec> grid(const std::vector<double>& keeps, bool mixed) {
  std::vector<CandidateSpec> out;
  out.push_back({0, 1.0, WeightPolicy::kInt8});
  for (double keep : keeps)
    for (WeightPolicy p : {WeightPolicy::kInt8, WeightPolicy::kInt4, WeightPolicy::kMixed})
      if (p != WeightPolicy::kMixed || mixed) out.push_back({static_cast<int>(out.size()), keep, p});
  return out;
}

}  // namespace

SearchPlan plan_search(const PlanInputs& in) {
  if (in.teacher_macs <= 0 || in.train_samples <= 0) throw_bad_input("optimize: the model has no MACs or the data no training samples");
  if (!(in.time_budget_s > 0)) throw_usage("--time-budget must be positive (seconds)");
  SearchPlan plan;
  plan.seed = in.seed;
  plan.threads = in.threads;
  // Calibration and held-out samples are disjoint draws from the training split.
  plan.calib_samples = std::min<int64_t>(plan.calib_samples, std::max<int64_t>(1, in.train_samples / 2));
  plan.heldout_samples = std::min<int64_t>(plan.heldout_samples, in.train_samples - plan.calib_samples);
  const Costs costs{in, plan};

  std::vector<double> levels(std::begin(kKeepLevels), std::end(kKeepLevels));
  if (!in.keep_levels.empty()) levels = in.keep_levels;
  // The most levels whose minimum fine-tuning still fits the budget (or every requested level when the
  // caller fixed the fine-tuning size).
  std::vector<double> chosen;
  int64_t images = in.finetune_images;
  for (size_t n = levels.size(); n > 0; --n) {
    const std::vector<double> keeps(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(n));
    const std::vector<CandidateSpec> cands = grid(keeps, plan.heldout_samples > 0);
    double per_image = 0;
    for (double k : keeps) per_image += costs.per_level_image(k);
    const double left = in.time_budget_s - costs.fixed(cands);
    if (in.finetune_images > 0 || left >= per_image * static_cast<double>(kMinFineTuneImages)) {
      chosen = keeps;
      if (in.finetune_images <= 0) {
        const int64_t cap = kMaxFineTuneEpochs * in.train_samples;
        images = std::min<int64_t>(cap, static_cast<int64_t>(left / per_image));
      }
      break;
    }
  }
  plan.candidates = grid(chosen, plan.heldout_samples > 0);
  if (!chosen.empty()) {
    plan.finetune_epochs = static_cast<int>((images + in.train_samples - 1) / in.train_samples);
    plan.finetune_per_epoch = (images + plan.finetune_epochs - 1) / plan.finetune_epochs;
    plan.finetune_images = plan.finetune_per_epoch * plan.finetune_epochs;
    plan.qat_epochs = 1;
    plan.qat_per_epoch = std::max<int64_t>(plan.batch, plan.finetune_images / 4);
    plan.qat_per_epoch = std::min(plan.qat_per_epoch, in.train_samples);
  }
  plan.predicted_seconds = costs.fixed(plan.candidates);
  for (double k : chosen) plan.predicted_seconds += costs.per_level_image(k) * static_cast<double>(plan.finetune_images);
  return plan;
}

std::vector<double> nominal_candidate_seconds(const SearchPlan& plan, const PlanInputs& in) {
  const Costs costs{in, plan};
  std::vector<double> out;
  std::vector<double> seen;
  for (const CandidateSpec& c : plan.candidates) {
    double s = costs.fixed({c});
    if (c.keep < 1.0 && std::find(seen.begin(), seen.end(), c.keep) == seen.end()) {
      seen.push_back(c.keep);
      s += costs.train_image(c.keep) * static_cast<double>(plan.finetune_images);
    }
    if (c.keep < 1.0 && c.weights != WeightPolicy::kInt8)
      s += 1.5 * costs.train_image(c.keep) * static_cast<double>(plan.qat_epochs * plan.qat_per_epoch);
    out.push_back(s);
  }
  return out;
}

double eta_seconds(const RunPace& pace) {
  const double speed = pace.nominal_done > 0 && pace.computed_seconds > 1 ? pace.computed_seconds / pace.nominal_done : 1.0;
  double current_left = std::max(0.0, pace.nominal_current * speed - pace.in_current);
  if (pace.stage_fraction > 0.01 && pace.stage_fraction < 1)
    current_left = std::max(current_left, pace.in_stage * (1 - pace.stage_fraction) / pace.stage_fraction);
  return std::max(0.0, (pace.nominal_total - pace.nominal_done - pace.nominal_current) * speed) + current_left;
}

nlohmann::json plan_to_json(const SearchPlan& p) {
  nlohmann::json cands = nlohmann::json::array();
  for (const CandidateSpec& c : p.candidates)
    cands.push_back({{"id", c.id}, {"keep", c.keep}, {"weights", policy_name(c.weights)}});
  return {{"candidates", cands},          {"finetune_images", p.finetune_images}, {"finetune_epochs", p.finetune_epochs},
          {"finetune_per_epoch", p.finetune_per_epoch}, {"qat_epochs", p.qat_epochs}, {"qat_per_epoch", p.qat_per_epoch},
          {"calib_samples", p.calib_samples}, {"heldout_samples", p.heldout_samples}, {"batch", p.batch},
          {"finetune_lr", p.finetune_lr},   {"qat_lr", p.qat_lr},                  {"seed", p.seed},
          {"threads", p.threads},           {"predicted_seconds", p.predicted_seconds}};
}

SearchPlan plan_from_json(const nlohmann::json& j) {
  try {
    SearchPlan p;
    for (const auto& c : j.at("candidates"))
      p.candidates.push_back({c.at("id").get<int>(), c.at("keep").get<double>(), policy_from_name(c.at("weights"))});
    p.finetune_images = j.at("finetune_images");
    p.finetune_epochs = j.at("finetune_epochs");
    p.finetune_per_epoch = j.at("finetune_per_epoch");
    p.qat_epochs = j.at("qat_epochs");
    p.qat_per_epoch = j.at("qat_per_epoch");
    p.calib_samples = j.at("calib_samples");
    p.heldout_samples = j.at("heldout_samples");
    p.batch = j.at("batch");
    p.finetune_lr = j.at("finetune_lr");
    p.qat_lr = j.at("qat_lr");
    p.seed = j.at("seed");
    p.threads = j.at("threads");
    p.predicted_seconds = j.at("predicted_seconds");
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw_bad_input(std::string("search plan is malformed (") + e.what() + "); start again without --resume");
  }
}

}  // namespace tinyopt::search
