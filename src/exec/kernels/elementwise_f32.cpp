// Broadcasting binary arithmetic (see elementwise_f32.h).
#include "exec/kernels/elementwise_f32.h"

#include <algorithm>
#include <type_traits>

namespace tinyopt::kernels {
namespace {

template <typename T>
T apply(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::kAdd: return static_cast<T>(a + b);
    case BinaryOp::kSub: return static_cast<T>(a - b);
    case BinaryOp::kMul: return static_cast<T>(a * b);
    case BinaryOp::kDiv:
      if constexpr (std::is_integral_v<T>) return b == 0 ? T{0} : static_cast<T>(a / b);
      else return a / b;
  }
  return T{};
}

// y[i] = a[i*sa] op b[i*sb] for i < n with sa, sb in {0, 1}; the switch sits outside the loop so each
// case vectorises.
template <typename T, BinaryOp kOp>
void row(int64_t n, const T* a, int64_t sa, const T* b, int64_t sb, T* y) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = apply(kOp, a[i], b[i]);
  } else if (sa == 1) {
    const T bv = b[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply(kOp, a[i], bv);
  } else if (sb == 1) {
    const T av = a[0];
    for (int64_t i = 0; i < n; ++i) y[i] = apply(kOp, av, b[i]);
  } else {
    const T v = apply(kOp, a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  }
}

template <typename T, BinaryOp kOp>
void run_layout(const BroadcastLayout& l, const T* a, const T* b, T* y, int threads) {
  if (l.dims.empty()) {
    y[0] = apply(kOp, a[0], b[0]);
    return;
  }
  const size_t rank = l.dims.size();
  const int64_t inner = l.dims[rank - 1];
  const int64_t rows = l.numel / inner;
  const int64_t sa = l.a_strides[rank - 1], sb = l.b_strides[rank - 1];
  const bool parallel = threads > 1 && l.numel >= (1 << 15);
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int64_t r = 0; r < rows; ++r) {
    // Offsets of row r in a and b from its coordinates in the outer dims.
    int64_t rem = r, off_a = 0, off_b = 0;
    for (size_t d = rank - 1; d-- > 0;) {
      const int64_t coord = rem % l.dims[d];
      rem /= l.dims[d];
      off_a += coord * l.a_strides[d];
      off_b += coord * l.b_strides[d];
    }
    row<T, kOp>(inner, a + off_a, sa, b + off_b, sb, y + r * inner);
  }
}

}  // namespace

BroadcastLayout make_broadcast_layout(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> da(rank, 1), db(rank, 1);
  std::copy(a.begin(), a.end(), da.begin() + static_cast<std::ptrdiff_t>(rank - a.size()));
  std::copy(b.begin(), b.end(), db.begin() + static_cast<std::ptrdiff_t>(rank - b.size()));
  BroadcastLayout l;
  // Walk dims from the innermost outwards, tracking contiguous strides of a and b.
  int64_t stride_a = 1, stride_b = 1;
  std::vector<int64_t> dims, sa, sb;
  for (size_t i = rank; i-- > 0;) {
    const int64_t out = std::max(da[i], db[i]);
    if (da[i] == 0 || db[i] == 0) {  // empty result
      l.numel = 0;
      l.dims = {0};
      l.a_strides = {0};
      l.b_strides = {0};
      return l;
    }
    if (out == 1) continue;
    const int64_t s_a = da[i] == 1 ? 0 : stride_a, s_b = db[i] == 1 ? 0 : stride_b;
    // Merge with the previous (inner) collapsed dim when both operands keep the same pattern.
    if (!dims.empty() && (s_a == 0) == (sa.back() == 0) && (s_b == 0) == (sb.back() == 0) &&
        (s_a == 0 || s_a == sa.back() * dims.back()) && (s_b == 0 || s_b == sb.back() * dims.back())) {
      dims.back() *= out;
    } else {
      dims.push_back(out);
      sa.push_back(s_a);
      sb.push_back(s_b);
    }
    stride_a *= da[i];
    stride_b *= db[i];
    l.numel *= out;
  }
  l.dims.assign(dims.rbegin(), dims.rend());
  l.a_strides.assign(sa.rbegin(), sa.rend());
  l.b_strides.assign(sb.rbegin(), sb.rend());
  return l;
}

template <typename T>
void binary_op(BinaryOp op, const BroadcastLayout& layout, const T* a, const T* b, T* y, int threads) {
  if (layout.numel == 0) return;
  threads = std::max(threads, 1);
  switch (op) {
    case BinaryOp::kAdd: return run_layout<T, BinaryOp::kAdd>(layout, a, b, y, threads);
    case BinaryOp::kSub: return run_layout<T, BinaryOp::kSub>(layout, a, b, y, threads);
    case BinaryOp::kMul: return run_layout<T, BinaryOp::kMul>(layout, a, b, y, threads);
    case BinaryOp::kDiv: return run_layout<T, BinaryOp::kDiv>(layout, a, b, y, threads);
  }
}

template void binary_op<float>(BinaryOp, const BroadcastLayout&, const float*, const float*, float*, int);
template void binary_op<int32_t>(BinaryOp, const BroadcastLayout&, const int32_t*, const int32_t*, int32_t*, int);
template void binary_op<int64_t>(BinaryOp, const BroadcastLayout&, const int64_t*, const int64_t*, int64_t*, int);
template void binary_op<uint8_t>(BinaryOp, const BroadcastLayout&, const uint8_t*, const uint8_t*, uint8_t*, int);
template void binary_op<int8_t>(BinaryOp, const BroadcastLayout&, const int8_t*, const int8_t*, int8_t*, int);

}  // namespace tinyopt::kernels
