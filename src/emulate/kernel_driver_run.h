// The emulated kernel check: builds firmware/drivers/kernel_driver.c with the runtime kernels for a
// platform, runs it (on qemu, or on the host as the reference), and reads back one record per kernel call
// with its output bytes and, on emulated platforms, its instruction count. Used by the `emu` tests
// (bit-exactness over randomized shapes) and the emu_kernels benchmark (instructions per MAC on the
// MLPerf Tiny layer shapes). It decides nothing: compare_kernel_runs lists the differences.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/emulate/emu_platform.h"

namespace tinyopt::emulate {

struct KernelDriverConfig {
  bool bench = false;  // true: the MLPerf Tiny layer shapes; false: `count` random cases from `seed`
  uint32_t seed = 1;
  int count = 40;
};

struct KernelRecord {
  int case_index = 0;
  std::string family, kernel, variant;  // "conv2d_s8", "topt_conv2d_1x1_s8__ref", "ref"
  int64_t macs = 0;
  size_t offset = 0, bytes = 0;  // the output's place in KernelDriverRun::outputs
  int status = 0;                // the kernel's topt_status
  std::string description;       // shape and quantization of the case (or the layer's name)
  uint64_t instructions = 0;     // 0 unless counted
};

struct KernelDriverRun {
  std::string platform;
  std::vector<KernelRecord> records;
  std::string outputs;  // every record's output bytes, concatenated
};

// The runtime sources a platform's build compiles: runtime/ref, plus runtime/arm_dsp on Cortex-M and
// runtime/neon on aarch64 when those folders exist.
std::vector<std::string> runtime_sources(const EmuPlatform& platform);

// The driver built for one platform (build once, run with many configurations).
struct KernelDriver {
  EmuPlatform platform;
  std::string executable;
};

// Throws Error(kBadInput) with the compiler's message when building fails.
KernelDriver build_kernel_driver(const EmuPlatform& platform, const std::string& work_dir);

// Runs the driver in run_dir (created). Throws Error(kBadInput) when the driver exits non-zero (a guest
// fault included).
KernelDriverRun run_kernel_driver(const KernelDriver& driver, const KernelDriverConfig& config,
                                  const std::string& run_dir, bool count_instructions);

// Every record of `device` against the host's family-reference record of the same case ("" = all equal):
// one line per differing record, naming the case, kernel, first differing byte, both values and the case.
std::vector<std::string> compare_kernel_runs(const KernelDriverRun& device, const KernelDriverRun& host);

}  // namespace tinyopt::emulate
