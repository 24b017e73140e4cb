// Building a C program for an emulated platform: compile the given sources plus the harness
// (firmware/harness: emu_harness.c everywhere, startup.c and the board's linker script on Cortex-M) with
// the platform's compiler, then link an executable and a linker map. Objects keep their source's base
// name, so per-object sizes (arm-none-eabi-size) can be attributed. It is not a build system: every call
// compiles everything, in one compiler invocation.
#pragma once

#include <string>
#include <vector>

#include "tinyopt/emulate/emu_platform.h"

namespace tinyopt::emulate {

struct ProgramSpec {
  std::vector<std::string> sources;       // C files; base names must be unique
  std::vector<std::string> include_dirs;  // -I (the harness dir is added)
  std::vector<std::string> defines;       // -D, e.g. "EMU_CASES=12"
  std::vector<std::string> extra_cflags;  // e.g. -Wall -Wextra -Werror for generated code
  std::string work_dir;                   // objects, the executable and the map go here
  std::string name = "prog";              // -> <work_dir>/<name>.elf and <name>.map
};

struct BuiltProgram {
  std::string executable;            // absolute path
  std::string map;                   // linker map ("" on the host)
  std::vector<std::string> objects;  // one per source, same order as ProgramSpec::sources
};

// Throws Error(kBadInput) with the compiler's diagnostics (first lines) when compiling or linking fails.
BuiltProgram build_program(const EmuPlatform& platform, const ProgramSpec& spec);

// The optimisation and floating-point flags every build uses (host and devices alike).
const std::vector<std::string>& common_cflags();

}  // namespace tinyopt::emulate
