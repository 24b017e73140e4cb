// The built-in target files (data/targets/*.json), compiled into the library at build time so the CLI
// works from any folder: CMakeLists.txt writes <build>/gen/builtin_targets.cpp with one entry per file
// (name = file name without .json, text = the file's bytes), sorted by name. Not a parser: load_target
// (target.cpp) parses and validates the text.
#pragma once

#include <cstddef>

namespace tinyopt::detail {

struct BuiltinTargetFile {
  const char* name;  // "cortex-m4"
  const char* json;  // the file's text
};

extern const BuiltinTargetFile kBuiltinTargetFiles[];
extern const size_t kBuiltinTargetFileCount;

}  // namespace tinyopt::detail
