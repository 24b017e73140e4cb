// `tinyopt quantize --weights mixed ... --qat-epochs N` end to end on a tiny model: the JSON report has
// per-layer weight bits, the predicted flash is the written model's, and bad budgets fail cleanly (one
// line, exit code, no output file).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "passes_test_util.h"
#include "support/test_support.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/data/npy.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

struct TinyModelAndData : testing::QuantizeVerbSetup {
  TinyModelAndData() : QuantizeVerbSetup("fmnist-cnn", 0.125f, 2, 32, 3) {}
  std::string base() const { return "quantize " + model + " --data " + data + " --calib 8 --threads 1 -o " + out; }
};

TEST(QuantizeVerbExtras, MixedPrecisionWithQatReportsBitsAndExactFlash) {
  TinyModelAndData s;
  const auto r = testing::run_cli(s.base() + " --weights mixed --max-bits-avg 6 --heldout 8 --qat-epochs 1 --qat-batch 8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  int int4 = 0;
  for (const auto& l : j.at("layers")) {
    const int bits = l.at("weight_bits");
    EXPECT_TRUE(bits == 4 || bits == 8) << l;
    int4 += bits == 4;
  }
  EXPECT_GT(int4, 0);
  EXPECT_LE(j.at("mixed").at("bits_avg").get<double>(), 6.0);
  EXPECT_EQ(j.at("qat").at("epochs"), 1);
  const Graph q = load_onnx(s.out);
  EXPECT_EQ(summarize_model(q).weight_bytes, j.at("weight_bytes").get<int64_t>());
  EXPECT_EQ(j.at("mixed").at("predicted_flash_bytes"), j.at("weight_bytes"));
}

// Progress lines may come first (stderr is not a terminal here); the error is one last line.
void expect_clean_failure(const testing::CommandResult& r, int code, const std::string& needle, const std::string& out) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  ASSERT_FALSE(r.err.empty());
  const size_t start = r.err.rfind('\n', r.err.size() - 2);
  const std::string last = r.err.substr(start == std::string::npos ? 0 : start + 1);
  EXPECT_EQ(last.rfind("tinyopt: error:", 0), 0u) << r.err;
  EXPECT_NE(last.find(needle), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(QuantizeVerbExtras, BadBudgetsFailCleanly) {
  TinyModelAndData s;
  expect_clean_failure(testing::run_cli(s.base() + " --weights mixed --max-flash 1KiB"), 1, "smallest achievable size is",
                       s.out);
  expect_clean_failure(testing::run_cli(s.base() + " --weights mixed"), 2, "needs a budget", s.out);
  expect_clean_failure(testing::run_cli(s.base() + " --max-flash 64KiB"), 2, "--weights mixed", s.out);
  expect_clean_failure(testing::run_cli(s.base() + " --weights mixed --max-flash 12XB"), 2, "max-flash", s.out);
}

}  // namespace
}  // namespace tinyopt
