// `tinyopt optimize`'s last stages end to end on a small untrained model and Fashion-MNIST: the chosen model's
// firmware lands in DIR/firmware, the emulated Cortex-M4 runs the first test samples byte-identically to the
// host integer executor (same accuracy on the same samples, the firmware's own sources), and the report holds
// the emulated-device check with measured beside estimated figures. A target without an emulator (esp32s3)
// gets firmware and a "not measured" reason instead of figures. Skips when the Cortex-M tools are missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "emu/emu_test_support.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

class EmuOptimize : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_cli("new --arch fmnist-ds --width 0.5 --seed 2 -o " + model).exit_code, 0);
  }
  testing::CommandResult optimize(const std::string& target, const std::string& out, int samples) {
    return run_cli("optimize " + model + " --data fashion-mnist --target " + target +
                   " --keep 0.5 --finetune-images 64 --limit 64 --threads 1 --seed 3 --max-flash 1MiB --max-ram 256KiB "
                   "--device-samples " + std::to_string(samples) + " --json -o " + out);
  }
  testing::TempDir dir;
  std::string model = dir.file("m.onnx");
};

TEST_F(EmuOptimize, ChosenFirmwareRunsByteIdenticallyOnTheEmulatedDevice) {
  EMU_SKIP_IF_MISSING(emulate::emu_platform("cortex-m4"));
  const std::string out = dir.file("m4");
  const auto r = optimize("cortex-m4", out, 12);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& d = j.at("device");
  EXPECT_EQ(d.at("firmware"), (fs::path(out) / "firmware").string());
  EXPECT_TRUE(fs::exists(fs::path(out) / "firmware" / "model.c"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "firmware" / "Makefile"));
  EXPECT_FALSE(fs::exists(fs::path(out) / ".emulate-work"));  // the emulation's build folder is gone
  ASSERT_TRUE(d.at("emulated").get<bool>()) << d.dump();
  EXPECT_EQ(d.at("samples"), 12);
  EXPECT_EQ(d.at("identical"), 12) << "device outputs differ from the host integer executor";
  EXPECT_EQ(d.at("mismatched_bytes"), 0);
  EXPECT_TRUE(d.at("same_project").get<bool>()) << "the emulated sources are not firmware/'s";
  EXPECT_EQ(d.at("accuracy").get<double>(), d.at("host_accuracy").get<double>());
  EXPECT_GT(d.at("flash_bytes").get<int64_t>(), 0);
  EXPECT_GT(d.at("ram_bytes").get<int64_t>(), 0);
  EXPECT_GT(d.at("instructions_per_inference").get<double>(), 0);
  EXPECT_GT(d.at("estimated_flash_bytes").get<int64_t>(), 0);
  // The budgets are checked against the measured figures too, and the chosen model meets them there.
  const auto& budgets = d.at("budgets");
  ASSERT_EQ(budgets.size(), 2u) << d.dump();
  EXPECT_EQ(budgets[0].at("value"), d.at("flash_bytes").get<double>());
  EXPECT_EQ(budgets[1].at("value"), d.at("ram_bytes").get<double>());
  for (const auto& b : budgets)
    EXPECT_EQ(b.at("status"), b.at("value").get<double>() <= b.at("limit").get<double>() ? "met" : "violated");
  EXPECT_EQ(d.at("candidate"), j.at("best").at("id"));
  // The human-readable run prints the equality the demo shows.
  const auto text = run_cli("optimize " + model + " --data fashion-mnist --target cortex-m4 --keep 0.5 "
                            "--finetune-images 64 --limit 64 --threads 1 --seed 3 --max-flash 1MiB --max-ram 256KiB "
                            "--device-samples 12 -o " + out);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("byte-identical to the host in 12/12"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("budget RAM <= 256.0 KiB on the emulated device: met (measured "), std::string::npos) << text.out;
  EXPECT_NE(text.err.find("| emulate 12 test samples on cortex-m4"), std::string::npos) << text.err;
  const std::string html = testing::read_file((fs::path(out) / "report.html").string());
  for (const char* id : {"id=\"device-accuracy\"", "id=\"device-measured\"", "<b class=\"met\">12 of 12</b>"})
    EXPECT_NE(html.find(id), std::string::npos) << id;
}

TEST_F(EmuOptimize, TargetWithoutEmulatorGetsFirmwareAndNoGuessedFigures) {
  const std::string out = dir.file("s3");
  const auto r = optimize("esp32s3", out, 12);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = nlohmann::json::parse(r.out).at("device");
  EXPECT_TRUE(fs::exists(fs::path(out) / "firmware" / "model.c"));
  EXPECT_FALSE(d.at("emulated").get<bool>());
  EXPECT_FALSE(d.contains("flash_bytes"));
  EXPECT_NE(d.at("not_measured").get<std::string>().find("esp32s3 has no emulator"), std::string::npos) << d.dump();
  const std::string html = testing::read_file((fs::path(out) / "report.html").string());
  EXPECT_NE(html.find("Not measured: esp32s3 has no emulator"), std::string::npos);
}

}  // namespace
}  // namespace tinyopt
