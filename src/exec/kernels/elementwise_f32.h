// Binary arithmetic with numpy multidirectional broadcasting (ONNX Add, Sub, Mul, Div) on contiguous
// row-major tensors. The broadcast is described once by a BroadcastLayout whose dims are collapsed (runs
// of dims with the same broadcast pattern merged, size-1 output dims dropped), so the common cases (same
// shape, scalar, per-channel bias (1,C,1,1)) become one or two loops. Shapes are assumed compatible: the
// executor has checked them with core shape inference. Element types: float and the integer types ONNX
// conformance uses; integer Div truncates toward zero and gives 0 for a zero divisor (ONNX leaves that
// undefined; we must not trap).
#pragma once

#include <cstdint>
#include <vector>

namespace tinyopt::kernels {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

struct BroadcastLayout {
  std::vector<int64_t> dims;       // collapsed output dims (empty for a one-element result)
  std::vector<int64_t> a_strides;  // element strides of a per collapsed dim, 0 where a is broadcast
  std::vector<int64_t> b_strides;
  int64_t numel = 1;               // output elements
};

// a and b are the operand shapes; their broadcast is the output shape.
BroadcastLayout make_broadcast_layout(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

//   a: shape a, b: shape b (as given to make_broadcast_layout)   y: (broadcast shape); y may alias a or b
//   when it has the same element count.
template <typename T>
void binary_op(BinaryOp op, const BroadcastLayout& layout, const T* a, const T* b, T* y, int threads);

extern template void binary_op<float>(BinaryOp, const BroadcastLayout&, const float*, const float*, float*, int);
extern template void binary_op<int32_t>(BinaryOp, const BroadcastLayout&, const int32_t*, const int32_t*, int32_t*,
                                        int);
extern template void binary_op<int64_t>(BinaryOp, const BroadcastLayout&, const int64_t*, const int64_t*, int64_t*,
                                        int);
extern template void binary_op<uint8_t>(BinaryOp, const BroadcastLayout&, const uint8_t*, const uint8_t*, uint8_t*,
                                        int);
extern template void binary_op<int8_t>(BinaryOp, const BroadcastLayout&, const int8_t*, const int8_t*, int8_t*, int);

}  // namespace tinyopt::kernels
