// The CLI contract (DESIGN.md section 4): verbs, --json keys, and the one-line error + exit code for each
// kind of bad input, with no crash (no signal) and no partial output.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/data/npy.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

using testing::run_cli;
using testing::TempDir;

// x(N,1,4,4) -> Conv(2, 3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(3)
Graph tiny_classifier() {
  Graph g;
  Value x;
  x.name = "x";
  x.shape = {-1, 1, 4, 4};
  g.set_value(x);
  g.inputs = {"x"};
  Tensor w(DType::kF32, {2, 1, 3, 3});
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = 0.1f * static_cast<float>(i % 7) - 0.2f;
  g.add_initializer("w", w);
  Tensor fc(DType::kF32, {3, 2});
  for (int64_t i = 0; i < fc.numel(); ++i) fc.data<float>()[i] = static_cast<float>(i) - 2.5f;
  g.add_initializer("fc", fc);
  auto node = [&](const std::string& name, OpType op, std::vector<std::string> in, std::string out) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = {out};
    g.nodes.push_back(n);
    Value v;
    v.name = out;
    g.set_value(v);
    return &g.nodes.back();
  };
  node("conv", OpType::kConv, {"x", "w"}, "c")->attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  node("relu", OpType::kRelu, {"c"}, "r");
  node("gap", OpType::kGlobalAveragePool, {"r"}, "p");
  node("flat", OpType::kFlatten, {"p"}, "f");
  node("fc", OpType::kGemm, {"f", "fc"}, "logits")->attrs["transB"] = int64_t{1};
  g.outputs = {"logits"};
  return g;
}

void expect_one_line_error(const testing::CommandResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(r.err.rfind("tinyopt: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

TEST(Cli, InspectJsonHasContractKeys) {
  TempDir dir;
  save_onnx(tiny_classifier(), dir.file("m.onnx"));
  const auto r = run_cli("inspect " + dir.file("m.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["params"], 18 + 6);
  EXPECT_EQ(j["macs"], 2 * 16 * 9 + 6);
  EXPECT_EQ(j["weight_bytes"], 24 * 4);
  EXPECT_TRUE(j.contains("peak_activation_bytes"));
  ASSERT_EQ(j["layers"].size(), 5u);
  for (const char* key : {"name", "op", "output_shape", "params", "macs", "weight_bytes", "weight_bits"})
    EXPECT_TRUE(j["layers"][0].contains(key)) << key;
  EXPECT_EQ(j["layers"][0]["output_shape"], nlohmann::json({1, 2, 4, 4}));
}

TEST(Cli, RunWritesOneNpyPerOutput) {
  TempDir dir;
  save_onnx(tiny_classifier(), dir.file("m.onnx"));
  Tensor x(DType::kF32, {2, 1, 4, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 5) * 0.25f;
  write_npy(dir.file("x.npy"), x);
  const auto r = run_cli("run " + dir.file("m.onnx") + " --input " + dir.file("x.npy") + " -o " + dir.file("out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor y = read_npy(dir.file("out/logits.npy"));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
}

TEST(Cli, BadUsageExitsTwo) {
  expect_one_line_error(run_cli("inspect"), 2, "model");
  expect_one_line_error(run_cli("frobnicate x"), 2, "frobnicate");
  expect_one_line_error(run_cli("eval m.onnx --data fashion-mnist --batch 0"), 2, "batch");
}

TEST(Cli, BadModelFilesExitOne) {
  TempDir dir;
  expect_one_line_error(run_cli("inspect " + dir.file("missing.onnx")), 1, "missing.onnx");
  testing::write_file(dir.file("text.onnx"), "this is not a model\n");
  expect_one_line_error(run_cli("inspect " + dir.file("text.onnx")), 1, "text.onnx");
  save_onnx(tiny_classifier(), dir.file("m.onnx"));
  const std::string bytes = testing::read_file(dir.file("m.onnx"));
  testing::write_file(dir.file("cut.onnx"), bytes.substr(0, bytes.size() / 2));
  expect_one_line_error(run_cli("inspect " + dir.file("cut.onnx")), 1, "cut.onnx");
}

TEST(Cli, InputThatDoesNotFitTheModel) {
  TempDir dir;
  save_onnx(tiny_classifier(), dir.file("m.onnx"));
  write_npy(dir.file("x.npy"), Tensor(DType::kF32, {1, 1, 5, 4}));
  expect_one_line_error(run_cli("run " + dir.file("m.onnx") + " --input " + dir.file("x.npy")), 1, "x");
  expect_one_line_error(run_cli("eval " + dir.file("m.onnx") + " --data fashion-mnist --limit 10"), 1,
                        "[1,28,28]");
}

TEST(Cli, MissingDatasetFiles) {
  TempDir dir;
  save_onnx(tiny_classifier(), dir.file("m.onnx"));
  expect_one_line_error(run_cli("eval " + dir.file("m.onnx") + " --data " + dir.file("nowhere")), 1, "nowhere");
  std::filesystem::create_directories(dir.file("empty"));
  expect_one_line_error(run_cli("eval " + dir.file("m.onnx") + " --data " + dir.file("empty")), 1, "empty");
}

TEST(Cli, RunWithBadOutputFolderLeavesNothingBehind) {
  TempDir dir;
  save_onnx(tiny_classifier(), dir.file("m.onnx"));
  write_npy(dir.file("x.npy"), Tensor(DType::kF32, {1, 1, 4, 4}));
  testing::write_file(dir.file("file"), "x");
  const auto r = run_cli("run " + dir.file("m.onnx") + " --input " + dir.file("x.npy") + " -o " + dir.file("file"));
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("tinyopt: error: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace tinyopt

namespace tinyopt {
namespace {

TEST(CliTrain, TrainsWritesModelAndReportsJson) {
  TempDir dir;
  const auto r = testing::run_cli("train --arch fmnist-ds --data fashion-mnist --epochs 1 --limit 2048 --batch 64 --optimizer adam --lr 0.01 --threads 1 -o " +
                                  dir.file("s.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"accuracy", "epochs", "images_per_s", "output"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["epochs"], 1);
  EXPECT_GT(j["accuracy"].get<double>(), 0.3);  // 2048 images, one epoch: well above chance (0.1)
  // The written model evaluates to the accuracy the trainer reported.
  const auto e = testing::run_cli("eval " + dir.file("s.onnx") + " --data fashion-mnist --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["accuracy"].get<double>(), j["accuracy"].get<double>(), 1e-6);
}

TEST(CliTrain, BadRequests) {
  TempDir dir;
  expect_one_line_error(testing::run_cli("train --data fashion-mnist -o " + dir.file("x.onnx")), 2, "--arch");
  expect_one_line_error(testing::run_cli("train --arch nonet --data fashion-mnist -o " + dir.file("x.onnx")), 2, "nonet");
  expect_one_line_error(testing::run_cli("distill --teacher " + dir.file("none.onnx") + " --student fmnist-ds --data fashion-mnist -o " +
                                         dir.file("x.onnx")),
                        1, "none.onnx");
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.onnx")));
}

}  // namespace
}  // namespace tinyopt

namespace tinyopt {
namespace {

// `inspect --json` of the MLPerf Tiny reference shapes against the published counts (REFERENCE-NUMBERS.md
// 1.1, from the int8 .tflite files where BatchNormalization is folded away, so BN rows are left out of the
// parameter sum).
TEST(CliInspect, MlperfTinyShapesMatchPublishedCounts) {
  struct Case {
    const char* arch;
    const char* width;
    int64_t params, macs;
  };
  const Case cases[] = {{"ds-cnn", "1", 22'604, 2'656'768},
                        {"resnet8", "1", 77'706, 12'501'632},
                        {"mobilenetv1", "0.25", 210'850, 7'489'664},
                        {"fc-ae", "1", 265'864, 264'192}};
  TempDir dir;
  for (const Case& c : cases) {
    const std::string model = dir.file(std::string(c.arch) + ".onnx");
    ASSERT_EQ(run_cli(std::string("new --arch ") + c.arch + " --width " + c.width + " -o " + model).exit_code, 0);
    const auto r = run_cli("inspect " + model + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["macs"].get<int64_t>(), c.macs) << c.arch;
    int64_t params_without_bn = 0, bn_params = 0;
    for (const auto& layer : j["layers"])
      (layer["op"] == "BatchNormalization" ? bn_params : params_without_bn) += layer["params"].get<int64_t>();
    EXPECT_EQ(params_without_bn, c.params) << c.arch;
    EXPECT_EQ(j["params"].get<int64_t>(), c.params + bn_params) << c.arch;
  }
}

}  // namespace
}  // namespace tinyopt
