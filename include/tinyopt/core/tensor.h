// Tensor: a dense, contiguous, row-major (C order) n-d array with shared storage. On the float side the
// layout is NCHW as in ONNX; the integer runtime uses NHWC and the integer executor converts at the graph
// boundary (DESIGN.md section 3). A Tensor is cheap to copy (storage is shared); use clone() for a deep
// copy. It is deliberately not a view type: no arbitrary strides, no broadcasting here.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tinyopt/core/dtype.h"

namespace tinyopt {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);         // 1 for a scalar (empty shape)
std::vector<int64_t> shape_strides(const Shape& shape);  // element strides of a contiguous tensor
std::string shape_str(const Shape& shape);       // "[1,3,32,32]"

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor. Throws kBadInput when the byte size exceeds kMaxTensorBytes.
  Tensor(DType dtype, Shape shape);

  static constexpr int64_t kMaxTensorBytes = int64_t{4} << 30;  // refuse allocation bombs

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int axis) const { return shape_.at(static_cast<size_t>(axis < 0 ? axis + rank() : axis)); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const;
  bool empty() const { return storage_ == nullptr; }

  // Typed access; T must match dtype (checked, throws kInternal). For kI4 use bytes().
  template <typename T> T* data();
  template <typename T> const T* data() const;
  template <typename T> std::span<T> span() { return {data<T>(), static_cast<size_t>(numel())}; }
  template <typename T> std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  uint8_t* bytes() { return storage_ ? storage_->data() : nullptr; }
  const uint8_t* bytes() const { return storage_ ? storage_->data() : nullptr; }

  Tensor clone() const;
  // Same storage, new shape with the same element count (throws kInternal otherwise).
  Tensor reshaped(Shape shape) const;

  // Builds a float tensor from values (copied).
  static Tensor from_f32(Shape shape, std::span<const float> values);
  static Tensor from_i64(Shape shape, std::span<const int64_t> values);
  static Tensor scalar_f32(float v) { return from_f32({}, std::span<const float>(&v, 1)); }

 private:
  DType dtype_ = DType::kF32;
  Shape shape_;
  std::shared_ptr<std::vector<uint8_t>> storage_;
};

// dtype <-> C++ type mapping used by Tensor::data<T>().
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kF32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kI8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kU8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::kI16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kI32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kI64; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

namespace detail {
[[noreturn]] void throw_dtype_mismatch(DType have, DType want);
}

template <typename T> T* Tensor::data() {
  if (dtype_of<T>() != dtype_) detail::throw_dtype_mismatch(dtype_, dtype_of<T>());
  return storage_ ? reinterpret_cast<T*>(storage_->data()) : nullptr;
}
template <typename T> const T* Tensor::data() const {
  if (dtype_of<T>() != dtype_) detail::throw_dtype_mismatch(dtype_, dtype_of<T>());
  return storage_ ? reinterpret_cast<const T*>(storage_->data()) : nullptr;
}

}  // namespace tinyopt
