// `tinyopt optimize` end to end on a tiny model and random labelled images: the output folder holds
// best.onnx, pareto.json and report.html, --json has the contract keys, an unreachable budget exits 1 with
// one line naming it (report written, no best.onnx), and bad flags exit 2. The chosen model's firmware is
// generated into DIR/firmware (the emulated check itself is tests/emu/emu_optimize_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "passes_test_util.h"
#include "support/test_support.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

struct OptimizeVerb : testing::QuantizeVerbSetup {
  OptimizeVerb() : QuantizeVerbSetup("fmnist-ds", 0.5f, 2, 64, 9) {}
  std::string base(const std::string& out) const {
    return "optimize " + model + " --data " + data + " --target cortex-m4 --keep 0.5 --finetune-images 32 --threads 1 "
           "--seed 3 --device-samples 0 -o " + out;
  }
};

std::string last_line(const std::string& s) {
  const size_t start = s.rfind('\n', s.size() - 2);
  return s.substr(start == std::string::npos ? 0 : start + 1);
}

TEST(OptimizeVerbTest, WritesTheModelTheFrontAndTheReport) {
  OptimizeVerb s;
  const std::string out = s.dir.file("out");
  const auto r = testing::run_cli(s.base(out) + " --max-flash 1MiB --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key : {"best", "pareto", "constraints_met", "report", "candidates", "teacher", "plan", "missing"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j.at("constraints_met").get<bool>());
  EXPECT_TRUE(j.at("best").contains("accuracy"));
  EXPECT_GE(j.at("pareto").size(), 1u);
  EXPECT_EQ(j.at("candidates").size(), 4u);
  for (const char* f : {"best.onnx", "pareto.json", "report.html", "checkpoints/search.json", "firmware/model.c"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  // The written model is the chosen candidate, and it is quantized.
  const Graph best = load_onnx((fs::path(out) / "best.onnx").string());
  bool qdq = false;
  for (const Node& n : best.nodes) qdq = qdq || n.op == OpType::kDequantizeLinear;
  EXPECT_TRUE(qdq);
  const std::string html = testing::read_file((fs::path(out) / "report.html").string());
  EXPECT_NE(html.find("class=\"pareto-chart\""), std::string::npos);
  // pareto.json is the --json result.
  const nlohmann::json p = nlohmann::json::parse(testing::read_file((fs::path(out) / "pareto.json").string()));
  EXPECT_EQ(p.at("best").at("id"), j.at("best").at("id"));
  // The chosen model's firmware was generated; the emulated check was skipped on request, and says so.
  EXPECT_FALSE(j.at("device").at("emulated").get<bool>());
  EXPECT_NE(j.at("device").at("not_measured").get<std::string>().find("--device-samples 0"), std::string::npos);
  EXPECT_NE(html.find("id=\"why-target\""), std::string::npos);
}

TEST(OptimizeVerbTest, UnreachableBudgetExitsOneNamingIt) {
  OptimizeVerb s;
  const std::string out = s.dir.file("out");
  const auto r = testing::run_cli(s.base(out) + " --min-accuracy 100");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string line = last_line(r.err);
  EXPECT_EQ(line.rfind("tinyopt: error:", 0), 0u) << r.err;
  EXPECT_NE(line.find("accuracy >= 100.00% cannot be met"), std::string::npos) << line;
  EXPECT_NE(line.find("closest achievable point"), std::string::npos) << line;
  EXPECT_TRUE(fs::exists(fs::path(out) / "report.html"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "best.onnx"));
}

TEST(OptimizeVerbTest, BadFlagsAreUsageErrors) {
  OptimizeVerb s;
  const std::string out = s.dir.file("out");
  EXPECT_EQ(testing::run_cli(s.base(out) + " --weights 1,2,3").exit_code, 2);
  EXPECT_EQ(testing::run_cli(s.base(out) + " --keep 1.5").exit_code, 2);
  EXPECT_EQ(testing::run_cli(s.base(out) + " --resume").exit_code, 2);  // nothing to resume
  EXPECT_EQ(testing::run_cli("optimize " + s.model + " --data " + s.data + " -o " + out).exit_code, 2);  // no --target
}

}  // namespace
}  // namespace tinyopt
