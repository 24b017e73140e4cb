// The training loop end to end on a tiny synthetic problem: it learns, it is deterministic for a seed,
// resuming from a checkpoint equals an uninterrupted run, a diverging run stops with a clear error,
// distillation runs in the loop, and the exported graph evaluates like the trainer's eval mode.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/train/checkpoint.h"
#include "tinyopt/train/trainer.h"
#include "train_test_util.h"

namespace tinyopt::train {
namespace {

using testing::GraphBuilder;
using Ints = std::vector<int64_t>;

// 4 classes of 1x8x8 images: a bright 3x3 blob in one quadrant (the class) plus uniform noise.
Dataset blobs(int64_t n, uint64_t seed) {
  Dataset d;
  d.name = "blobs";
  d.num_classes = 4;
  d.x = Tensor(DType::kF32, {n, 1, 8, 8});
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> noise(0.0f, 0.4f);
  std::uniform_int_distribution<int> jitter(0, 1);
  float* x = d.x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 4);
    d.y.push_back(label);
    for (int j = 0; j < 64; ++j) x[i * 64 + j] = noise(rng);
    const int oy = (label / 2) * 4 + jitter(rng), ox = (label % 2) * 4 + jitter(rng);
    for (int dy = 0; dy < 3; ++dy)
      for (int dx = 0; dx < 3; ++dx) x[i * 64 + (oy + dy) * 8 + ox + dx] += 0.8f;
  }
  return d;
}

Graph tiny_cnn(uint64_t seed = 1) {
  GraphBuilder b({1, 8, 8}, seed);
  b.node(OpType::kConv, {"x", b.init({6, 1, 3, 3}), b.init({6}, -0.1f, 0.1f)}, {{"pads", Ints{1, 1, 1, 1}}});
  b.node(OpType::kBatchNormalization, {b.last(), b.init_values({6}, std::vector<float>(6, 1.0f)),
                                       b.init_values({6}, std::vector<float>(6, 0.0f)),
                                       b.init_values({6}, std::vector<float>(6, 0.0f)),
                                       b.init_values({6}, std::vector<float>(6, 1.0f))});
  b.node(OpType::kRelu, {b.last()});
  b.node(OpType::kMaxPool, {b.last()}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  b.node(OpType::kFlatten, {b.last()});
  b.node(OpType::kGemm, {b.last(), b.init({4, 96}, -0.1f, 0.1f), b.init({4}, 0.0f, 0.0f)}, {{"transB", int64_t{1}}});
  return b.finish();
}

TrainConfig quick_config() {
  TrainConfig c;
  c.epochs = 3;
  c.batch = 32;
  c.lr = 0.05f;
  c.momentum = 0.9f;
  c.seed = 42;
  c.threads = 1;
  c.evaluate_each_epoch = false;
  return c;
}

std::vector<float> weights_of(const Graph& g) {
  std::vector<float> all;
  for (const auto& [name, v] : g.values())
    if (v.data && v.dtype == DType::kF32) all.insert(all.end(), v.data->data<float>(), v.data->data<float>() + v.data->numel());
  return all;
}

TEST(Trainer, LearnsASyntheticProblem) {
  const Dataset train_set = blobs(512, 1), test_set = blobs(256, 2);
  TrainConfig c = quick_config();
  c.epochs = 6;  // 96 steps
  c.augment = true;
  c.crop_pad = 1;
  c.hflip = false;  // the class is the quadrant: flips would change labels
  c.warmup_epochs = 1;
  c.label_smoothing = 0.05f;
  c.evaluate_each_epoch = true;
  int epoch_ends = 0;
  float last_test = -1.0f;
  const TrainResult r = train(tiny_cnn(), train_set, test_set, c, [&](const TrainProgress& p) {
    EXPECT_TRUE(std::isfinite(p.loss));
    if (p.epoch_end) {
      ++epoch_ends;
      last_test = p.test_accuracy;
    }
  });
  EXPECT_EQ(epoch_ends, 6);
  EXPECT_EQ(r.epochs_run, 6);
  EXPECT_GE(r.test_accuracy, 0.95f);
  EXPECT_FLOAT_EQ(last_test, r.test_accuracy);
  EXPECT_GT(r.train_images_per_s, 0.0f);
  // The returned graph is the inference form: evaluating it afresh gives the same accuracy.
  EXPECT_FLOAT_EQ(evaluate_accuracy(r.model, test_set, 64, 1), r.test_accuracy);
}

TEST(Trainer, SameSeedSameWeights) {
  const Dataset data = blobs(160, 3);
  TrainConfig c = quick_config();
  c.augment = true;
  c.optimizer = "adamw";
  c.lr = 0.01f;
  c.weight_decay = 0.01f;
  const Graph a = train(tiny_cnn(), data, Dataset{}, c).model;
  const Graph b = train(tiny_cnn(), data, Dataset{}, c).model;
  EXPECT_EQ(weights_of(a), weights_of(b));
  c.seed = 43;
  const Graph other = train(tiny_cnn(), data, Dataset{}, c).model;
  EXPECT_NE(weights_of(a), weights_of(other));
}

TEST(Trainer, ResumeEqualsUninterruptedRun) {
  const Dataset data = blobs(160, 4);
  testing::TempDir dir;
  TrainConfig c = quick_config();
  c.epochs = 4;
  c.augment = true;
  c.nesterov = true;
  c.weight_decay = 1e-3f;
  const Graph full = train(tiny_cnn(), data, Dataset{}, c).model;

  // Stop after 2 epochs (a run configured for 4, interrupted: same schedule), then resume.
  c.checkpoint_path = dir.file("run.ckpt");
  int seen_epochs = 0;
  try {
    train(tiny_cnn(), data, Dataset{}, c, [&](const TrainProgress& p) {
      if (p.epoch_end && ++seen_epochs == 2) throw std::runtime_error("interrupted");
    });
  } catch (const std::runtime_error&) {
  }
  ASSERT_TRUE(std::filesystem::exists(c.checkpoint_path));
  EXPECT_EQ(load_checkpoint(c.checkpoint_path).epochs_done, 2);
  c.resume = true;
  const TrainResult resumed = train(tiny_cnn(), data, Dataset{}, c);
  EXPECT_EQ(resumed.epochs_run, 2);
  EXPECT_EQ(weights_of(resumed.model), weights_of(full));
}

TEST(Trainer, ResumeRefusesACheckpointOfAnotherRun) {
  const Dataset data = blobs(64, 5);
  testing::TempDir dir;
  TrainConfig c = quick_config();
  c.epochs = 1;
  c.checkpoint_path = dir.file("run.ckpt");
  train(tiny_cnn(), data, Dataset{}, c);
  c.resume = true;
  c.seed = 7;
  EXPECT_THROW(train(tiny_cnn(), data, Dataset{}, c), Error);
}

TEST(Trainer, DivergingLossIsAClearError) {
  Dataset data = blobs(64, 6);
  data.x.data<float>()[100] = std::nanf("");
  TrainConfig c = quick_config();
  try {
    train(tiny_cnn(), data, Dataset{}, c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("training diverged in epoch 1/3 at step"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the loss is nan"), std::string::npos) << msg;
  }
}

TEST(Trainer, DistillsFromATeacher) {
  const Dataset train_set = blobs(256, 7), test_set = blobs(128, 8);
  TrainConfig c = quick_config();
  c.epochs = 4;
  const Graph teacher = train(tiny_cnn(3), train_set, test_set, c).model;
  c.teacher = &teacher;
  c.kd_temp = 2.0f;
  c.kd_alpha = 0.5f;
  const TrainResult student = train(tiny_cnn(4), train_set, test_set, c);
  EXPECT_GE(student.test_accuracy, 0.9f);
}

TEST(Trainer, RejectsDataThatDoesNotFitTheModel) {
  Dataset data = blobs(8, 9);
  data.num_classes = 5;
  EXPECT_THROW(train(tiny_cnn(), data, Dataset{}, quick_config()), Error);
}

TEST(Checkpoint, CorruptFileIsAClearError) {
  testing::TempDir dir;
  Checkpoint ckpt;
  ckpt.epochs_done = 3;
  ckpt.step = 7;
  ckpt.run = {{"k", 1}};
  ckpt.tensors.push_back({"w", {2}, {1.0f, 2.0f}});
  const std::string path = dir.file("c.ckpt");
  save_checkpoint(ckpt, path);
  const Checkpoint back = load_checkpoint(path);
  EXPECT_EQ(back.epochs_done, 3);
  EXPECT_EQ(back.tensors.at(0).data, (std::vector<float>{1.0f, 2.0f}));
  std::string bytes = testing::read_file(path);
  bytes[bytes.size() / 2] ^= 1;
  testing::write_file(path, bytes);
  EXPECT_THROW(load_checkpoint(path), Error);
  testing::write_file(path, bytes.substr(0, 20));
  EXPECT_THROW(load_checkpoint(path), Error);
}

}  // namespace
}  // namespace tinyopt::train
