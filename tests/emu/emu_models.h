// Quantized models the emu tests share, each made once per test binary through the CLI (so the tests run
// exactly what a user runs): the shipped Fashion-MNIST teacher quantized int8, and any float model
// quantized the same way.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "support/test_support.h"

namespace tinyopt::emu_test {

// `tinyopt quantize FLOAT --data fashion-mnist --calib 100 --limit 100 EXTRA -o <tmp>/NAME`, once per
// (float model, name); the path of the result ("" after a failure, which is reported).
inline std::string quantized(const std::string& float_model, const std::string& name, const std::string& extra = "") {
  static testing::TempDir dir;
  static std::map<std::string, std::string> made;
  const std::string key = float_model + "|" + name;
  if (const auto it = made.find(key); it != made.end()) return it->second;
  const std::string out = dir.file(name);
  const auto r = testing::run_cli("quantize '" + float_model + "' --data fashion-mnist --calib 100 --limit 100 " +
                                  extra + " -o '" + out + "'");
  if (r.exit_code != 0) ADD_FAILURE() << r.err;
  return made[key] = r.exit_code == 0 ? out : "";
}

inline std::string teacher_path() { return testing::source_dir() + "/models/fmnist-cnn.onnx"; }

// The teacher, int8 weights and activations.
inline std::string quantized_teacher() { return quantized(teacher_path(), "fmnist-cnn.int8.onnx"); }

}  // namespace tinyopt::emu_test
