// The runtime/ files a generated project needs: for each kernel the model calls, its own file
// (runtime/<variant dir>/<kernel>.c), then every runtime .c file that defines a topt_* function those
// files call (params checks, shared helpers of a variant), transitively; plus the public headers of
// runtime/include (but the host-only kernel registry) and the headers beside the chosen files. Found by
// reading the sources, so a new variant folder or helper file needs no change here.
// Not here: where the files go in the generated project (the format's layout decides, project_layout.h).
#pragma once

#include <string>
#include <vector>

namespace tinyopt::codegen {

struct RuntimeFile {
  std::string path;  // relative to the runtime folder, e.g. "ref/topt_conv2d_s8__ref.c", "include/tinyopt_rt.h"
  std::string text;
};

// $TINYOPT_RUNTIME_DIR when set, else the source tree's runtime/ this binary was built from.
std::string default_runtime_dir();

// Throws Error(kBadInput) naming the folder when runtime_dir is not a runtime folder or a kernel's file is
// missing. Sorted by path.
std::vector<RuntimeFile> runtime_files_for(const std::vector<std::string>& kernels, const std::string& runtime_dir);

}  // namespace tinyopt::codegen
