// The stages of the optimize pipeline (DESIGN.md section 1), each a function that takes a candidate and
// returns it with its own fields filled and a StageRecord of what it did and how long it took. They call
// the library passes directly (prune.h, trainer.h, quantize.h, mixed_precision.h, qat.h, evaluate.h), never
// the CLI, and they do not print. Order (optimize.cpp): prune -> fine-tune -> quantize -> evaluate
// (-> estimate on the target, once the cost model exists).
//
// What each stage does:
//   prune_stage     L1 structured pruning (global ranking) to keep * the teacher's parameters, channels a
//                   multiple of the target's SIMD width; nothing for keep = 1 (the teacher itself).
//   finetune_stage  knowledge distillation from the teacher (T = 4, alpha = 0.9), SGD with Nesterov momentum
//                   and a cosine schedule, on the first plan.finetune_per_epoch training images; writes a
//                   trainer checkpoint after every epoch, so an interrupted fine-tune resumes mid-way.
//   quantize_stage  post-training quantization (BN fold, MSE calibration, bias correction) with int8 or int4
//                   weights, or mixed precision under the weight budget; then, for int4 and mixed weights of
//                   a pruned model, quantization-aware fine-tuning with the teacher (LSQ, plan.qat_*).
//   estimate_stage  the target cost model (cost_model.h) on the lowered QDQ model.
//   evaluate_stage  top-1 accuracy of the QDQ model on the test samples with the integer executor (the
//                   runtime/ kernels the firmware runs), stored weight bytes, and the per-layer table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/search/candidate.h"
#include "tinyopt/search/checkpoint_store.h"
#include "tinyopt/search/search_plan.h"
#include "tinyopt/target/target.h"

namespace tinyopt::search {

// The datasets the stages use, cut once from the training and test splits.
struct SearchData {
  Dataset finetune;  // the first plan.finetune_per_epoch training samples
  Dataset qat;       // the first plan.qat_per_epoch training samples
  Dataset calib;     // quant::select_calibration_samples(train, plan.calib_samples, seed)
  Dataset heldout;   // quant::heldout_samples(train, plan.calib_samples, plan.heldout_samples, seed)
  Dataset test;
};
SearchData make_search_data(const Dataset& train, const Dataset& test, const SearchPlan& plan);

// (stage, fraction of the stage done 0..1, detail such as "epoch 1/2 step 40/120 loss 0.41").
using StageProgressFn = std::function<void(const std::string& stage, double fraction, const std::string& detail)>;

struct StageContext {
  const Graph* teacher = nullptr;    // the float model the search starts from (and distils from)
  const SearchData* data = nullptr;
  const SearchPlan* plan = nullptr;
  const CheckpointStore* store = nullptr;
  const Target* target = nullptr;           // the estimate stage's device
  int64_t round_to = 4;                     // kept channels a multiple of this (target's channel_multiple)
  std::optional<int64_t> weight_budget;     // weight bytes the flash budget leaves (mixed precision)
  StageProgressFn progress;
};

Candidate prune_stage(Candidate c, const StageContext& ctx);
Candidate finetune_stage(Candidate c, const StageContext& ctx);
Candidate quantize_stage(Candidate c, const StageContext& ctx);
Candidate evaluate_stage(Candidate c, const StageContext& ctx);
// The target cost model (estimate_program): latency, energy, flash (weights + runtime code), RAM (planned
// arena + stack) and cycles per layer row.
Candidate estimate_stage(Candidate c, const StageContext& ctx);

}  // namespace tinyopt::search
