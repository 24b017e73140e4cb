// `tinyopt prune`: the --json contract, KD fine-tuning, magnitude pruning, and one-line errors with the
// right exit code and no output file for impossible requests.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/data/npy.h"

namespace tinyopt {
namespace {

using testing::run_cli;
using testing::TempDir;

void expect_error(const testing::CommandResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.err.rfind("tinyopt: error:", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

// A small fmnist-ds model and 128 random 1x28x28 "images" with labels 0..9 as x.npy,y.npy (fast: the verb
// evaluates its test split several times).
class CliPrune : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto r = run_cli("new --arch fmnist-ds --width 0.5 -o " + dir.file("m.onnx"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Tensor x(DType::kF32, {128, 1, 28, 28});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 7919) % 256) / 255.0f;
    Tensor y(DType::kI64, {128});
    for (int64_t i = 0; i < 128; ++i) y.data<int64_t>()[i] = i % 10;
    write_npy(dir.file("x.npy"), x);
    write_npy(dir.file("y.npy"), y);
    data = "--data " + dir.file("x.npy") + "," + dir.file("y.npy");
  }
  std::string model() const { return dir.file("m.onnx"); }
  TempDir dir;
  std::string data;
};

TEST_F(CliPrune, RatioWithKdFineTuneReportsJson) {
  const auto r = run_cli("prune " + model() + " " + data + " --method l1 --ratio 0.5 --fine-tune-epochs 1 --batch 64 --threads 1 "
                         "--json -o " + dir.file("p.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"output", "macs_before", "macs_after", "params_before", "params_after", "accuracy",
                          "accuracy_before", "layers", "steps"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_LT(j["macs_after"].get<int64_t>(), j["macs_before"].get<int64_t>());
  EXPECT_LT(j["params_after"].get<int64_t>(), j["params_before"].get<int64_t>());
  EXPECT_TRUE(j["distillation"].get<bool>());
  EXPECT_TRUE(std::filesystem::exists(dir.file("p.onnx")));
  bool shrunk = false;
  for (const auto& l : j["layers"]) shrunk = shrunk || l["channels_after"] < l["channels_before"];
  EXPECT_TRUE(shrunk);
  // The written model is what was reported.
  const auto i = run_cli("inspect " + dir.file("p.onnx") + " --json");
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_EQ(nlohmann::json::parse(i.out)["macs"], j["macs_after"]);
}

TEST_F(CliPrune, TargetMacsAndMagnitude) {
  auto r = run_cli("prune " + model() + " " + data + " --method l2 --target-macs 100000 --steps 2 --json -o " +
                   dir.file("t.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LE(nlohmann::json::parse(r.out)["macs_after"].get<int64_t>(), 100000);
  r = run_cli("prune " + model() + " " + data + " --method magnitude --ratio 0.6 --global --json -o " +
              dir.file("s.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["sparsity"].get<double>(), 0.6, 0.01);
  EXPECT_EQ(j["macs_after"], j["macs_before"]);
}

TEST_F(CliPrune, ImpossibleRequestsFailCleanly) {
  const std::string out = dir.file("x.onnx");
  expect_error(run_cli("prune " + model() + " " + data + " --ratio 1.5 -o " + out), 2, "--ratio");
  expect_error(run_cli("prune " + model() + " " + data + " -o " + out), 2, "exactly one");
  expect_error(run_cli("prune " + model() + " " + data + " --target-macs 1000 -o " + out), 1,
               "smallest achievable");
  expect_error(run_cli("prune " + model() + " " + data + " --method magnitude --target-macs 5 -o " + out), 2,
               "magnitude");
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace tinyopt
