// Running a program built by build_program on its platform: the Cortex-M ELF under qemu-system-arm with
// semihosting, the aarch64 executable under qemu-aarch64, the host executable directly — optionally with
// the instruction-count plugin attached to the harness's emu_region_begin / emu_region_end markers.
// The guest's files (semihosting fopen) are relative to `cwd`. It does not interpret the program's output.
#pragma once

#include <string>

#include "emulate/insncount_plugin.h"
#include "emulate/subprocess.h"
#include "tinyopt/emulate/emu_platform.h"

namespace tinyopt::emulate {

struct EmulatorRun {
  ProcessResult process;  // the guest's stdout / stderr / exit code (a guest fault: 128 + exception number)
  InsnReport insns;       // empty unless counting was asked for (never on the host)
};

// Throws Error(kBadInput) when the run exceeds `timeout_s` seconds (a hung guest).
EmulatorRun run_on_emulator(const EmuPlatform& platform, const std::string& executable, const std::string& cwd,
                            bool count_instructions, int timeout_s = 600);

}  // namespace tinyopt::emulate
