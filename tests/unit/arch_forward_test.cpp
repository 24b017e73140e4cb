// Built-in architectures as running networks: each one goes through the float executor with finite,
// sensibly scaled logits at initialization (Kaiming scaling keeps deep stacks from exploding or
// vanishing), the channel shuffle and squeeze-excite subgraphs compute what their papers define, and
// every built-in exports as ONNX that onnx.checker accepts and that reimports to the same outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "exec_test_util.h"
#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

// The built-ins at the options the tests run them with (mobilenetv1 at the MLPerf width keeps it fast).
ArchOptions test_options(const std::string& name) { return {.width = name == "mobilenetv1" ? 0.25f : 1.0f}; }

// A batch of 2 samples in [0, 1), the range images arrive in (DESIGN.md section 4).
Tensor sample_batch(const Graph& g, uint32_t seed) {
  Shape shape = g.value(g.inputs.at(0)).shape;
  shape[0] = 2;
  std::mt19937 rng(seed);
  return testing::random_tensor(rng, shape, 0.0f, 1.0f);
}

double rms(const Tensor& t) {
  double sum_sq = 0;
  for (float v : t.span<float>()) sum_sq += static_cast<double>(v) * v;
  return std::sqrt(sum_sq / static_cast<double>(t.numel()));
}

TEST(ArchForward, EveryBuiltInRunsWithFiniteWellScaledOutputs) {
  for (const std::string& name : architecture_names()) {
    SCOPED_TRACE(name);
    const Graph g = build_architecture(name, test_options(name));
    FloatExecutor exec(g, {.threads = 1});
    const Tensor out = exec.run({sample_batch(g, 1)}).at(0);
    ASSERT_EQ(out.dim(0), 2);
    for (float v : out.span<float>()) ASSERT_TRUE(std::isfinite(v));
    // Without fan-in scaling the deep stacks reach 1e10+ (or underflow); Kaiming keeps them O(0.1..10).
    const double scale = rms(out);
    EXPECT_GT(scale, 1e-2);
    EXPECT_LT(scale, 1e2);
    // The two samples must not collapse onto one output (a dead network).
    const int64_t per_sample = out.numel() / 2;
    double diff = 0;
    for (int64_t i = 0; i < per_sample; ++i) diff += std::fabs(out.data<float>()[i] - out.data<float>()[i + per_sample]);
    EXPECT_GT(diff, 1e-4 * scale * static_cast<double>(per_sample));
  }
}

TEST(ArchForward, ChannelShuffleInterleavesTheGroups) {
  // ShuffleNet (and torchvision's channel_shuffle): output channel j reads input channel
  // (j % groups) * (C / groups) + j / groups.
  const Graph g = build_architecture("shufflenet");
  FloatExecutor exec(g, {.threads = 1});
  const auto values = exec.run_all({sample_batch(g, 2)});
  const Tensor& in = values.at("stage2_unit2_gconv1_relu");
  const Tensor& out = values.at("stage2_unit2_shuffle");
  ASSERT_EQ(in.shape(), out.shape());
  const int64_t groups = 4, n = in.dim(0), c = in.dim(1), hw = in.dim(2) * in.dim(3);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t j = 0; j < c; ++j) {
      const int64_t source = (j % groups) * (c / groups) + j / groups;
      for (int64_t p = 0; p < hw; ++p) {
        ASSERT_EQ(out.data<float>()[(b * c + j) * hw + p], in.data<float>()[(b * c + source) * hw + p])
            << "batch " << b << " channel " << j << " position " << p;
      }
    }
  }
}

TEST(ArchForward, SqueezeExciteScalesEachChannelByItsGate) {
  const Graph g = build_architecture("mbconv");
  FloatExecutor exec(g, {.threads = 1});
  const auto values = exec.run_all({sample_batch(g, 3)});
  const Tensor& x = values.at("block2_dw_relu6");
  const Tensor& gate = values.at("block2_se_gate");
  const Tensor& scaled = values.at("block2_se_scale");
  ASSERT_EQ(gate.shape(), (Shape{x.dim(0), x.dim(1), 1, 1}));
  ASSERT_EQ(scaled.shape(), x.shape());
  const int64_t planes = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float s = gate.data<float>()[plane];
    ASSERT_GT(s, 0.0f);
    ASSERT_LT(s, 1.0f);
    for (int64_t p = 0; p < hw; ++p) {
      ASSERT_EQ(scaled.data<float>()[plane * hw + p], x.data<float>()[plane * hw + p] * s) << "plane " << plane;
    }
  }
}

TEST(ArchForward, BuiltInsExportAsValidOnnxAndReimportToTheSameOutputs) {
  if (!testing::python_has("onnx")) GTEST_SKIP() << "/usr/bin/python3 cannot import onnx (python3-onnx)";
  testing::TempDir dir;
  std::string files;
  for (const std::string& name : architecture_names()) {
    // Opset 17: the newest Debian's python3-onnx 1.12 checker knows; these graphs read the same at 17.
    save_onnx(build_architecture(name, test_options(name)), dir.file(name + ".onnx"), {.opset = 17});
    files += " " + dir.file(name + ".onnx");
  }
  testing::write_file(dir.file("check.py"),
                      "import sys, onnx\n"
                      "for path in sys.argv[1:]:\n"
                      "    onnx.checker.check_model(onnx.load(path), full_check=True)\n");
  const testing::CommandResult check = testing::run_command("/usr/bin/python3 " + dir.file("check.py") + files);
  ASSERT_EQ(check.exit_code, 0) << check.err;

  for (const std::string& name : architecture_names()) {
    SCOPED_TRACE(name);
    const Graph original = build_architecture(name, test_options(name));
    const Graph reloaded = load_onnx(dir.file(name + ".onnx"));
    ASSERT_NO_THROW(verify_graph(reloaded));
    EXPECT_EQ(reloaded.metadata.at("tinyopt.arch"), name);
    const Tensor batch = sample_batch(original, 4);
    const Tensor want = FloatExecutor(original, {.threads = 1}).run({batch}).at(0);
    const Tensor got = FloatExecutor(reloaded, {.threads = 1}).run({batch}).at(0);
    EXPECT_TRUE(testing::all_close(testing::values_of(got), testing::values_of(want), 0.0f, 0.0f));
  }
}

}  // namespace
}  // namespace tinyopt
