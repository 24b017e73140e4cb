// The float executor's per-op table (STYLE.md 7): for every OpType, its runner or an explicit
// "unsupported" entry, and whether its output is a view of its input. op_table.cpp static_asserts that
// the table covers kOpTypeCount entries in enum order, so a new op cannot silently miss one.
#pragma once

#include "exec/op_context.h"
#include "tinyopt/core/op_type.h"

namespace tinyopt::exec {

using OpRunner = void (*)(OpContext&);

struct OpKernel {
  OpType op;
  OpRunner run;         // nullptr: the float executor does not support this op
  bool output_is_view;  // output 0 shares input 0's storage (Reshape, Flatten, ...): no copy, no buffer
};

const OpKernel& op_kernel(OpType op);

}  // namespace tinyopt::exec
