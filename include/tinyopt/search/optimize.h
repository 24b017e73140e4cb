// `tinyopt optimize` as a library call (DESIGN.md section 1): explore the candidate grid of search_plan.h
// through the stages of stages.h, keep the Pareto front over (accuracy, latency, size, energy), enforce the
// hard budgets and choose the feasible candidate of least J (objectives.h).
//
// Algorithm (run_optimize):
//   1. Plan: a fresh run sizes the grid to the time budget (plan_search) and saves it with the options in
//      DIR/checkpoints; --resume reloads both and refuses options that differ (the result must equal an
//      uninterrupted run).
//   2. For each candidate in plan order: if its record is in the checkpoints, reload it (and its model);
//      otherwise get its pruned + fine-tuned float model (from the checkpoints when an earlier candidate of
//      the same pruning level made it) and run quantize -> evaluate, then save the candidate.
//   3. Select: J against candidate 0 (the unpruned int8 model); budgets checked per candidate; the front
//      over non-duplicate candidates; the chosen one is the feasible candidate of least J (ties: lower id).
//      No feasible candidate: `infeasible` explains which budgets no candidate meets, or that the budgets
//      cannot be met together, and names the closest candidate (least summed relative excess).
// Stages that need a dependency not given (the target cost model without a target) are left out; what is
// missing is listed in `missing`, and the metrics it would give stay absent. The firmware and the emulated
// check of the chosen candidate follow as run_device_stages (device_stage.h). run_optimize never prints;
// writing the final outputs is write_optimize_outputs (optimize_outputs.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/search/candidate.h"
#include "tinyopt/search/device_check.h"
#include "tinyopt/search/objectives.h"
#include "tinyopt/search/pareto.h"
#include "tinyopt/search/search_plan.h"
#include "tinyopt/target/target.h"

namespace tinyopt::search {

struct OptimizeOptions {
  std::string model_name;   // for the report ("models/fmnist-cnn.onnx")
  std::string data_name;    // "fashion-mnist"
  std::string target_name;  // "cortex-m4"
  const Target* target = nullptr;  // the loaded target: the estimate stage runs when set
  Budgets budgets;
  CostWeights weights;
  double time_budget_s = 300;
  bool resume = false;
  uint64_t seed = 0;
  int threads = 0;
  int64_t test_limit = 0;        // evaluate on the first N test images (0 = all)
  int64_t finetune_images = 0;   // override the planned fine-tune images per level (0 = from the budget)
  std::vector<double> keep_levels;  // override the pruning levels (fractions of parameters kept)
  int64_t round_to = 4;          // kept channels a multiple of this
};

struct OptimizeProgress {
  std::string stage;        // "prune", "fine-tune", "quantize", "qat", "evaluate", "select"
  int candidate = 0;        // 1-based
  int candidates = 0;
  std::string label;        // the candidate's label
  std::string detail;       // the stage's own progress text
  std::string best;         // best feasible so far, "" when none yet
  double eta_s = -1;        // seconds to the end of the search (-1 unknown)
};
using OptimizeProgressFn = std::function<void(const OptimizeProgress&)>;

struct TeacherInfo {
  int64_t params = 0, macs = 0;
  int64_t fp32_weight_bytes = 0;  // weights as float32, as the teacher file stores them
  double accuracy = 0;            // float executor, on the same test samples
};

struct OptimizeResult {
  OptimizeOptions options;
  SearchPlan plan;
  TeacherInfo teacher;
  std::vector<Candidate> candidates;          // plan order; candidates[i].spec.id == i
  std::vector<double> j;                      // per candidate (NaN for duplicates)
  std::vector<std::vector<BudgetCheck>> checks;  // per candidate
  Objectives objectives;                      // over the non-duplicate candidates, in `front_pool` order
  std::vector<int> front_pool;                // candidate ids the objectives/front refer to
  std::vector<int> front;                     // candidate ids on the Pareto front
  std::optional<int> best;                    // chosen candidate id (feasible, least J)
  std::optional<int> closest;                 // when infeasible: the candidate nearest to feasible
  std::string infeasible;                     // why no candidate meets the budgets ("" when one does)
  std::vector<std::string> missing;           // stages/metrics this build could not provide, and why
  double seconds = 0;                         // wall time of this call
  int resumed_candidates = 0;                 // candidates reloaded from checkpoints
  // The firmware and emulated-device check of the chosen candidate (device_stage.h), when they ran.
  std::optional<DeviceCheck> device;
};

// Runs the search into out_dir/checkpoints. Throws Error(kBadInput) for data that does not fit the model or
// a model that cannot be pruned/quantized, Error(kUsage) for bad options (or --resume with nothing to
// resume / different options). An infeasible budget is not an exception: result.infeasible says why.
OptimizeResult run_optimize(const Graph& teacher, const Dataset& train, const Dataset& test,
                            const OptimizeOptions& options, const std::string& out_dir,
                            const OptimizeProgressFn& progress = {});

// Selection (step 3) on finished candidates; exposed for tests. Fills j, checks, objectives, front, best,
// closest and infeasible of `r` from r.candidates and r.options.
void select_best(OptimizeResult& r);

// The feasible candidate of least J (ties: lower id) among r.front_pool, leaving out `excluded`: the choice
// of select_best, and the next choice when the device check rejects the chosen one (device_stage.h).
std::optional<int> least_j_feasible(const OptimizeResult& r, const std::vector<int>& excluded = {});

// The options that must match for --resume (everything that changes what the candidates are).
nlohmann::json resume_key(const OptimizeOptions& o);

}  // namespace tinyopt::search
