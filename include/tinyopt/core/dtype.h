// Element types of tensors. kI4 is packed two values per byte, low nibble first (docs/numerics.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tinyopt {

enum class DType : uint8_t { kF32, kI8, kU8, kI16, kI32, kI64, kI4, kBool };
inline constexpr int kDTypeCount = 8;

std::string_view dtype_name(DType t);  // "f32", "i8", ...
int dtype_bits(DType t);               // 32, 8, ..., 4 for kI4
// Bytes needed to store `count` elements (rounds up for kI4).
size_t dtype_storage_bytes(DType t, int64_t count);
bool dtype_is_integer(DType t);

}  // namespace tinyopt
