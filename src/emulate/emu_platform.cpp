// The built-in emulated platforms (see emu_platform.h). Flags follow docs/emulation.md: hard-float ABI
// with the board's FPU, and -ffp-contract=off everywhere (added by the builder) so float code is
// bit-exact with the host.
#include "tinyopt/emulate/emu_platform.h"

#include <cstdlib>

#include "emulate/subprocess.h"
#include "tinyopt/core/error.h"

namespace tinyopt::emulate {

namespace {

const std::vector<std::string> kSemihosting = {"-nographic", "-semihosting-config", "enable=on,target=native"};

EmuPlatform cortex_m(const std::string& name, const std::string& board, std::vector<std::string> cflags) {
  EmuPlatform p;
  p.name = name;
  p.kind = EmuKind::kCortexM;
  p.cc = "arm-none-eabi-gcc";
  p.cflags = std::move(cflags);
  p.emulator = "qemu-system-arm";
  p.emulator_args = {"-M", board};
  p.emulator_args.insert(p.emulator_args.end(), kSemihosting.begin(), kSemihosting.end());
  p.linker_script = board + ".ld";
  p.size_tool = "arm-none-eabi-size";
  return p;
}

}  // namespace

std::vector<std::string> emu_platform_names() { return {"cortex-m4", "cortex-m7", "rpi4", "rpi5", "host"}; }

EmuPlatform emu_platform(const std::string& name) {
  if (name == "cortex-m4")
    return cortex_m(name, "mps2-an386", {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"});
  if (name == "cortex-m7")
    return cortex_m(name, "mps2-an500", {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"});
  if (name == "rpi4" || name == "rpi5") {  // Pi 5: Cortex-A76, with the SDOT dot product
    const std::string cpu = name == "rpi4" ? "cortex-a72" : "cortex-a76";
    EmuPlatform p;
    p.name = name;
    p.kind = EmuKind::kAarch64Linux;
    p.cc = "aarch64-linux-gnu-gcc";
    p.cflags = {"-mcpu=" + cpu};
    p.emulator = "qemu-aarch64";
    p.emulator_args = {"-cpu", cpu};
    p.size_tool = "aarch64-linux-gnu-size";
    return p;
  }
  if (name == "host") {
    EmuPlatform p;
    p.name = name;
    p.kind = EmuKind::kHost;
    p.cc = "cc";
    p.size_tool = "size";
    return p;
  }
  std::string names;
  for (const std::string& n : emu_platform_names()) names += (names.empty() ? "" : ", ") + n;
  throw_usage("unknown emulation target '" + name + "' (known: " + names + ")");
}

std::vector<std::string> missing_tools(const EmuPlatform& platform) {
  std::vector<std::string> missing;
  for (const std::string& tool : {platform.cc, platform.emulator, platform.size_tool}) {
    if (!tool.empty() && !tool_available(tool)) missing.push_back(tool);
  }
  return missing;
}

std::string harness_dir() {
  if (const char* dir = std::getenv("TINYOPT_FIRMWARE_DIR")) return std::string(dir) + "/harness";
  return std::string(TINYOPT_SOURCE_DIR) + "/firmware/harness";
}

}  // namespace tinyopt::emulate
