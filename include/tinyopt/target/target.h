// Target: what tinyopt knows about one device — clock, memories, instruction-set features, power, the
// cross toolchain and emulator that build and run its firmware, and the per-kernel cycle coefficients of
// the cost model — each number with the source it came from (datasheet, MLPerf Tiny result, or our own
// emulator measurement). Built-in targets are the JSON files in data/targets/ (compiled into the binary);
// a path to a JSON file of the same format (docs/targets.md) works wherever a target name does.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tinyopt {

// Cycles of one layer on this target: with instruction terms, cycles_per_instruction * sum(instructions[t] *
// term t) (cost_model.h, cost_terms); without, fixed_cycles + cycles_per_mac * MACs + cycles_per_byte * bytes.
struct KernelCost {
  double cycles_per_mac = 0.0;
  double cycles_per_byte = 0.0;
  double fixed_cycles = 0.0;
  std::map<std::string, double> instructions;  // cost term name -> instructions per unit of it
  double cycles_per_instruction = 1.0;
  std::string source;  // "qemu insn count, tinyopt emulate 2026-11-26" / "MLPerf Tiny v1.1 ..." / ...
};

struct Toolchain {
  std::string cc;                       // "arm-none-eabi-gcc", "aarch64-linux-gnu-gcc", "cc", "xtensa-lx106-elf-gcc"
  std::vector<std::string> cflags;      // e.g. -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
  std::string emulator;                 // "qemu-system-arm", "qemu-aarch64", "" when none
  std::vector<std::string> emulator_args;  // e.g. -M mps2-an386 -nographic -semihosting-config enable=on,target=native
};

struct Target {
  std::string name;         // "cortex-m4"
  std::string description;  // "STM32L4R5-class Cortex-M4F, 120 MHz"
  std::string core;         // "cortex-m4", "cortex-a72", "xtensa-lx7", ...
  int64_t clock_hz = 0;
  int64_t flash_bytes = 0;
  int64_t ram_bytes = 0;
  std::vector<std::string> features;  // "dsp", "fpu", "neon", "sdot", "mve", "esp32s3-pie"
  int channel_multiple = 1;           // SIMD-friendly channel count (prune --round-to default)
  double active_power_mw = 0.0;
  Toolchain toolchain;
  // key "<family>/<variant>", e.g. "conv2d_s8/dsp", "dense_s8/ref"; see docs/targets.md
  std::map<std::string, KernelCost> kernel_costs;
  std::map<std::string, std::string> sources;  // field name -> where its value comes from

  bool has(std::string_view feature) const;
};

// A built-in target name (data/targets/<name>.json) or a path to a target JSON file. Throws
// Error(kBadInput) naming the file and field when the file is missing, malformed or inconsistent.
Target load_target(const std::string& name_or_path);

std::vector<std::string> builtin_target_names();

}  // namespace tinyopt
