// The Arm kernel variants are bit-exact to their references on the emulated cores they are written for:
// the guest program tests/emu/emu_dsp_neon_variants.c, built with the emulation harness (src/emulate) for
// each platform with every runtime/ref source plus the variant's folder, checks each Arm row of the kernel
// list compiled into it over its randomized cases and must report PASS for every one: dsp rows on the
// Cortex-M4 (mps2-an386) and Cortex-M7 (mps2-an500), neon rows on a Raspberry Pi 4 (Cortex-A72,
// SMULL/SADALP path) and a Pi 5 (Cortex-A76, SDOT path). Skips per platform when its cross tools are absent.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emu/emu_test_support.h"
#include "emulate/emulator_run.h"
#include "emulate/kernel_driver_run.h"
#include "emulate/program_build.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

using emulate::EmuPlatform;

// The Arm variant a platform compiles: dsp on Cortex-M, neon on aarch64.
std::string variant_of(const EmuPlatform& p) { return p.kind == emulate::EmuKind::kCortexM ? "dsp" : "neon"; }

std::vector<std::string> listed(const std::string& variant) {
  std::vector<std::string> names;
#define TOPT_KERNEL(name, family, var) \
  if (std::string(#var) == variant) names.push_back(#name);
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
  return names;
}

// Builds the guest for `platform` (cases drawn from `seed`) in `dir`; returns the executable.
std::string build_guest(const EmuPlatform& platform, int seed, const testing::TempDir& dir) {
  emulate::ProgramSpec spec;
  spec.sources = emulate::runtime_sources(platform);  // runtime/ref plus the platform's variant folder
  spec.sources.push_back(testing::source_dir() + "/tests/emu/emu_dsp_neon_variants.c");
  spec.include_dirs = {testing::source_dir() + "/runtime/include"};
  spec.defines = {"EMU_VARIANTS_SEED=" + std::to_string(seed)};
  spec.extra_cflags = {"-Wall", "-Wextra", "-Werror"};
  spec.work_dir = dir.path().string();
  spec.name = "variants";
  return emulate::build_program(platform, spec).executable;
}

class EmuArmVariants : public ::testing::TestWithParam<std::string> {};

TEST_P(EmuArmVariants, EveryArmKernelIsBitExactWithItsReference) {
  const EmuPlatform platform = emulate::emu_platform(GetParam());
  EMU_SKIP_IF_MISSING(platform);
  // one build per platform (cross-compiling the runtime dominates the time); each platform its own seed
  const int seed = GetParam() == "cortex-m4" ? 1 : GetParam() == "cortex-m7" ? 2026 : GetParam() == "rpi4" ? 7 : 11;
  testing::TempDir dir;
  const std::string exe = build_guest(platform, seed, dir);
  const emulate::EmulatorRun run = emulate::run_on_emulator(platform, exe, dir.path().string(), false);
  EXPECT_EQ(run.process.exit_code, 0) << "seed " << seed << "\n" << run.process.out << run.process.err;
  const std::vector<std::string> kernels = listed(variant_of(platform));
  ASSERT_FALSE(kernels.empty());
  for (const std::string& k : kernels)
    EXPECT_NE(run.process.out.find("PASS " + k + " "), std::string::npos) << k << " seed " << seed << "\n"
                                                                          << run.process.out;
}

INSTANTIATE_TEST_SUITE_P(Platforms, EmuArmVariants, ::testing::Values("cortex-m4", "cortex-m7", "rpi4", "rpi5"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(EmuArmVariantsGuard, DotProductBuildTrapsOnCortexA72) {
  // The Pi 5 build really uses SDOT: the Pi 4's core has no dot product, so qemu raises SIGILL.
  const EmuPlatform a76 = emulate::emu_platform("rpi5");
  EMU_SKIP_IF_MISSING(a76);
  testing::TempDir dir;
  const std::string exe = build_guest(a76, 3, dir);
  const emulate::EmulatorRun run =
      emulate::run_on_emulator(emulate::emu_platform("rpi4"), exe, dir.path().string(), false);
  EXPECT_NE(run.process.exit_code, 0) << run.process.out;
}

}  // namespace
}  // namespace tinyopt
