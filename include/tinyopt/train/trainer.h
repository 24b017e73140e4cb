// The training loop: mini-batch SGD/Adam/AdamW over a Dataset with a learning-rate schedule, label
// smoothing, augmentation (random crop with zero padding, horizontal flip), optional knowledge
// distillation from a teacher Graph run in eval mode in the same loop, a checkpoint after every epoch
// and exact resume. Library code: it never prints; progress goes to the callback.
//
// Determinism: every random choice (shuffle order, augmentation, Dropout masks) is drawn from the seed
// and the epoch/step number, so the same seed, data and thread count give identical weights, and a run
// resumed from a checkpoint continues exactly as if it had not stopped. Float sums split over threads
// are combined in a fixed order, so this holds for any fixed thread count (not across thread counts).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tinyopt/core/graph.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/train/fake_quant.h"

namespace tinyopt::train {

struct TrainConfig {
  int epochs = 10;
  int batch = 128;
  float lr = 0.1f;
  std::string optimizer = "sgd";  // "sgd" | "adam" | "adamw"
  float momentum = 0.9f;          // sgd
  bool nesterov = false;          // sgd
  float weight_decay = 0.0f;
  std::string schedule = "cosine";  // "cosine" | "step" | "constant"
  int warmup_epochs = 0;            // linear warm-up, counted in steps of these epochs
  int step_epochs = 30;             // step schedule: decay every step_epochs
  float step_gamma = 0.1f;          // step schedule: decay factor
  float label_smoothing = 0.0f;
  bool augment = false;  // random crop (crop_pad) and horizontal flip (hflip) on training batches
  int crop_pad = 2;
  bool hflip = true;
  uint64_t seed = 0;
  int threads = 0;  // 0: OpenMP's default (all cores)

  // Knowledge distillation: with a teacher, the loss is
  // kd_alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - kd_alpha) * CE.
  const Graph* teacher = nullptr;
  float kd_temp = 4.0f;
  float kd_alpha = 0.9f;

  // Quantization-aware training: values of the student to fake-quantize (fake_quant.h), or nullptr.
  const FakeQuantMap* fake_quant = nullptr;

  // Network slimming (Liu et al. 2017): adds slimming_l1 * sign(gamma) to the gradient of every
  // BatchNormalization scale, i.e. an L1 penalty on gamma that drives unimportant channels towards 0
  // (the reported loss leaves the penalty out). 0 = off.
  float slimming_l1 = 0.0f;

  std::string checkpoint_path;   // when set, written (atomically) after every epoch
  bool resume = false;           // continue from checkpoint_path when that file exists
  bool evaluate_each_epoch = true;  // measure test accuracy after every epoch (for progress)
};

struct TrainProgress {
  int epoch = 0;             // 0-based epoch in progress
  int epochs = 0;
  int64_t step = 0;          // steps done in this epoch
  int64_t steps_per_epoch = 0;
  float loss = 0.0f;         // mean training loss over this epoch so far
  float accuracy = 0.0f;     // training accuracy over this epoch so far (augmented batches)
  float lr = 0.0f;           // learning rate of the last step
  float images_per_s = 0.0f; // training throughput so far in this run
  float eta_s = 0.0f;        // estimated seconds to the end of training
  bool epoch_end = false;    // the last report of an epoch
  float test_accuracy = -1.0f;  // at epoch_end when evaluate_each_epoch, else -1
};

struct TrainResult {
  Graph model;                   // inference form: BN with running statistics, ready for export (float
                                 // weights; with fake_quant, test_accuracy is the fake-quantized model's)
  float test_accuracy = 0.0f;    // of `model` on the test set (eval mode); -1 when the test set is empty
  float train_images_per_s = 0.0f;
  int epochs_run = 0;            // epochs trained in this call (less than epochs when resumed)
  float final_loss = 0.0f;       // mean training loss of the last epoch
  FakeQuantMap fake_quant;       // with config.fake_quant: the learned quantization scales
};

using ProgressFn = std::function<void(const TrainProgress&)>;

// Trains `model` (a classifier: one input (N, ...), logits (N, classes)) on `train_data` and measures
// `test_data`. Throws Error(kUsage) for bad settings, Error(kBadInput) for data that does not fit the
// model, and Error(kBadInput) naming the epoch and step when the loss becomes NaN or infinite.
TrainResult train(const Graph& model, const Dataset& train_data, const Dataset& test_data, const TrainConfig& config,
                  const ProgressFn& on_progress = {});

// Top-1 accuracy in eval mode (BN running statistics, no Dropout), in [0, 1].
float evaluate_accuracy(const Graph& model, const Dataset& data, int batch = 256, int threads = 0);

}  // namespace tinyopt::train
