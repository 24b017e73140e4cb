// visit_element_type(): one switch from a DType to its C++ element type, so the loaders write a
// templated body once instead of a switch per conversion. Internal to src/data/ (a candidate for
// core/ if other modules want it). kI4 has no C++ element type (two values per byte): it is reported
// as unsupported by returning false.
#pragma once

#include <cstdint>

#include "tinyopt/core/dtype.h"

namespace tinyopt::detail {

// Calls fn(T{}) where T is the element type of `dtype`; returns false (without calling) for kI4.
template <typename Fn>
bool visit_element_type(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kF32: fn(float{}); return true;
    case DType::kI8: fn(int8_t{}); return true;
    case DType::kU8: fn(uint8_t{}); return true;
    case DType::kI16: fn(int16_t{}); return true;
    case DType::kI32: fn(int32_t{}); return true;
    case DType::kI64: fn(int64_t{}); return true;
    case DType::kBool: fn(bool{}); return true;
    case DType::kI4: return false;
  }
  return false;
}

}  // namespace tinyopt::detail
