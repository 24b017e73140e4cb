// The training loop (see trainer.h). Per step: draw the batch (shuffled per epoch from the seed),
// augment it, run the teacher (eval mode) when distilling, forward the student in training mode, compute
// the loss and its gradient, back-propagate, check the loss is finite, update the weights. Per epoch:
// measure test accuracy, write the checkpoint, report. All buffers live across steps; the only
// allocations per epoch are the iterator's permutation and the augmenter.
#include "tinyopt/train/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "exec/kernels/blas_threads.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/augment.h"
#include "tinyopt/train/checkpoint.h"
#include "tinyopt/train/loss.h"
#include "tinyopt/train/lr_schedule.h"
#include "tinyopt/train/optimizer.h"
#include "tinyopt/train/train_graph.h"

namespace tinyopt::train {
namespace {

using Clock = std::chrono::steady_clock;

// A seed for (run seed, purpose, index): independent streams for shuffling, augmentation and Dropout.
uint64_t derive_seed(uint64_t seed, uint64_t purpose, uint64_t index) {
  uint64_t x = seed ^ (purpose * 0x9e3779b97f4a7c15ULL) ^ (index * 0xc2b2ae3d27d4eb4fULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
enum Purpose : uint64_t { kShuffle = 1, kAugment = 2, kDropout = 3 };

void check_data(const TrainGraph& tg, const Dataset& d, const char* role) {
  if (d.size() == 0) throw_bad_input(d.name + ": the " + std::string(role) + " set is empty");
  if (!d.labeled()) throw_bad_input(d.name + ": training needs labeled " + std::string(role) + " data");
  const Shape sample(d.x.shape().begin() + 1, d.x.shape().end());
  if (sample != tg.sample_input_shape())
    throw_bad_input(d.name + ": samples have shape " + shape_str(sample) + ", the model expects " +
                    shape_str(tg.sample_input_shape()));
  if (d.num_classes > tg.output_numel())
    throw_bad_input(d.name + ": " + std::to_string(d.num_classes) + " classes, but the model has only " +
                    std::to_string(tg.output_numel()) + " outputs");
}

void validate(const TrainConfig& c) {
  if (c.epochs < 1) throw_usage("epochs must be at least 1");
  if (c.batch < 1) throw_usage("batch size must be at least 1");
  if (c.warmup_epochs < 0 || c.warmup_epochs >= c.epochs) throw_usage("warm-up epochs must be in [0, epochs)");
  if (c.label_smoothing < 0.0f || c.label_smoothing >= 1.0f) throw_usage("label smoothing must be in [0, 1)");
  if (c.augment && c.crop_pad < 0) throw_usage("crop padding must not be negative");
  if (c.resume && c.checkpoint_path.empty()) throw_usage("resuming needs a checkpoint path");
  if (!(c.slimming_l1 >= 0.0f)) throw_usage("the slimming L1 weight must not be negative");
}

// The BatchNormalization scales of the model, for the slimming penalty.
std::vector<ParamRef> bn_scales(const Graph& model, const TrainGraph& tg) {
  std::vector<ParamRef> scales;
  for (const Node& n : model.nodes) {
    if (n.op != OpType::kBatchNormalization) continue;
    for (const ParamRef& p : tg.parameters())
      if (p.name == n.inputs[1]) scales.push_back(p);
  }
  return scales;
}

// d/dgamma of lambda * |gamma| (0 at gamma = 0).
void add_slimming_gradient(const std::vector<ParamRef>& scales, float lambda) {
  for (const ParamRef& p : scales)
    for (size_t i = 0; i < p.value.size(); ++i)
      p.grad[i] += p.value[i] > 0.0f ? lambda : (p.value[i] < 0.0f ? -lambda : 0.0f);
}

// Accuracy of the compiled graph in eval mode over a dataset.
float accuracy_of(TrainGraph& tg, const Dataset& data, Tensor& xb, std::vector<int32_t>& yb) {
  BatchIterator it(data, tg.max_batch(), false, 0);
  int64_t correct = 0;
  while (it.next(xb, yb)) {
    const auto b = static_cast<int64_t>(yb.size());
    const auto logits = tg.forward(xb.span<float>(), b, Mode::kEval);
    correct += count_correct(logits, yb, tg.output_numel());
  }
  return static_cast<float>(static_cast<double>(correct) / static_cast<double>(data.size()));
}

// What a checkpoint must agree on to be resumed by this run.
nlohmann::json run_description(const TrainConfig& c, const TrainGraph& tg) {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamRef& p : tg.parameters()) params.push_back({p.name, p.shape});
  return {{"optimizer", c.optimizer}, {"batch", c.batch}, {"seed", c.seed}, {"parameters", params},
          {"distillation", c.teacher != nullptr}};
}

}  // namespace

TrainResult train(const Graph& model, const Dataset& train_data, const Dataset& test_data, const TrainConfig& config,
                  const ProgressFn& on_progress) {
  validate(config);
  const int threads = kernels::resolve_threads(config.threads);
  TrainGraph student(model, config.batch, threads, false,
                     config.fake_quant != nullptr ? *config.fake_quant : FakeQuantMap{});
  check_data(student, train_data, "training");
  const bool has_test = test_data.size() > 0;
  if (has_test) check_data(student, test_data, "test");
  const int64_t classes = student.output_numel();

  std::optional<TrainGraph> teacher;
  if (config.teacher != nullptr) {
    teacher.emplace(*config.teacher, config.batch, threads);
    if (teacher->output_numel() != classes || teacher->sample_input_shape() != student.sample_input_shape())
      throw_bad_input("the teacher's input or output shape differs from the student's");
  }

  const std::vector<ParamRef> slimmed = config.slimming_l1 > 0.0f ? bn_scales(model, student) : std::vector<ParamRef>{};
  Optimizer optimizer({config.optimizer, config.momentum, config.nesterov, config.weight_decay}, student.parameters());
  const int64_t steps_per_epoch = (train_data.size() + config.batch - 1) / config.batch;
  LrSchedule schedule;
  schedule.kind = config.schedule;
  schedule.base_lr = config.lr;
  schedule.total_steps = steps_per_epoch * config.epochs;
  schedule.warmup_steps = steps_per_epoch * config.warmup_epochs;
  schedule.steps_per_epoch = steps_per_epoch;
  schedule.step_epochs = config.step_epochs;
  schedule.gamma = config.step_gamma;
  schedule.validate();

  // Everything a checkpoint holds, in a fixed order.
  std::vector<ParamRef> saved = student.parameters();
  for (const ParamRef& r : student.state()) saved.push_back(r);
  for (const ParamRef& r : optimizer.state()) saved.push_back(r);
  const nlohmann::json run = run_description(config, student);

  int start_epoch = 0;
  int64_t step = 0;
  if (config.resume && std::filesystem::exists(config.checkpoint_path)) {
    const Checkpoint ckpt = load_checkpoint(config.checkpoint_path);
    if (ckpt.run != run)
      throw_bad_input(config.checkpoint_path + ": checkpoint was written by a different run (model, optimizer, batch, "
                      "seed or distillation differ); remove it or change the checkpoint path");
    restore_tensors(ckpt, saved, config.checkpoint_path);
    start_epoch = std::min(ckpt.epochs_done, config.epochs);
    step = ckpt.step;
    optimizer.set_steps(step);
  }

  TrainResult result;
  Tensor xb;
  std::vector<int32_t> yb;
  std::vector<float> grad(static_cast<size_t>(config.batch * classes));
  double train_seconds = 0.0;
  int64_t images = 0;
  const DistillationParams kd{config.kd_temp, config.kd_alpha, config.label_smoothing};

  for (int epoch = start_epoch; epoch < config.epochs; ++epoch) {
    BatchIterator batches(train_data, config.batch, true, derive_seed(config.seed, kShuffle, static_cast<uint64_t>(epoch)));
    std::optional<BatchAugmenter> augmenter;
    if (config.augment)
      augmenter.emplace(AugmentOptions{config.crop_pad, config.hflip}, derive_seed(config.seed, kAugment, static_cast<uint64_t>(epoch)));
    TrainProgress progress;
    progress.epoch = epoch;
    progress.epochs = config.epochs;
    progress.steps_per_epoch = steps_per_epoch;
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0;
    while (batches.next(xb, yb)) {
      const auto t0 = Clock::now();
      if (augmenter) augmenter->apply(xb);
      const auto b = static_cast<int64_t>(yb.size());
      const float lr = schedule.lr_at(step);
      const std::span<float> g(grad.data(), static_cast<size_t>(b * classes));
      std::span<const float> teacher_logits;
      if (teacher) teacher_logits = teacher->forward(xb.span<float>(), b, Mode::kEval);
      const auto logits = student.forward(xb.span<float>(), b, Mode::kTrain, derive_seed(config.seed, kDropout, static_cast<uint64_t>(step)));
      const double loss = teacher ? distillation_loss(logits, teacher_logits, yb, classes, kd, g)
                                  : cross_entropy(logits, yb, classes, config.label_smoothing, g);
      if (!std::isfinite(loss))
        throw_bad_input("training diverged in epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs) +
                        " at step " + std::to_string(progress.step + 1) + "/" + std::to_string(steps_per_epoch) +
                        " (global step " + std::to_string(step + 1) + "): the loss is " + std::to_string(loss) +
                        "; lower the learning rate (now " + std::to_string(lr) + ") or check the data for NaN/Inf");
      correct += count_correct(logits, yb, classes);
      student.backward(g);
      if (!slimmed.empty()) add_slimming_gradient(slimmed, config.slimming_l1);
      optimizer.step(lr);
      ++step;
      train_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      images += b;
      seen += b;
      loss_sum += loss * static_cast<double>(b);
      ++progress.step;
      progress.loss = static_cast<float>(loss_sum / static_cast<double>(seen));
      progress.accuracy = static_cast<float>(static_cast<double>(correct) / static_cast<double>(seen));
      progress.lr = lr;
      progress.images_per_s = static_cast<float>(static_cast<double>(images) / std::max(train_seconds, 1e-9));
      const int64_t steps_left = steps_per_epoch * config.epochs - step;
      progress.eta_s = static_cast<float>(static_cast<double>(steps_left) * static_cast<double>(config.batch) /
                                          std::max<double>(progress.images_per_s, 1e-9));
      if (on_progress && progress.step < steps_per_epoch) on_progress(progress);
    }
    result.final_loss = progress.loss;
    ++result.epochs_run;
    if (config.evaluate_each_epoch && has_test) progress.test_accuracy = accuracy_of(student, test_data, xb, yb);
    if (!config.checkpoint_path.empty()) {
      Checkpoint ckpt;
      ckpt.epochs_done = epoch + 1;
      ckpt.step = step;
      ckpt.run = run;
      add_tensors(ckpt, saved);
      save_checkpoint(ckpt, config.checkpoint_path);
    }
    progress.epoch_end = true;
    if (on_progress) on_progress(progress);
  }

  result.model = student.to_graph();
  result.fake_quant = student.fake_quant();
  result.test_accuracy = has_test ? accuracy_of(student, test_data, xb, yb) : -1.0f;
  result.train_images_per_s = static_cast<float>(static_cast<double>(images) / std::max(train_seconds, 1e-9));
  return result;
}

float evaluate_accuracy(const Graph& model, const Dataset& data, int batch, int threads) {
  if (data.size() == 0) throw_bad_input(data.name + ": the dataset is empty");
  TrainGraph tg(model, std::min<int64_t>(batch, data.size()), kernels::resolve_threads(threads));
  check_data(tg, data, "evaluation");
  Tensor xb;
  std::vector<int32_t> yb;
  return accuracy_of(tg, data, xb, yb);
}

}  // namespace tinyopt::train
