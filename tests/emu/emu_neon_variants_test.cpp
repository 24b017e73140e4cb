// The aarch64 NEON kernel variants (runtime/neon/) are bit-exact to their references: the guest program
// tests/emu/emu_dsp_neon_variants.c is cross-compiled with every runtime/ref and runtime/neon source, run under
// qemu-aarch64 as a Raspberry Pi 4 (Cortex-A72: SMULL/SADALP path) and a Pi 5 (Cortex-A76: SDOT path), and must
// report PASS for every neon row of the kernel list over its randomized cases. Skips with a message when
// aarch64-linux-gnu-gcc or qemu-aarch64 is absent (scripts/install-deps.sh installs both).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

bool have(const std::string& tool) { return run_command("command -v " + tool + " >/dev/null 2>&1").exit_code == 0; }

std::vector<std::string> neon_kernels() {
  std::vector<std::string> names;
#define TOPT_KERNEL(name, family, variant) \
  if (std::string(#variant) == "neon") names.push_back(#name);
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
  return names;
}

std::string sources(const std::string& dir) {
  std::string list;
  for (const auto& e : fs::directory_iterator(fs::path(testing::source_dir()) / "runtime" / dir))
    if (e.path().extension() == ".c") list += " " + e.path().string();
  return list;
}

bool tools_missing() { return !have("aarch64-linux-gnu-gcc") || !have("qemu-aarch64"); }

// Cross-compiles the guest (every runtime/ref and runtime/neon source) for `cpu_flags` with its random cases
// drawn from `seed`; returns the executable.
std::string build_guest(const std::string& cpu_flags, int seed, const testing::TempDir& dir) {
  const std::string root = testing::source_dir();
  const std::string exe = dir.file("variants");
  const std::string build =
      "aarch64-linux-gnu-gcc -std=c99 -O2 -Wall -Wextra -Werror -static -DEMU_VARIANTS_SEED=" + std::to_string(seed) +
      " " + cpu_flags + " -I" + root + "/runtime/include" + sources("ref") + sources("neon") + " " + root +
      "/tests/emu/emu_dsp_neon_variants.c -o " + exe;
  const auto built = run_command(build);
  EXPECT_EQ(built.exit_code, 0) << build << "\n" << built.err;
  return built.exit_code == 0 ? exe : "";
}

// Runs the guest on qemu's `qemu_cpu` and checks that every neon row passed.
void check_on(const std::string& cpu_flags, const std::string& qemu_cpu, int seed) {
  if (tools_missing()) GTEST_SKIP() << "aarch64-linux-gnu-gcc or qemu-aarch64 not installed (scripts/install-deps.sh)";
  testing::TempDir dir;
  const std::string exe = build_guest(cpu_flags, seed, dir);
  ASSERT_FALSE(exe.empty());
  const auto ran = run_command("qemu-aarch64 -cpu " + qemu_cpu + " " + exe);
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  const std::vector<std::string> kernels = neon_kernels();
  ASSERT_FALSE(kernels.empty());
  for (const std::string& k : kernels)
    EXPECT_NE(ran.out.find("PASS " + k + " "), std::string::npos) << k << "\n" << ran.out;
}

TEST(EmuNeonVariants, BitExactOnCortexA72WithoutDotProduct) { check_on("-march=armv8-a", "cortex-a72", 1); }

TEST(EmuNeonVariants, BitExactOnCortexA76WithDotProduct) { check_on("-mcpu=cortex-a76", "cortex-a76", 2); }

TEST(EmuNeonVariants, DotProductBuildTrapsOnCortexA72) {
  // The SDOT build really uses SDOT: the Pi 4's core has no dot product, so qemu raises SIGILL.
  if (tools_missing()) GTEST_SKIP() << "aarch64-linux-gnu-gcc or qemu-aarch64 not installed (scripts/install-deps.sh)";
  testing::TempDir dir;
  const std::string exe = build_guest("-mcpu=cortex-a76", 3, dir);
  ASSERT_FALSE(exe.empty());
  const auto ran = run_command("qemu-aarch64 -cpu cortex-a72 " + exe);
  EXPECT_NE(ran.exit_code, 0) << ran.out;
}

}  // namespace
}  // namespace tinyopt
