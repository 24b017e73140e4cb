// The candidate grid of an optimize run and the size of its training work, fixed before anything runs and
// sized to the time budget. The plan is a pure function of the teacher's size and the options (never of
// measured wall time), and it is saved in the output folder, so a resumed run explores exactly the same
// grid as the run it resumes and the same seed gives the same result.
//
// Sizing (plan_search), with nominal throughputs of a 2-core x86 machine (kTrainMacsPerSecond,
// kIntegerMacsPerSecond; see docs/optimize.md for how they were measured):
//   1. The reference candidate keeps the whole teacher with int8 weights (post-training quantization only):
//      candidate 0, the reference of J. (No unpruned int4 candidate: int4 kernels exist only as reference
//      C on the host, so evaluating a full-size int4 model costs more than the rest of a small search.)
//   2. Pruning levels are taken from kKeepLevels in order (keep 50%, 35%, 25%, 70% of the parameters), each
//      with int8, int4 and mixed weights, while the predicted time of the whole plan fits the budget with
//      at least kMinFineTuneImages images of KD fine-tuning per level; the rest of the budget goes to more
//      fine-tuning images (up to kMaxFineTuneEpochs epochs), a quarter of each level's images being spent
//      on quantization-aware fine-tuning of its int4 / mixed candidates.
//   3. A budget too small for even one level gives the reference candidates alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyopt/search/candidate.h"

namespace tinyopt::search {

inline constexpr double kTrainMacsPerSecond = 6.0e10;    // MAC-equivalents per second of training (KD)
inline constexpr double kIntegerMacsPerSecond = 8.0e10;  // integer executor (evaluation), int8 (x86 kernels)
inline constexpr double kInt4MacsPerSecond = 2.0e9;      // int4 weights: reference kernels only (~1e9 per core)
inline constexpr double kKeepLevels[] = {0.5, 0.35, 0.25, 0.7};
inline constexpr int64_t kMinFineTuneImages = 30000;  // fewer levels, each trained enough
inline constexpr int kMaxFineTuneEpochs = 4;

struct PlanInputs {
  int64_t teacher_params = 0;
  int64_t teacher_macs = 0;
  int64_t train_samples = 0;  // size of the training split
  int64_t test_samples = 0;   // test samples evaluated per candidate
  double time_budget_s = 300;
  // Overrides (0 / empty = sized from the budget): fine-tune images per level, keep levels.
  int64_t finetune_images = 0;
  std::vector<double> keep_levels;
  uint64_t seed = 0;
  int threads = 0;
};

struct SearchPlan {
  std::vector<CandidateSpec> candidates;  // ordered so that candidates sharing a pruned model are adjacent
  int64_t finetune_images = 0;  // KD fine-tune images per pruning level (epochs * per_epoch)
  int finetune_epochs = 0;
  int64_t finetune_per_epoch = 0;  // the first N training samples
  int qat_epochs = 0;
  int64_t qat_per_epoch = 0;
  int64_t calib_samples = 256;
  int64_t heldout_samples = 256;   // mixed precision sensitivity
  int batch = 64;
  float finetune_lr = 0.01f;
  float qat_lr = 5e-4f;
  uint64_t seed = 0;
  int threads = 0;
  double predicted_seconds = 0;    // with the nominal throughputs

  std::vector<double> keep_levels() const;  // distinct keeps < 1, in plan order
};

SearchPlan plan_search(const PlanInputs& in);

// Nominal seconds of each candidate of `plan` (a pruning level's fine-tune counted on its first candidate),
// for the progress line's ETA.
std::vector<double> nominal_candidate_seconds(const SearchPlan& plan, const PlanInputs& in);

// Where a run stands, for the ETA: nominal seconds (nominal_candidate_seconds) in total, of the candidates
// finished, and of the running one (0 between candidates); the wall seconds the finished candidates took, the
// running one has taken, and its running stage has taken; and that stage's completed fraction (0 unknown).
struct RunPace {
  double nominal_total = 0, nominal_done = 0, nominal_current = 0;
  double computed_seconds = 0, in_current = 0, in_stage = 0;
  double stage_fraction = 0;
};

// Seconds left: the nominal work not yet done, scaled by the pace of the finished candidates. The running
// candidate's rest is its scaled nominal minus what it has run, but at least what its stage still needs at
// the pace that stage has shown, so a nominal figure that is too small (a fine-tuning size fixed by
// --finetune-images) does not read 0 while the stage runs on.
double eta_seconds(const RunPace& pace);

nlohmann::json plan_to_json(const SearchPlan& plan);
SearchPlan plan_from_json(const nlohmann::json& j);  // Error(kBadInput) when malformed

}  // namespace tinyopt::search
