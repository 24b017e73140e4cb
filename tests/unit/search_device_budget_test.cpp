// The device stage checks the flash and RAM budgets against the firmware's measured figures, not only the
// cost model's estimate: a chosen candidate whose measurement violates a budget is rejected and the next
// feasible candidate of least J takes its place; when every measured candidate violates it, the run is
// infeasible with no firmware. The device here is a stand-in whose measured sizes the test chooses
// (DeviceStageOptions::measure), so the policy is tested whatever the cost model's error is; the real
// emulator's figures are checked in tests/emu/emu_optimize_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "passes_test_util.h"
#include "support/test_support.h"
#include "tinyopt/report/report_html.h"
#include "tinyopt/search/device_stage.h"
#include "tinyopt/search/optimize.h"
#include "tinyopt/search/optimize_outputs.h"
#include "tinyopt/target/target.h"

namespace tinyopt::search {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kRamBudget = 1 << 20;  // met by every candidate's estimate

class SearchDeviceBudget : public ::testing::Test {
 protected:
  void SetUp() override {
    const Graph teacher = testing::model_with_random_bn("fmnist-ds", 0.5f, 1);
    test = labelled(24, 4);
    OptimizeOptions o;
    o.keep_levels = {0.5};
    o.finetune_images = 32;
    o.threads = 1;
    o.seed = 5;
    o.model_name = "tiny";
    o.target_name = "cortex-m4";
    o.target = &target;
    o.budgets.max_ram_bytes = kRamBudget;
    o.budgets.max_flash_bytes = 1 << 20;
    result = run_optimize(teacher, labelled(64, 3), test, o, dir.file("out"));
    // The reference order: the estimate-feasible candidates by J (ties: lower id), computed here from r.j.
    for (int id : result.front_pool)
      if (meets_budgets(result.checks[static_cast<size_t>(id)])) by_j.push_back(id);
    std::stable_sort(by_j.begin(), by_j.end(), [&](int a, int b) {
      return result.j[static_cast<size_t>(a)] < result.j[static_cast<size_t>(b)];
    });
  }
  static Dataset labelled(int64_t n, uint64_t seed) {
    Dataset d;
    d.x = testing::random_images(n, {1, 28, 28}, seed);
    for (int64_t i = 0; i < n; ++i) d.y.push_back(static_cast<int32_t>(i % 10));
    d.num_classes = 10;
    return d;
  }
  // A device measuring each candidate's estimated flash, and RAM over the budget for the ids in `too_big`.
  DeviceStageOptions device(std::vector<int> too_big) {
    DeviceStageOptions o;
    o.samples = 4;
    o.measure = [this, too_big](const Candidate& c, DeviceCheck& d) {
      measured.push_back(c.spec.id);
      d.emulated = true;
      d.samples = d.identical = 4;
      d.flash_bytes = *c.metrics.flash_bytes;
      const bool over = std::find(too_big.begin(), too_big.end(), c.spec.id) != too_big.end();
      d.ram_bytes = over ? kRamBudget + 1 : kRamBudget / 2;
    };
    return o;
  }
  const Target target = load_target("cortex-m4");
  testing::TempDir dir;
  Dataset test;
  OptimizeResult result;
  std::vector<int> by_j;
  std::vector<int> measured;
};

TEST_F(SearchDeviceBudget, MeasuredFiguresMeetingTheBudgetsKeepTheChoice) {
  ASSERT_GE(by_j.size(), 3u);
  ASSERT_EQ(result.best, by_j[0]);
  run_device_stages(result, test, dir.file("out"), device({}));
  EXPECT_EQ(result.best, by_j[0]);
  EXPECT_EQ(measured, std::vector<int>{by_j[0]});
  const DeviceCheck& d = *result.device;
  EXPECT_EQ(d.candidate, by_j[0]);
  EXPECT_TRUE(d.rejected.empty());
  ASSERT_EQ(d.budgets.size(), 2u);  // flash, then RAM, each against the measured figure
  EXPECT_EQ(d.budgets[0].name, "flash");
  EXPECT_EQ(d.budgets[0].value, static_cast<double>(d.flash_bytes));
  EXPECT_EQ(d.budgets[1].name, "ram");
  EXPECT_EQ(d.budgets[1].value, static_cast<double>(kRamBudget / 2));
  EXPECT_EQ(d.budgets[1].status, BudgetStatus::kMet);
}

TEST_F(SearchDeviceBudget, AMeasurementOverTheBudgetMovesToTheNextCandidateByJ) {
  ASSERT_GE(by_j.size(), 3u);
  const std::string out = dir.file("out");
  run_device_stages(result, test, out, device({by_j[0]}));
  EXPECT_EQ(measured, (std::vector<int>{by_j[0], by_j[1]}));
  ASSERT_TRUE(result.best);
  EXPECT_EQ(*result.best, by_j[1]);
  const DeviceCheck& d = *result.device;
  EXPECT_EQ(d.candidate, by_j[1]);
  EXPECT_EQ(d.budgets[1].status, BudgetStatus::kMet);
  ASSERT_EQ(d.rejected.size(), 1u);
  EXPECT_NE(d.rejected[0].find(fmt::format("#{} (", by_j[0])), std::string::npos) << d.rejected[0];
  EXPECT_NE(d.rejected[0].find("RAM <= 1.00 MiB violated on the device: measured 1.00 MiB, estimated "),
            std::string::npos) << d.rejected[0];
  EXPECT_TRUE(fs::exists(fs::path(out) / "firmware" / "model.c"));  // the firmware of the new choice
  // The outputs say the same: the report's budget table holds the device rows, pareto.json the rejection.
  const std::string html = report::render_report_html(result);
  EXPECT_NE(html.find("id=\"device-rejected\""), std::string::npos);
  EXPECT_NE(html.find(fmt::format("Firmware of #{}", by_j[1])), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">emulated device</td>"), std::string::npos);
  const nlohmann::json j = optimize_result_json(result, out);
  EXPECT_EQ(j.at("best").at("id"), by_j[1]);
  EXPECT_EQ(j.at("device").at("rejected").size(), 1u);
  EXPECT_EQ(j.at("device").at("budgets").at(1).at("status"), "met");
}

TEST_F(SearchDeviceBudget, EveryMeasurementOverTheBudgetMakesTheRunInfeasible) {
  const std::string out = dir.file("out");
  DeviceStageOptions o = device(by_j);
  o.max_attempts = 2;
  run_device_stages(result, test, out, o);
  EXPECT_EQ(measured, (std::vector<int>{by_j[0], by_j[1]}));  // gave up after max_attempts
  EXPECT_FALSE(result.best);
  EXPECT_EQ(result.closest, by_j[1]);
  EXPECT_NE(result.infeasible.find("no candidate meets the budgets on the emulated device: #"), std::string::npos)
      << result.infeasible;
  EXPECT_NE(result.infeasible.find("gave up after measuring 2 candidates"), std::string::npos) << result.infeasible;
  EXPECT_EQ(result.infeasible.find('\n'), std::string::npos);  // one line
  EXPECT_FALSE(fs::exists(fs::path(out) / "firmware"));         // no firmware for a model that does not fit
  EXPECT_EQ(result.device->rejected.size(), 2u);
  const std::string html = report::render_report_html(result);
  EXPECT_NE(html.find("<td class=\"l violated\">violated</td>"), std::string::npos);  // the device's RAM row
}

TEST_F(SearchDeviceBudget, AllCandidatesRejectedSaysNoOtherCandidateIsLeft) {
  DeviceStageOptions o = device(by_j);
  o.max_attempts = static_cast<int>(by_j.size());
  run_device_stages(result, test, dir.file("out"), o);
  EXPECT_EQ(measured, by_j);
  EXPECT_FALSE(result.best);
  EXPECT_NE(result.infeasible.find("no other candidate meets the budgets in the cost model's estimate"),
            std::string::npos) << result.infeasible;
}

TEST(DeviceBudgetChecks, OnlyMeasuredFiguresAreChecked) {
  Budgets b;
  b.max_flash_bytes = 1000;
  b.max_ram_bytes = 500;
  b.max_latency_ms = 1.0;  // qemu counts instructions, not time: not a device check
  DeviceCheck d;
  EXPECT_TRUE(device_budget_checks(d, b).empty());  // not emulated
  d.emulated = true;
  d.flash_bytes = 1000;  // inclusive
  d.ram_bytes = 0;       // the platform did not measure RAM
  const std::vector<BudgetCheck> c = device_budget_checks(d, b);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].status, BudgetStatus::kMet);
  EXPECT_EQ(c[1].status, BudgetStatus::kUnchecked);
  d.ram_bytes = 501;
  EXPECT_EQ(device_budget_checks(d, b)[1].status, BudgetStatus::kViolated);
}

}  // namespace
}  // namespace tinyopt::search
