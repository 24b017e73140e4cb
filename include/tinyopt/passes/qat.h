// Quantization-aware training (DESIGN.md section 1, stage 2): fine-tunes a float model while its forward
// pass sees the quantization a QuantPlan describes, with learned step sizes (LSQ), then hands back the
// updated float weights and plan, ready for apply_quant_plan. It is the "QAT when PTQ loses accuracy"
// step after calibration (quantize.h); it does not choose bit widths (mixed_precision.h does).
//
// Flow (quantization_aware_training):
//   1. fold_batch_norm(model) -- BN lives in the weights during QAT, as it will on the device;
//   2. fake_quant_map(folded, plan): a fake-quantization op on every planned weight (per output channel,
//      symmetric, int8 [-127, 127] or int4 [-7, 7], rounding half away from zero like the stored weights)
//      and activation site (per tensor: int8 asymmetric with the calibrated zero point kept fixed, int16
//      symmetric); pass-through sites (MaxPool, AveragePool, Flatten, ...) share their source's scale;
//      all scales start at the plan's and are learned (train/fake_quant.h has the op and its gradients);
//   3. train::train with that map (any optimizer/schedule; a teacher in the config gives the existing
//      distillation loss), progress through its callback;
//   4. plan_with_learned_scales(plan, learned) + apply_quant_plan(trained float, plan) -> the QDQ graph.
// Not modelled during training: bias quantization (int32 at s_in * s_w, far finer than the weights) and a
// fixed-parameter Softmax output (1/256, zp -128), which apply_quant_plan adds afterwards.
#pragma once

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/passes/quant_plan.h"
#include "tinyopt/train/fake_quant.h"
#include "tinyopt/train/trainer.h"

namespace tinyopt::quant {

// Training defaults for QAT: Adam, lr 1e-3 with cosine decay to 0, batch 64, 2 epochs, no augmentation,
// no weight decay. Start from these and change what the run needs.
train::TrainConfig default_qat_config();

// Step 2: the fake quantization of `folded` that `plan` describes. Throws kBadInput naming the value or
// weight when the plan lacks params for a calibrated site or a layer weight, or has bits the fake
// quantization does not support.
train::FakeQuantMap fake_quant_map(const Graph& folded, const QuantPlan& plan);

// Step 4: `plan` with every scale replaced by its trained value from `learned` (zero points and bits
// unchanged; pass-through sites that the plan lists take their source's learned scale).
QuantPlan plan_with_learned_scales(const QuantPlan& plan, const train::FakeQuantMap& learned);

struct QatResult {
  Graph float_model;  // BN folded, weights and biases as trained: the input of apply_quant_plan
  QuantPlan plan;     // with the learned scales
  Graph qdq;          // apply_quant_plan(float_model, plan)
  float fake_quant_accuracy = -1.0f;  // test accuracy of the fake-quantized model after training (-1: no test set)
  int epochs_run = 0;
  float final_loss = 0.0f;
};

// Runs steps 1-4. `plan` must have been made for fold_batch_norm(model) (quantize_model's plan is).
// Throws like train::train (bad settings, data that does not fit, divergence) and like fake_quant_map.
QatResult quantization_aware_training(const Graph& model, const QuantPlan& plan, const Dataset& train_data,
                                      const Dataset& test_data, const train::TrainConfig& config,
                                      const train::ProgressFn& progress = {});

}  // namespace tinyopt::quant
