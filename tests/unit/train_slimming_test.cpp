// Network slimming's L1 penalty on BatchNormalization scales (TrainConfig::slimming_l1): with the penalty
// the trained gammas are smaller in L1 norm, and with lambda 0 the run is identical to one without it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/train/trainer.h"

namespace tinyopt::train {
namespace {

Dataset noise_dataset(int64_t n) {
  Dataset d;
  d.x = Tensor(DType::kF32, {n, 1, 28, 28});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (float& v : d.x.span<float>()) v = u(rng);
  for (int64_t i = 0; i < n; ++i) d.y.push_back(static_cast<int32_t>(i % 10));
  d.num_classes = 10;
  d.name = "noise";
  return d;
}

double gamma_l1(const Graph& g) {
  double s = 0;
  for (const Node& n : g.nodes)
    if (n.op == OpType::kBatchNormalization)
      for (float v : g.value(n.inputs[1]).data->span<float>()) s += std::abs(v);
  return s;
}

TEST(TrainSlimming, L1PenaltyShrinksBatchNormScales) {
  const Graph model = build_architecture("fmnist-ds", ArchOptions{0.5f, 0, 1});
  const Dataset data = noise_dataset(128);
  TrainConfig c;
  c.epochs = 1;
  c.batch = 32;
  c.lr = 0.05f;
  c.threads = 1;
  c.evaluate_each_epoch = false;
  const Graph plain = train(model, data, Dataset{}, c).model;
  c.slimming_l1 = 0.5f;
  const Graph slim = train(model, data, Dataset{}, c).model;
  // 4 SGD steps at lr 0.05 with momentum move each gamma by up to ~0.5 * 0.05 * (1 + 1.9 + 2.71 + 3.44).
  EXPECT_LT(gamma_l1(slim), gamma_l1(plain) - 0.1 * gamma_l1(plain));
  c.slimming_l1 = -1.0f;
  EXPECT_THROW(train(model, data, Dataset{}, c), Error);
}

}  // namespace
}  // namespace tinyopt::train
