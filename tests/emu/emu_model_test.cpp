// `tinyopt emulate` end to end: the shipped Fashion-MNIST teacher, quantized by `tinyopt quantize`, is
// generated as C (`tinyopt codegen` inside emulate), built for the emulated Cortex-M4 and Cortex-M7 and
// aarch64, and run on real test images; every output byte equals the host integer executor's, and the
// report's instruction counts, per-layer table, flash and RAM are consistent. The same for a pruned (one-
// shot L1) then int8 teacher. Plus the verb's errors.
// Skips per platform when its cross tools are missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "emu/emu_models.h"
#include "emu/emu_test_support.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

using testing::run_cli;

using emu_test::quantized_teacher;

class EmuModel : public ::testing::TestWithParam<std::string> {};

TEST_P(EmuModel, TeacherOutputsAreByteIdenticalToTheHost) {
  EMU_SKIP_IF_MISSING(emulate::emu_platform(GetParam()));
  const auto r = run_cli("emulate '" + quantized_teacher() + "' --target " + GetParam() +
                         " --data fashion-mnist --samples 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("target"), GetParam());
  EXPECT_EQ(j.at("samples"), 20);
  EXPECT_EQ(j.at("mismatches"), 0) << "device outputs differ from the integer executor";
  EXPECT_EQ(j.at("reference"), "integer executor");
  EXPECT_GT(j.at("accuracy").get<double>(), 0.6);
  const double insns = j.at("instructions_per_inference").get<double>();
  EXPECT_GT(insns, j.at("macs").get<double>() * 0.5) << "fewer than half an instruction per MAC is implausible";
  double layer_sum = 0;
  for (const auto& l : j.at("layers")) layer_sum += l.at("instructions").get<double>();
  EXPECT_GT(layer_sum, 0.9 * insns);
  EXPECT_LE(layer_sum, insns);
  const int64_t flash = j.at("flash_bytes"), weights = j.at("weight_bytes"), ram = j.at("ram_bytes");
  EXPECT_GT(flash, weights);
  const int64_t requant = j.at("requant_bytes");
  EXPECT_GT(requant, 0);
  EXPECT_EQ(j.at("code_overhead_bytes").get<int64_t>(), flash - weights - requant);
  EXPECT_GE(ram, j.at("arena_bytes").get<int64_t>() + j.at("stack_bytes").get<int64_t>());
  EXPECT_GT(j.at("stack_bytes").get<int64_t>(), 0);
  EXPECT_GT(j.at("arena_used_bytes").get<int64_t>(), 0);
  EXPECT_LE(j.at("arena_used_bytes").get<int64_t>(), j.at("arena_bytes").get<int64_t>());
  EXPECT_EQ(j.at("identical"), std::vector<int>(20, 1));
}

INSTANTIATE_TEST_SUITE_P(Platforms, EmuModel, ::testing::Values("cortex-m4", "cortex-m7", "rpi4"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

// Issue 7's last step: a pruned model (one-shot L1 on half the channels, no fine-tune), quantized int8,
// goes through codegen and runs on the emulated Cortex-M4 byte-identical to the integer executor, and is
// physically smaller than the teacher.
TEST(EmuPrunedModel, PrunedThenInt8IsByteIdenticalOnCortexM4) {
  EMU_SKIP_IF_MISSING(emulate::emu_platform("cortex-m4"));
  testing::TempDir dir;
  const std::string pruned = dir.file("pruned.onnx");
  const auto p = run_cli("prune '" + emu_test::teacher_path() + "' --data fashion-mnist --method l1 --ratio 0.5 -o '" +
                         pruned + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const std::string q = emu_test::quantized(pruned, "pruned.int8.onnx");
  ASSERT_FALSE(q.empty());
  const auto r = run_cli("emulate '" + q + "' --target cortex-m4 --data fashion-mnist --samples 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("samples"), 20);
  EXPECT_EQ(j.at("mismatches"), 0) << "the pruned model's device outputs differ from the integer executor";
  const auto teacher = run_cli("inspect '" + emu_test::teacher_path() + "' --json");
  ASSERT_EQ(teacher.exit_code, 0) << teacher.err;
  EXPECT_LT(j.at("macs").get<double>(), 0.75 * nlohmann::json::parse(teacher.out).at("macs").get<double>());
}

TEST(EmuModelErrors, OneLineAndNonZeroExit) {
  testing::TempDir dir;
  const auto unknown = run_cli("emulate '" + quantized_teacher() + "' --target cortex-z9");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err.rfind("tinyopt: error:", 0), 0u) << unknown.err;
  const auto not_project = run_cli("emulate '" + dir.path().string() + "' --target cortex-m4");
  EXPECT_EQ(not_project.exit_code, 1);
  EXPECT_NE(not_project.err.find("manifest.json"), std::string::npos) << not_project.err;
  const auto float_model = run_cli("emulate '" + testing::source_dir() + "/models/fmnist-cnn.onnx' --target cortex-m4");
  EXPECT_EQ(float_model.exit_code, 1);
  EXPECT_EQ(std::count(float_model.err.begin(), float_model.err.end(), '\n'), 1) << float_model.err;
  EXPECT_TRUE(float_model.out.empty());
}

}  // namespace
}  // namespace tinyopt
