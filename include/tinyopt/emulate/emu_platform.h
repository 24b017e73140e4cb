// EmuPlatform: how tinyopt builds and runs a C program for one emulated device — the cross compiler and
// its flags, the emulator and its arguments, the harness pieces (startup code, linker script) and the size
// tool. Three kinds: a bare-metal Cortex-M board under qemu-system-arm (semihosting for I/O and exit
// codes), aarch64 Linux under qemu-aarch64 (Raspberry Pi class), and the host itself (the reference the
// emulated runs are compared with). It says nothing about the model or the cost model: that is Target.
#pragma once

#include <string>
#include <vector>

namespace tinyopt {
struct Target;
}

namespace tinyopt::emulate {

enum class EmuKind { kCortexM, kAarch64Linux, kHost };

struct EmuPlatform {
  std::string name;  // "cortex-m4", "cortex-m7", "rpi4", "rpi5", "host"
  EmuKind kind = EmuKind::kHost;
  std::string cc;                          // "arm-none-eabi-gcc", "aarch64-linux-gnu-gcc", "cc"
  std::vector<std::string> cflags;         // CPU / ABI flags, e.g. -mcpu=cortex-m4 -mthumb -mfloat-abi=hard ...
  std::string emulator;                    // "qemu-system-arm", "qemu-aarch64", "" for the host
  std::vector<std::string> emulator_args;  // e.g. -M mps2-an386 -nographic -semihosting-config ...
  std::string linker_script;               // Cortex-M: "mps2-an386.ld" in firmware/harness/ld
  std::string size_tool;                   // "arm-none-eabi-size", "aarch64-linux-gnu-size", "size"
};

// Built-in platforms: cortex-m4 (qemu mps2-an386), cortex-m7 (mps2-an500), rpi4 (qemu-aarch64 -cpu
// cortex-a72), rpi5 (-cpu cortex-a76, with SDOT), host. Throws Error(kUsage) listing the names for any other name.
EmuPlatform emu_platform(const std::string& name);
std::vector<std::string> emu_platform_names();

// The tools a platform needs that are not in PATH (empty when it can build and run programs).
std::vector<std::string> missing_tools(const EmuPlatform& platform);

// Where the harness lives (firmware/harness/ in the source tree; TINYOPT_FIRMWARE_DIR overrides).
std::string harness_dir();

}  // namespace tinyopt::emulate
