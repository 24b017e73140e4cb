// The example program of a generated project: one embedded quantized sample run through
// tinyopt_model_invoke(), printing the int8 output and its argmax. Its entry point follows the format:
// `int main(void)` (make, cmake, zephyr), `void app_main(void)` (ESP-IDF), setup()/loop() in an Arduino
// sketch. Not a test harness (tests and `tinyopt emulate` bring their own drivers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/codegen/codegen.h"

namespace tinyopt::codegen {

// sample: TINYOPT_MODEL_INPUT_SIZE quantized values in the model's input order; `what` says where the
// sample came from (a comment).
std::string example_source(CodegenFormat format, const std::string& title, const std::vector<int8_t>& sample,
                           const std::string& what);

}  // namespace tinyopt::codegen
