// Every runtime kernel compiled for the emulated Cortex-M4, Cortex-M7 and aarch64 (reference kernels, and
// the dsp / neon variants once they exist) computes byte for byte what the host's family reference
// computes, over randomized shapes and quantization parameters (firmware/drivers/kernel_driver.c), and
// the instruction-count plugin gives one count per kernel call. Skips per platform when its cross
// compiler or qemu is not installed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "emu/emu_test_support.h"
#include "emulate/kernel_driver_run.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

using emulate::KernelDriverConfig;
using emulate::KernelDriverRun;

constexpr int kCases = 64;  // 8 per family; each family gets awkward shapes (odd channels, 1x1, stride 2)

KernelDriverConfig random_cases(uint32_t seed) {
  KernelDriverConfig c;
  c.seed = seed;
  c.count = kCases;
  return c;
}

// The driver built once per platform for the whole test binary (builds dominate the run time).
const emulate::KernelDriver& driver(const std::string& platform) {
  static testing::TempDir dir;
  static std::map<std::string, emulate::KernelDriver> built;
  auto it = built.find(platform);
  if (it != built.end()) return it->second;
  return built[platform] = emulate::build_kernel_driver(emulate::emu_platform(platform), dir.file(platform));
}

// The host reference run per seed.
const KernelDriverRun& host_run(uint32_t seed) {
  static testing::TempDir dir;
  static std::map<uint32_t, KernelDriverRun> runs;
  auto it = runs.find(seed);
  if (it != runs.end()) return it->second;
  return runs[seed] = emulate::run_kernel_driver(driver("host"), random_cases(seed),
                                                 dir.file("seed" + std::to_string(seed)), false);
}

class EmuKernels : public ::testing::TestWithParam<std::string> {};

TEST_P(EmuKernels, EveryKernelIsBitExactWithTheHostReference) {
  const emulate::EmuPlatform platform = emulate::emu_platform(GetParam());
  EMU_SKIP_IF_MISSING(platform);
  for (uint32_t seed : {11u, 2026u}) {
    testing::TempDir dir;
    const KernelDriverRun device = emulate::run_kernel_driver(driver(platform.name), random_cases(seed),
                                                              dir.path().string(), true);
    const KernelDriverRun& host = host_run(seed);
    ASSERT_GE(device.records.size(), static_cast<size_t>(kCases));
    std::set<std::string> families, variants;
    for (const auto& r : device.records) {
      EXPECT_EQ(r.status, 0) << r.kernel << " case " << r.case_index << ": " << r.description;
      EXPECT_GT(r.instructions, 0u) << r.kernel << " case " << r.case_index;
      families.insert(r.family);
      variants.insert(r.variant);
    }
    EXPECT_EQ(families.size(), 8u) << "every MAC family ran";
    const std::vector<std::string> diffs = emulate::compare_kernel_runs(device, host);
    for (size_t i = 0; i < diffs.size() && i < 10; ++i) ADD_FAILURE() << diffs[i];
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " of " << device.records.size() << " kernel calls differ (seed "
                               << seed << ")";
  }
}

TEST(EmuKernelDriver, OutputsAreNotDegenerate) {
  // Guards the generator: if requantization saturated everything, bit-exactness would prove little.
  const KernelDriverRun& host = host_run(11u);
  size_t distinct_total = 0;
  for (const auto& r : host.records) {
    std::set<char> values(host.outputs.begin() + static_cast<long>(r.offset),
                          host.outputs.begin() + static_cast<long>(r.offset + r.bytes));
    distinct_total += values.size();
  }
  EXPECT_GT(distinct_total, host.records.size() * 8) << "outputs are mostly saturated";
}

INSTANTIATE_TEST_SUITE_P(Platforms, EmuKernels, ::testing::Values("cortex-m4", "cortex-m7", "rpi4"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace tinyopt
