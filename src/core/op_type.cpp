// Operator names, generated from the one list in op_type.h.
#include "tinyopt/core/op_type.h"

#include <array>

namespace tinyopt {
namespace {
constexpr std::array<std::string_view, kOpTypeCount> kOpNames = {
#define TINYOPT_X(e, s) s,
    TINYOPT_OP_TYPES(TINYOPT_X)
#undef TINYOPT_X
};
}  // namespace

std::string_view op_name(OpType op) { return kOpNames[static_cast<size_t>(op)]; }

std::optional<OpType> op_from_name(std::string_view onnx_name) {
  for (size_t i = 0; i < kOpNames.size(); ++i)
    if (kOpNames[i] == onnx_name) return static_cast<OpType>(i);
  return std::nullopt;
}

}  // namespace tinyopt
