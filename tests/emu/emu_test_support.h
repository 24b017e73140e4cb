// Shared by the emu tests: skipping with a clear message when a platform's cross tools are missing.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tinyopt/emulate/emu_platform.h"

namespace tinyopt::emu_test {

// The platform's missing tools as a skip message ("" when all are installed).
inline std::string missing_message(const emulate::EmuPlatform& p) {
  std::string tools;
  for (const std::string& t : emulate::missing_tools(p)) tools += (tools.empty() ? "" : ", ") + t;
  return tools.empty() ? "" : p.name + ": " + tools + " not installed (scripts/install-deps.sh installs it)";
}

}  // namespace tinyopt::emu_test

// Skips the test when the platform cannot build or run programs here.
#define EMU_SKIP_IF_MISSING(platform)                                                        \
  do {                                                                                       \
    const std::string emu_missing_ = ::tinyopt::emu_test::missing_message(platform);         \
    if (!emu_missing_.empty()) GTEST_SKIP() << emu_missing_;                                 \
  } while (0)
