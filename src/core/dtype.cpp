// Element-type facts used by Tensor storage and by the cost/size accounting.
#include "tinyopt/core/dtype.h"

namespace tinyopt {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kI8: return "i8";
    case DType::kU8: return "u8";
    case DType::kI16: return "i16";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kI4: return "i4";
    case DType::kBool: return "bool";
  }
  return "?";
}

int dtype_bits(DType t) {
  switch (t) {
    case DType::kF32: case DType::kI32: return 32;
    case DType::kI8: case DType::kU8: case DType::kBool: return 8;
    case DType::kI16: return 16;
    case DType::kI64: return 64;
    case DType::kI4: return 4;
  }
  return 0;
}

size_t dtype_storage_bytes(DType t, int64_t count) {
  return static_cast<size_t>((count * dtype_bits(t) + 7) / 8);
}

bool dtype_is_integer(DType t) { return t != DType::kF32 && t != DType::kBool; }

}  // namespace tinyopt
