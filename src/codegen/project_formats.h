// Packaging of a generated project for the ecosystems embedded engineers use: where the model and the
// runtime files go (the layout) and the build files of each format —
//   make     Makefile (the target's cross compiler and flags; MODEL_SRCS lists the model's sources)
//   cmake    CMakeLists.txt (a static library `tinyopt_model`) + cmake/toolchain.cmake for cross targets
//   esp-idf  a component (CMakeLists.txt with idf_component_register, idf_component.yml) + example/ project
//   arduino  a library (library.properties, everything under src/, examples/tinyopt_model/*.ino)
//   zephyr   a module (zephyr/module.yml, CMakeLists.txt, Kconfig) + samples/tinyopt_model/
// Not here: the C code itself (emit_model.h, emit_example.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tinyopt/codegen/codegen.h"

namespace tinyopt::codegen {

struct ProjectLayout {
  std::string model_dir;     // folder of model.h / model.c ("" = the project root, "src" for Arduino)
  std::string runtime_root;  // where runtime/<sub>/<file> goes: "runtime" (kept as is) or "src" (flattened)
  bool flatten_runtime = false;
  std::string example;       // the example program's path
  std::vector<std::string> include_dirs;

  // "ref/topt_x.c" -> "runtime/ref/topt_x.c" (or "src/topt_x.c" when flattened)
  std::string place_runtime(const std::string& runtime_path) const;
  // "model.c" -> "model.c" or "src/model.c"
  std::string place_model(const std::string& file) const;
};

ProjectLayout layout_for(CodegenFormat format);

// True when the toolchain builds bare-metal code (no hosted C library to link a program against).
bool bare_metal_toolchain(const Toolchain& toolchain);

struct BuildFileInputs {
  CodegenFormat format = CodegenFormat::kMake;
  const Target* target = nullptr;
  std::string title;                 // "<model> for <target>"
  std::vector<std::string> sources;  // model sources, placed (relative to the project root)
  ProjectLayout layout;
};

// The format's build files (path relative to the project root -> text).
std::map<std::string, std::string> build_files(const BuildFileInputs& in);

}  // namespace tinyopt::codegen
