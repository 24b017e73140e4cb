// `tinyopt redesign` and `tinyopt inspect --compare`: the --json contract of each transform, the
// distillation fine-tune, resolution scaling with resized data, and one-line usage errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "passes_test_util.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

using testing::run_cli;
using testing::TempDir;

// fmnist-cnn at width 0.25 with random BN and 64 labelled random images (fast: the verb evaluates its test
// split several times).
class CliRedesign : public ::testing::Test {
 protected:
  std::string model() const { return setup.model; }
  testing::QuantizeVerbSetup setup{"fmnist-cnn", 0.25f, 1, 64, 2};
  const TempDir& dir = setup.dir;
  std::string data = "--data " + setup.data;
};

TEST_F(CliRedesign, WidthAndInspectCompare) {
  const auto r = run_cli("redesign " + model() + " --width 0.5 --json -o " + dir.file("w.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["transform"], "width");
  EXPECT_GT(j["macs_after"].get<int64_t>(), j["macs_before"].get<int64_t>());  // 0.25 -> 0.5 is wider
  const auto c = run_cli("inspect " + model() + " --compare " + dir.file("w.onnx") + " --json");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto cj = nlohmann::json::parse(c.out);
  EXPECT_EQ(cj["compare"]["macs"], j["macs_after"]);
  bool conv2 = false;
  for (const auto& l : cj["compare"]["layers"])
    if (l["name"] == "conv2") {
      conv2 = true;
      EXPECT_LT(l["before"]["params"].get<int64_t>(), l["after"]["params"].get<int64_t>());
    }
  EXPECT_TRUE(conv2);
  const auto text = run_cli("inspect " + model() + " --compare " + dir.file("w.onnx"));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("MACs'"), std::string::npos) << text.out;
}

TEST_F(CliRedesign, SeparableWithDistillation) {
  const auto r = run_cli("redesign " + model() + " --depthwise-separable conv2,conv4 " + data +
                         " --fine-tune-epochs 1 --batch 32 --threads 1 --json -o " + dir.file("ds.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][0]["name"], "conv2");
  EXPECT_TRUE(j["distillation"].get<bool>());
  for (const char* key : {"accuracy", "accuracy_before", "accuracy_after_transform", "macs_after", "output"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_LT(j["macs_after"].get<int64_t>(), j["macs_before"].get<int64_t>());
  // The inspect comparison shows the new depthwise layer beside the replaced one.
  const auto c = run_cli("inspect " + model() + " --compare " + dir.file("ds.onnx") + " --json");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto cj = nlohmann::json::parse(c.out);
  bool dw = false;
  for (const auto& l : cj["compare"]["layers"])
    if (l["name"] == "conv2_dw") dw = l["before"].is_null() && !l["after"].is_null();
  EXPECT_TRUE(dw);
}

TEST_F(CliRedesign, ResolutionTrainsOnResizedImages) {
  const auto r = run_cli("redesign " + model() + " --resolution 20 " + data +
                         " --fine-tune-epochs 1 --batch 32 --threads 1 --json -o " + dir.file("r.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["distillation"].get<bool>());  // the original reads 28x28
  EXPECT_EQ(j["resolution"], nlohmann::json::array({20, 20}));
  const auto i = run_cli("inspect " + dir.file("r.onnx") + " --json");
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_EQ(nlohmann::json::parse(i.out)["macs"], j["macs_after"]);
}

TEST_F(CliRedesign, UsageErrors) {
  const std::string out = dir.file("x.onnx");
  for (const std::string args : {"--width 0.5 --resolution 20", "", "--resolution 20x", "--fine-tune-epochs 1 --width 0.5"}) {
    const auto r = run_cli("redesign " + model() + " " + args + " -o " + out);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("tinyopt: error:", 0), 0u) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  const auto r = run_cli("redesign " + model() + " --depthwise-separable conv1 -o " + out);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("'conv1' (Conv)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace tinyopt
