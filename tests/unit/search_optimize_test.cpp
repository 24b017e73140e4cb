// The optimize pipeline end to end on a tiny model and a few random images (fast; accuracy is meaningless
// here, equality is not): the planned grid runs, every candidate is measured, an interrupted run (between
// candidates, and in the middle of a fine-tune) resumed with --resume gives exactly the uninterrupted
// result, --resume refuses different options, and an unreachable budget is reported, not thrown.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <set>

#include "passes_test_util.h"
#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/report/report_html.h"
#include "tinyopt/search/optimize.h"
#include "tinyopt/target/target.h"

namespace tinyopt::search {
namespace {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

class SearchOptimize : public ::testing::Test {
 protected:
  void SetUp() override {
    teacher = testing::model_with_random_bn("fmnist-ds", 0.5f, 1);
    train = labelled(96, 3);
    test = labelled(40, 4);
    options.keep_levels = {0.5};
    options.finetune_images = 2 * train.size();  // two epochs, so a fine-tune can stop half-way
    options.threads = 1;
    options.seed = 5;
    options.model_name = "tiny";
    options.target_name = "cortex-m4";
  }
  static Dataset labelled(int64_t n, uint64_t seed) {
    Dataset d;
    d.x = testing::random_images(n, {1, 28, 28}, seed);
    for (int64_t i = 0; i < n; ++i) d.y.push_back(static_cast<int32_t>((i * 7 + static_cast<int64_t>(seed)) % 10));
    d.num_classes = 10;
    d.name = "random";
    return d;
  }
  OptimizeResult run(const std::string& dir, const OptimizeProgressFn& progress = {}) {
    return run_optimize(teacher, train, test, options, dir, progress);
  }
  Graph teacher;
  Dataset train, test;
  OptimizeOptions options;
  testing::TempDir tmp;
};

void expect_same_result(const OptimizeResult& a, const OptimizeResult& b) {
  ASSERT_EQ(a.candidates.size(), b.candidates.size());
  for (size_t i = 0; i < a.candidates.size(); ++i) {
    const Candidate &x = a.candidates[i], &y = b.candidates[i];
    EXPECT_EQ(x.duplicate, y.duplicate) << i;
    EXPECT_EQ(x.metrics.accuracy, y.metrics.accuracy) << i;
    EXPECT_EQ(x.metrics.weight_bytes, y.metrics.weight_bytes) << i;
    EXPECT_EQ(x.float_accuracy, y.float_accuracy) << i;
    if (!x.duplicate) {
      EXPECT_EQ(serialize_onnx(x.qdq), serialize_onnx(y.qdq)) << "candidate " << i << " differs";
    }
  }
  EXPECT_EQ(a.front, b.front);
  EXPECT_EQ(a.best, b.best);
}

TEST_F(SearchOptimize, RunsThePlannedGridAndMeasuresEveryCandidate) {
  const OptimizeResult r = run(tmp.file("out"));
  // Unpruned int8, then keep 50% with int8, int4 and mixed weights.
  ASSERT_EQ(r.candidates.size(), 4u);
  EXPECT_EQ(r.plan.finetune_epochs, 2);
  EXPECT_EQ(r.plan.finetune_per_epoch, train.size());
  for (const Candidate& c : r.candidates) {
    if (c.duplicate) continue;
    EXPECT_GE(c.metrics.accuracy, 0.0);
    EXPECT_GT(c.metrics.weight_bytes, 0);
    EXPECT_FALSE(c.layers.empty());
    EXPECT_FALSE(c.stages.empty());
  }
  // Pruning makes the weights smaller; int4 weights smaller still.
  EXPECT_LT(r.candidates[1].metrics.weight_bytes, r.candidates[0].metrics.weight_bytes);
  EXPECT_LT(r.candidates[2].metrics.weight_bytes, r.candidates[1].metrics.weight_bytes);
  EXPECT_TRUE(r.best.has_value());
  EXPECT_FALSE(r.front.empty());
  // The pruned model was fine-tuned once and shared by the three candidates of its level.
  int fine_tunes = 0;
  for (const Candidate& c : r.candidates)
    for (const StageRecord& s : c.stages) fine_tunes += s.stage == "fine-tune" && !s.reused;
  EXPECT_EQ(fine_tunes, 1);
  EXPECT_EQ(r.resumed_candidates, 0);
}

TEST_F(SearchOptimize, ResumeAfterAnInterruptionGivesTheUninterruptedResult) {
  const OptimizeResult whole = run(tmp.file("whole"));
  // Stop once between candidates (after #2 is saved) and once in the middle of the fine-tune.
  const std::string dir = tmp.file("resumed");
  EXPECT_THROW(run(dir, [](const OptimizeProgress& p) {
                 if (p.stage == "fine-tune" && p.detail.rfind("epoch 2/2", 0) == 0) throw Interrupted();
               }),
               Interrupted);
  EXPECT_TRUE(std::filesystem::exists(dir + "/checkpoints/keep050-finetune.ckpt"));
  options.resume = true;
  EXPECT_THROW(run(dir, [](const OptimizeProgress& p) {
                 if (p.stage == "done" && p.candidate == 3) throw Interrupted();
               }),
               Interrupted);
  const OptimizeResult resumed = run(dir);
  EXPECT_EQ(resumed.resumed_candidates, 3);
  expect_same_result(whole, resumed);
}

TEST_F(SearchOptimize, ResumeRefusesOtherOptionsOrNothingToResume) {
  options.resume = true;
  try {
    run(tmp.file("empty"));
    ADD_FAILURE() << "resumed from nothing";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("nothing to resume"), std::string::npos) << e.what();
  }
  options.resume = false;
  EXPECT_THROW(run(tmp.file("a"), [](const OptimizeProgress& p) {
                 if (p.stage == "done") throw Interrupted();
               }),
               Interrupted);
  options.resume = true;
  options.seed = 6;
  try {
    run(tmp.file("a"));
    ADD_FAILURE() << "resumed with a different seed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("options differ"), std::string::npos) << e.what();
  }
}

TEST_F(SearchOptimize, UnreachableBudgetIsReportedWithTheClosestPoint) {
  options.keep_levels = {0.5};
  options.finetune_images = 32;
  options.budgets.min_accuracy = 1.01;  // no model reaches more than 100%
  const OptimizeResult r = run(tmp.file("out"));
  EXPECT_FALSE(r.best);
  ASSERT_TRUE(r.closest);
  EXPECT_NE(r.infeasible.find("accuracy >= 101.00% cannot be met (best reached: "), std::string::npos) << r.infeasible;
  EXPECT_NE(r.infeasible.find("closest achievable point: #"), std::string::npos) << r.infeasible;
}

TEST_F(SearchOptimize, EstimatesEveryCandidateOnTheTarget) {
  const Target target = load_target("cortex-m4");
  options.target = &target;
  options.finetune_images = 32;
  const OptimizeResult r = run(tmp.file("out"));
  for (const Candidate& c : r.candidates) {
    if (c.duplicate) continue;
    ASSERT_TRUE(c.metrics.latency_ms && c.metrics.energy_uj && c.metrics.flash_bytes && c.metrics.ram_bytes) << c.spec.label();
    EXPECT_GT(*c.metrics.latency_ms, 0);
    EXPECT_GE(*c.metrics.flash_bytes, c.metrics.weight_bytes);  // weights + runtime code
    bool cycles = false;
    for (const LayerRow& l : c.layers) cycles = cycles || l.cycles.has_value();
    EXPECT_TRUE(cycles) << c.spec.label();
  }
  // The front now trades accuracy, latency, flash and energy.
  EXPECT_EQ(r.objectives.names, (std::vector<std::string>{"accuracy", "latency_ms", "flash_bytes", "energy_uj"}));
}

// The same call for an ESP32-S3 and a Raspberry Pi 4 picks target-appropriate kernels (the portable reference
// kernels on the Xtensa core, which has no tinyopt SIMD kernels; NEON on the Cortex-A72), rounds channels to
// each target's multiple, and the report explains each choice differently.
TEST_F(SearchOptimize, Esp32s3AndRpi4ChooseDifferentlyAndSayWhy) {
  options.finetune_images = 32;
  options.budgets.max_flash_bytes = 64 * 1024;
  options.budgets.max_ram_bytes = 32 * 1024;
  struct Run {
    Target target;
    OptimizeResult result;
    std::set<std::string> kernels;
    std::string why;
  };
  std::vector<Run> runs;
  for (const char* name : {"esp32s3", "rpi4"}) {
    Run run{load_target(name), {}, {}, {}};
    options.target = &run.target;
    options.target_name = name;
    options.round_to = run.target.channel_multiple;
    run.result = this->run(tmp.file(name));
    ASSERT_TRUE(run.result.best) << name << ": " << run.result.infeasible;
    for (const LayerRow& l : run.result.candidates[static_cast<size_t>(*run.result.best)].layers) run.kernels.insert(l.kernel);
    const std::string html = report::render_report_html(run.result);
    const size_t at = html.find("id=\"why-target\"");
    ASSERT_NE(at, std::string::npos);
    run.why = html.substr(at, html.find("</table>", at) - at);
    // Pruned channels are multiples of the target's SIMD width.
    for (const LayerRow& l : run.result.candidates[1].layers) {
      if (l.op == "Conv" && l.channels_after < l.channels_before) {
        EXPECT_EQ(l.channels_after % options.round_to, 0) << l.name;
      }
    }
    runs.push_back(std::move(run));
  }
  for (const std::string& k : runs[0].kernels) {
    EXPECT_TRUE(k.ends_with("/ref")) << "esp32s3 runs " << k;
  }
  for (const std::string& k : runs[1].kernels) {
    EXPECT_TRUE(k.ends_with("/neon")) << "rpi4 runs " << k;
  }
  EXPECT_NE(runs[0].kernels, runs[1].kernels);
  EXPECT_NE(runs[0].why.find("the <b>ref</b> variants"), std::string::npos) << runs[0].why;
  EXPECT_NE(runs[1].why.find("the <b>neon</b> variants"), std::string::npos) << runs[1].why;
}

TEST_F(SearchOptimize, FlashBudgetNoCandidateFitsNamesFlashAndTheSmallestPoint) {
  const Target target = load_target("cortex-m4");
  options.target = &target;
  options.finetune_images = 32;
  options.budgets.max_flash_bytes = 1024;  // less than the runtime code alone
  options.budgets.max_ram_bytes = 1 << 20;
  const OptimizeResult r = run(tmp.file("out"));
  EXPECT_FALSE(r.best);
  ASSERT_TRUE(r.closest);
  // The smallest flash any candidate reached, and that candidate as the closest point (only flash is missed).
  int64_t smallest = std::numeric_limits<int64_t>::max();
  int smallest_id = -1;
  for (const Candidate& c : r.candidates)
    if (!c.duplicate && *c.metrics.flash_bytes < smallest) smallest = *c.metrics.flash_bytes, smallest_id = c.spec.id;
  EXPECT_NE(r.infeasible.find("flash <= 1.0 KiB cannot be met (best reached: " + format_bytes(static_cast<double>(smallest)) +
                              " by #" + std::to_string(smallest_id)),
            std::string::npos)
      << r.infeasible;
  EXPECT_EQ(*r.closest, smallest_id);
  EXPECT_EQ(r.infeasible.find("ram <="), std::string::npos) << "the RAM budget is met and must not be blamed";
}

}  // namespace
}  // namespace tinyopt::search
