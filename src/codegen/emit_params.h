// The C spelling of one step's runtime parameters: the per-channel arrays its params struct points to
// and the `static const <params type> <prefix>_params` initializer, written field by field with C99
// designated initializers from the very struct the runtime takes (one emitter per params type, so a
// renamed or reordered field is a compile error in the generated code, never a silent swap).
// Not here: the kernel call itself (emit_model.cpp).
#pragma once

#include <string>

#include "codegen/c_writer.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt::codegen {

struct EmittedParams {
  std::string name;   // "<prefix>_params", the struct to pass by address
  int64_t bytes = 0;  // flash of the struct and the arrays it points to (approximate: no padding)
};

EmittedParams emit_step_params(CWriter& w, const IntegerStep& step, const std::string& prefix);

}  // namespace tinyopt::codegen
