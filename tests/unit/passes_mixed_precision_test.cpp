// Mixed-precision weights (mixed_precision.h): the knapsack finds the optimum (where greedy by cost per
// byte does not, and against brute force on random tables), budgets in bytes and in average bits,
// infeasible budgets name the smallest size, the predicted flash is the QDQ model's, sensitivity is
// measured per layer, and held-out samples are disjoint from the calibration samples.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "passes_test_util.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/passes/fold_batch_norm.h"
#include "tinyopt/passes/mixed_precision.h"

namespace tinyopt {
namespace {

using quant::LayerSensitivity;
using quant::WeightBudget;

LayerSensitivity layer(const std::string& name, int64_t count, double cost) {
  LayerSensitivity l;
  l.node = name;
  l.weight = name + "_w";
  l.weight_count = count;
  l.bytes_int8 = count;
  l.bytes_int4 = (count + 1) / 2;
  l.noise_added = cost;
  return l;
}

// Saving 10 bytes: A alone (saves 10, cost 3) is optimal. Greedy by cost per byte saved takes B first
// (1/9 per byte) and then needs A as well (cost 4); B + C saves 11 for 3.5.
TEST(MixedPrecisionChoice, KnapsackFindsTheOptimumGreedyMisses) {
  const std::vector<LayerSensitivity> table = {layer("A", 20, 3.0), layer("B", 18, 1.0), layer("C", 4, 2.5)};
  const quant::PrecisionChoice c = quant::choose_weight_bits(table, 1000, WeightBudget{990, {}});
  EXPECT_EQ(c.weight_bits_by_layer, (std::map<std::string, int>{{"A", 4}, {"B", 8}, {"C", 8}}));
  EXPECT_EQ(c.flash_bytes, 990);
  EXPECT_DOUBLE_EQ(c.predicted_noise_added, 3.0);
  EXPECT_DOUBLE_EQ(c.bits_avg, (4.0 * 20 + 8.0 * 22) / 42.0);
  // A budget already met keeps everything int8.
  const quant::PrecisionChoice all8 = quant::choose_weight_bits(table, 1000, WeightBudget{5000, {}});
  for (const auto& [name, bits] : all8.weight_bits_by_layer) EXPECT_EQ(bits, 8) << name;
  EXPECT_EQ(all8.flash_bytes, 1000);
}

TEST(MixedPrecisionChoice, AverageBitsBudget) {
  const std::vector<LayerSensitivity> table = {layer("A", 20, 3.0), layer("B", 18, 1.0), layer("C", 4, 2.5)};
  // 6.5 bits on average over 42 elements: at least 63 bits saved, 4 per int4 element -> 16 elements:
  // B (18) is enough and cheapest.
  const quant::PrecisionChoice c = quant::choose_weight_bits(table, 1000, WeightBudget{{}, 6.5});
  EXPECT_EQ(c.weight_bits_by_layer, (std::map<std::string, int>{{"A", 8}, {"B", 4}, {"C", 8}}));
  EXPECT_LE(c.bits_avg, 6.5);
  EXPECT_DOUBLE_EQ(quant::choose_weight_bits(table, 1000, WeightBudget{{}, 4.0}).bits_avg, 4.0);
}

TEST(MixedPrecisionChoice, MatchesBruteForceOnRandomTables) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int64_t> size(1, 400);
  std::uniform_real_distribution<double> cost(0.0, 5.0);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<LayerSensitivity> table;
    int64_t base = 50, max_saved = 0;
    for (int i = 0; i < 10; ++i) {
      table.push_back(layer("L" + std::to_string(i), size(rng), cost(rng)));
      base += table.back().bytes_int8;
      max_saved += table.back().bytes_int8 - table.back().bytes_int4;
    }
    const int64_t budget = base - std::uniform_int_distribution<int64_t>(0, max_saved)(rng);
    double best = 1e300;
    for (unsigned mask = 0; mask < (1u << table.size()); ++mask) {
      int64_t flash = base;
      double c = 0;
      for (size_t i = 0; i < table.size(); ++i)
        if (mask & (1u << i)) flash -= table[i].bytes_int8 - table[i].bytes_int4, c += table[i].noise_added;
      if (flash <= budget) best = std::min(best, c);
    }
    const quant::PrecisionChoice choice = quant::choose_weight_bits(table, base, WeightBudget{budget, {}});
    EXPECT_NEAR(choice.predicted_noise_added, best, 1e-9) << "trial " << trial;
    EXPECT_LE(choice.flash_bytes, budget) << "trial " << trial;
    double c = 0;
    for (const auto& l : table) c += choice.weight_bits_by_layer.at(l.node) == 4 ? l.noise_added : 0.0;
    EXPECT_NEAR(c, choice.predicted_noise_added, 1e-9);
  }
}

TEST(MixedPrecisionChoice, InfeasibleBudgetNamesTheSmallestSize) {
  const std::vector<LayerSensitivity> table = {layer("A", 20, 3.0), layer("B", 18, 1.0), layer("C", 5, 2.5)};
  // All int4 saves 10 + 9 + 2 = 21 bytes of 1000.
  try {
    quant::choose_weight_bits(table, 1000, WeightBudget{978, {}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("smallest achievable size is 979 bytes"), std::string::npos) << e.what();
  }
  EXPECT_EQ(quant::choose_weight_bits(table, 1000, WeightBudget{979, {}}).flash_bytes, 979);
  try {
    quant::choose_weight_bits(table, 1000, WeightBudget{{}, 3.5});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("smallest achievable average is 4 bits"), std::string::npos) << e.what();
  }
  EXPECT_THROW(quant::choose_weight_bits(table, 1000, WeightBudget{}), Error);
  EXPECT_THROW(quant::choose_weight_bits(table, 1000, WeightBudget{900, 5.0}), Error);
}

// On a real (tiny) model: one sensitivity row per layer with its sizes, and the flash the choice
// predicts is what inspect reports for the QDQ model built with the chosen bits.
TEST(MixedPrecisionSensitivity, PerLayerAndPredictedFlashIsExact) {
  const Graph g = fold_batch_norm(testing::model_with_random_bn("fmnist-cnn", 0.25f, 4));
  Dataset data;
  data.name = "random";
  data.x = testing::random_images(24, {1, 28, 28}, 6);
  data.y.assign(24, 0);
  data.num_classes = 10;
  const quant::QuantPlan plan = testing::minmax_plan(g, data.x, 8, 8);
  quant::CalibrationOptions opts;
  opts.threads = 1;
  opts.batch = 8;
  const quant::SensitivityReport r = quant::measure_sensitivity(g, plan, data, opts);
  const quant::QuantSites sites = quant::find_quant_sites(g);
  ASSERT_EQ(r.layers.size(), sites.layers.size());
  int64_t max_saved = 0;
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerSensitivity& l = r.layers[i];
    EXPECT_EQ(l.node, sites.layers[i].node);
    EXPECT_EQ(l.weight_count, g.value(l.weight).data->numel());
    EXPECT_EQ(l.bytes_int4, (l.weight_count + 1) / 2);
    EXPECT_GE(l.noise_added, 0.0);
    EXPECT_LT(l.sqnr_db, r.int8_sqnr_db + 1.0) << l.node;  // int4 in a layer does not help
    max_saved += l.bytes_int8 - l.bytes_int4;
  }
  EXPECT_GT(r.int8_sqnr_db, 10.0);

  const int64_t int8_bytes = summarize_model(quant::apply_quant_plan(g, plan)).weight_bytes;
  const quant::PrecisionChoice c = quant::choose_weight_bits(r.layers, int8_bytes, WeightBudget{int8_bytes - max_saved / 2, {}});
  quant::QuantPlan mixed = plan;
  int int4_layers = 0;
  for (const auto& l : sites.layers)
    if (c.weight_bits_by_layer.at(l.node) == 4) {
      mixed.weights[l.weight] = quant::weight_quant(*g.value(l.weight).data, l.weight_axis, 4);
      ++int4_layers;
    }
  EXPECT_GT(int4_layers, 0);
  EXPECT_EQ(summarize_model(quant::apply_quant_plan(g, mixed)).weight_bytes, c.flash_bytes);
  EXPECT_LE(c.flash_bytes, int8_bytes - max_saved / 2);
}

TEST(MixedPrecisionSensitivity, HeldOutSamplesAreDisjointFromCalibration) {
  Dataset data;
  data.name = "rows";
  data.num_classes = 100;
  std::vector<float> x(100);
  for (int i = 0; i < 100; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i), data.y.push_back(i);
  data.x = Tensor::from_f32({100, 1}, x);
  const Dataset calib = quant::select_calibration_samples(data, 30, 9);
  const Dataset held = quant::heldout_samples(data, 30, 20, 9);
  ASSERT_EQ(held.size(), 20);
  std::set<int32_t> c(calib.y.begin(), calib.y.end());
  for (int64_t i = 0; i < held.size(); ++i) {
    EXPECT_EQ(c.count(held.y[static_cast<size_t>(i)]), 0u);
    EXPECT_EQ(held.x.data<float>()[i], static_cast<float>(held.y[static_cast<size_t>(i)]));  // rows stay whole
  }
  EXPECT_EQ(quant::heldout_samples(data, 90, 20, 9).size(), 10);  // the data runs out
}

}  // namespace
}  // namespace tinyopt
