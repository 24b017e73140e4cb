// Target files: every built-in target loads and is consistent (every number has a source, clocks and
// memories as REFERENCE-NUMBERS.md gives them); bad files fail with one line naming the file and field;
// `tinyopt targets` lists them (text and --json, DESIGN.md section 4 keys).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/core/error.h"
#include "tinyopt/target/target.h"

namespace tinyopt {
namespace {

using testing::read_file;
using testing::run_cli;
using testing::TempDir;
using testing::write_file;

TEST(TargetLoad, EveryBuiltInTargetLoads) {
  const std::vector<std::string> names = builtin_target_names();
  const std::vector<std::string> want = {"cortex-m0plus", "cortex-m33", "cortex-m4", "cortex-m7",
                                         "esp32",         "esp32s3",    "rpi-zero2w", "rpi4"};
  EXPECT_EQ(names, want);
  for (const std::string& n : names) {
    const Target t = load_target(n);
    EXPECT_EQ(t.name, n);
    EXPECT_GT(t.clock_hz, 0);
    EXPECT_GT(t.active_power_mw, 0);
    EXPECT_FALSE(t.toolchain.cc.empty()) << n;
    EXPECT_TRUE(t.kernel_costs.count("default/ref")) << n;
    for (const auto& [key, cost] : t.kernel_costs) EXPECT_FALSE(cost.source.empty()) << n << " " << key;
    for (const char* f : {"clock_hz", "flash_bytes", "ram_bytes", "active_power_mw"}) EXPECT_TRUE(t.sources.count(f)) << n << " " << f;
  }
}

TEST(TargetLoad, ReferenceBoardsMatchTheirPublishedParameters) {
  const Target m4 = load_target("cortex-m4");  // NUCLEO-L4R5ZI, REFERENCE-NUMBERS.md 6.1
  EXPECT_EQ(m4.clock_hz, 120'000'000);
  EXPECT_EQ(m4.ram_bytes, 640 * 1024);
  EXPECT_TRUE(m4.has("dsp"));
  EXPECT_EQ(m4.toolchain.emulator, "qemu-system-arm");
  EXPECT_NE(std::find(m4.toolchain.emulator_args.begin(), m4.toolchain.emulator_args.end(), "mps2-an386"),
            m4.toolchain.emulator_args.end());
  EXPECT_NE(std::find(m4.toolchain.cflags.begin(), m4.toolchain.cflags.end(), "-mfpu=fpv4-sp-d16"), m4.toolchain.cflags.end());
  const Target m7 = load_target("cortex-m7");
  EXPECT_EQ(m7.clock_hz, 280'000'000);
  EXPECT_NE(std::find(m7.toolchain.emulator_args.begin(), m7.toolchain.emulator_args.end(), "mps2-an500"),
            m7.toolchain.emulator_args.end());
  EXPECT_EQ(load_target("cortex-m33").clock_hz, 160'000'000);
  const Target pi = load_target("rpi4");
  EXPECT_TRUE(pi.has("neon"));
  EXPECT_EQ(pi.toolchain.emulator, "qemu-aarch64");
  EXPECT_EQ(load_target("esp32s3").toolchain.emulator, "");
}

// Writes the built-in cortex-m4 description with one change and returns the load error.
std::string error_after(const std::function<void(nlohmann::json&)>& change) {
  TempDir dir;
  nlohmann::json j = nlohmann::json::parse(read_file(testing::source_dir() + "/data/targets/cortex-m4.json"));
  change(j);
  const std::string path = dir.file("board.json");
  write_file(path, j.dump());
  try {
    load_target(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find("board.json"), std::string::npos) << m;
    return m;
  }
  return "(loaded)";
}

TEST(TargetLoad, BadFilesNameTheFileAndField) {
  EXPECT_EQ(error_after([](nlohmann::json&) {}), "(loaded)");
  EXPECT_NE(error_after([](nlohmann::json& j) { j.erase("clock_hz"); }).find("field 'clock_hz': missing"), std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["clock_hz"] = -5; }).find("field 'clock_hz': must be a positive integer"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["clock_hz"] = "120 MHz"; }).find("'clock_hz'"), std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["clock_mhz"] = 120; }).find("field 'clock_mhz': unknown field"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["features"] = {"dsp", "warp-drive"}; }).find("unknown feature 'warp-drive'"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["sources"].erase("ram_bytes"); }).find("sources.ram_bytes"), std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["kernel_costs"]["conv9d_s8/dsp"] = {{"source", "x"}}; })
                .find("kernel_costs.conv9d_s8/dsp"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["kernel_costs"]["conv2d_s8/dsp"].erase("source"); })
                .find("kernel_costs.conv2d_s8/dsp.source"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["kernel_costs"]["conv2d_s8/dsp"]["cycles_per_mac"] = -1; })
                .find("cycles_per_mac': must be a number >= 0"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) {
              j["kernel_costs"]["conv2d_s8/dsp"] = {{"instructions", {{"warps", 1.0}}}, {"cycles_per_instruction", 1.0},
                                                    {"source", "x"}};
            }).find("instructions.warps': unknown cost term"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) {
              j["kernel_costs"]["conv2d_s8/dsp"] = {{"instructions", {{"macs", 1.0}}}, {"source", "x"}};
            }).find("kernel_costs.conv2d_s8/dsp.cycles_per_instruction': missing"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["kernel_costs"].erase("default/ref"); }).find("default/ref"),
            std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j["toolchain"].erase("cc"); }).find("toolchain.cc"), std::string::npos);
  EXPECT_NE(error_after([](nlohmann::json& j) { j = nlohmann::json::array(); }).find("one JSON object"), std::string::npos);
}

TEST(TargetLoad, MissingMalformedAndUnknownTargets) {
  TempDir dir;
  write_file(dir.file("cut.json"), "{\"name\": \"x\", \"clock_hz\": 12");
  for (const auto& [arg, want] : std::vector<std::pair<std::string, std::string>>{
           {dir.file("cut.json"), "not valid JSON"},
           {dir.file("absent.json"), "no such target file"},
           {"cortex-m99", "unknown target 'cortex-m99' (built in: cortex-m0plus"}}) {
    try {
      load_target(arg);
      ADD_FAILURE() << arg << " loaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
    }
  }
}

TEST(TargetLoad, TargetsVerbListsEveryTarget) {
  const auto r = run_cli("targets --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), builtin_target_names().size());
  for (const nlohmann::json& t : j)
    for (const char* key : {"name", "core", "clock_hz", "flash_bytes", "ram_bytes"}) EXPECT_TRUE(t.contains(key)) << key;
  const auto text = run_cli("targets");
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("cortex-m4"), std::string::npos);
  EXPECT_NE(text.out.find("qemu-system-arm"), std::string::npos);
  // From another folder: the files are compiled in.
  const auto elsewhere = testing::run_command("cd / && " + testing::cli_path() + " targets --json");
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
}

}  // namespace
}  // namespace tinyopt
