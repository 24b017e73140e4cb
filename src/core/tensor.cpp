// Tensor storage and shape arithmetic. Storage is a shared byte vector (16-byte aligned by operator new
// on the platforms we build for, enough for float and int64 access).
#include "tinyopt/core/tensor.h"

#include <cstring>
#include <limits>

#include "tinyopt/core/error.h"

namespace tinyopt {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw_bad_input("shape " + shape_str(shape) + " has a negative or unknown dimension");
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw_bad_input("shape " + shape_str(shape) + " is too large");
    n *= d;
  }
  return n;
}

std::vector<int64_t> shape_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    strides[static_cast<size_t>(i)] = strides[static_cast<size_t>(i) + 1] * shape[static_cast<size_t>(i) + 1];
  return strides;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  const int64_t n = shape_numel(shape_);
  if (n > kMaxTensorBytes * 8 / dtype_bits(dtype_) ||
      static_cast<int64_t>(dtype_storage_bytes(dtype_, n)) > kMaxTensorBytes)
    throw_bad_input("tensor of shape " + shape_str(shape_) + " exceeds the " +
                    std::to_string(kMaxTensorBytes >> 30) + " GiB limit per tensor");
  storage_ = std::make_shared<std::vector<uint8_t>>(dtype_storage_bytes(dtype_, n), 0);
}

size_t Tensor::nbytes() const { return storage_ ? storage_->size() : 0; }

Tensor Tensor::clone() const {
  Tensor t = *this;
  if (storage_) t.storage_ = std::make_shared<std::vector<uint8_t>>(*storage_);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw_internal("reshape " + shape_str(shape_) + " -> " + shape_str(shape) + " changes the element count");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::from_f32(Shape shape, std::span<const float> values) {
  Tensor t(DType::kF32, std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw_internal("from_f32: " + std::to_string(values.size()) + " values for shape " + shape_str(t.shape()));
  if (!values.empty()) std::memcpy(t.bytes(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from_i64(Shape shape, std::span<const int64_t> values) {
  Tensor t(DType::kI64, std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw_internal("from_i64: " + std::to_string(values.size()) + " values for shape " + shape_str(t.shape()));
  if (!values.empty()) std::memcpy(t.bytes(), values.data(), values.size() * sizeof(int64_t));
  return t;
}

namespace detail {
void throw_dtype_mismatch(DType have, DType want) {
  throw_internal("tensor holds " + std::string(dtype_name(have)) + ", accessed as " +
                 std::string(dtype_name(want)));
}
}  // namespace detail

}  // namespace tinyopt
