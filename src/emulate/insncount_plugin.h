// The instruction-count qemu plugin (tools/qemu-insncount/insncount.c), built on first use against the
// qemu-plugin.h that scripts/get-qemu-plugin-h.sh installs, and cached per (plugin source, header) pair.
// It is not shipped prebuilt: the header is GPL and must match the installed QEMU's plugin API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tinyopt::emulate {

// The directory holding qemu-plugin.h: $TINYOPT_QEMU_PLUGIN_H_DIR, else /usr/local/include/tinyopt-qemu.
// "" when the header is not there.
std::string qemu_plugin_header_dir();

// Path of the built plugin (.so). Throws Error(kBadInput) saying to run scripts/get-qemu-plugin-h.sh when
// the header is missing, or with the compiler's message when the build fails.
std::string insncount_plugin();

// One region of the plugin's report (see insncount.c), in the order the regions closed.
struct InsnRegion {
  int depth = 0;  // 0 = outermost
  uint64_t instructions = 0;
};

struct InsnReport {
  std::vector<InsnRegion> regions;
  uint64_t total = 0;
};

// Parses the plugin's output file. Throws Error(kInternal) on a malformed line.
InsnReport parse_insncount_report(const std::string& text);

}  // namespace tinyopt::emulate
