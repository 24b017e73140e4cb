// Transpose, Concat and Pad on raw bytes (see shape_ops_f32.h).
#include "exec/kernels/shape_ops_f32.h"

#include <algorithm>
#include <cstring>

namespace tinyopt::kernels {
namespace {

// Copies `n` elements of size kBytes from x with element stride `stride` to contiguous y.
template <size_t kBytes>
void gather(const uint8_t* x, int64_t stride, int64_t n, uint8_t* y) {
  if (stride == 1) {
    std::memcpy(y, x, static_cast<size_t>(n) * kBytes);
    return;
  }
  for (int64_t i = 0; i < n; ++i) std::memcpy(y + i * kBytes, x + i * stride * kBytes, kBytes);
}

void gather_any(size_t bytes, const uint8_t* x, int64_t stride, int64_t n, uint8_t* y) {
  switch (bytes) {
    case 1: return gather<1>(x, stride, n, y);
    case 2: return gather<2>(x, stride, n, y);
    case 4: return gather<4>(x, stride, n, y);
    case 8: return gather<8>(x, stride, n, y);
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(y + i * bytes, x + i * stride * static_cast<int64_t>(bytes), bytes);
  }
}

// Index into a dim of extent n for output coordinate o (pad_begin already subtracted); -1 = constant.
int64_t source_index(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return i < 0 ? 0 : n - 1;
    case PadMode::kReflect:
      if (n == 1) return 0;
      while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
      return i;
  }
  return -1;
}

}  // namespace

void transpose_any(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm, size_t elem_bytes,
                   const void* x, void* y, int threads) {
  const size_t rank = dims.size();
  std::vector<int64_t> in_stride(rank, 1);
  for (size_t i = rank; i-- > 1;) in_stride[i - 1] = in_stride[i] * dims[i];
  // Output dims and the input stride each output dim walks.
  std::vector<int64_t> out_dims(rank), stride(rank);
  int64_t total = 1;
  for (size_t j = 0; j < rank; ++j) {
    out_dims[j] = dims[static_cast<size_t>(perm[j])];
    stride[j] = in_stride[static_cast<size_t>(perm[j])];
    total *= out_dims[j];
  }
  if (total == 0) return;
  if (rank == 0) {
    std::memcpy(y, x, elem_bytes);
    return;
  }
  const int64_t inner = out_dims[rank - 1], rows = total / inner;
  const auto* xb = static_cast<const uint8_t*>(x);
  auto* yb = static_cast<uint8_t*>(y);
  const auto eb = static_cast<int64_t>(elem_bytes);
  const bool parallel = threads > 1 && total >= (1 << 16);
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static) if (parallel)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t rem = r, off = 0;
    for (size_t d = rank - 1; d-- > 0;) {
      off += (rem % out_dims[d]) * stride[d];
      rem /= out_dims[d];
    }
    gather_any(elem_bytes, xb + off * eb, stride[rank - 1], inner, yb + r * inner * eb);
  }
}

void concat_any(int64_t outer, int64_t inner, const std::vector<int64_t>& axis_sizes,
                const std::vector<const void*>& inputs, size_t elem_bytes, void* y) {
  int64_t total_axis = 0;
  for (int64_t a : axis_sizes) total_axis += a;
  const auto eb = static_cast<int64_t>(elem_bytes);
  auto* yb = static_cast<uint8_t*>(y);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t offset = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const int64_t chunk = axis_sizes[i] * inner * eb;
      std::memcpy(yb + (o * total_axis * inner) * eb + offset, static_cast<const uint8_t*>(inputs[i]) + o * chunk,
                  static_cast<size_t>(chunk));
      offset += chunk;
    }
  }
}

void pad_any(const std::vector<int64_t>& dims, const std::vector<int64_t>& pad_begin,
             const std::vector<int64_t>& pad_end, PadMode mode, const void* value, size_t elem_bytes,
             const void* x, void* y) {
  const size_t rank = dims.size();
  const auto eb = static_cast<int64_t>(elem_bytes);
  auto* yb = static_cast<uint8_t*>(y);
  const auto* xb = static_cast<const uint8_t*>(x);
  if (rank == 0) {
    std::memcpy(y, x, elem_bytes);
    return;
  }
  std::vector<int64_t> out(rank), in_stride(rank, 1);
  int64_t total = 1;
  for (size_t i = 0; i < rank; ++i) {
    out[i] = dims[i] + pad_begin[i] + pad_end[i];
    total *= out[i];
  }
  for (size_t i = rank; i-- > 1;) in_stride[i - 1] = in_stride[i] * dims[i];
  if (total == 0) return;
  const int64_t inner = out[rank - 1], rows = total / inner;
  const auto* val = static_cast<const uint8_t*>(value);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* yr = yb + r * inner * eb;
    // Source row offset, or constant fill when any outer coordinate falls in a constant pad.
    int64_t rem = r, off = 0;
    bool constant_row = false;
    for (size_t d = rank - 1; d-- > 0;) {
      const int64_t src = source_index(rem % out[d] - pad_begin[d], dims[d], mode);
      rem /= out[d];
      if (src < 0) constant_row = true;
      else off += src * in_stride[d];
    }
    const int64_t n = dims[rank - 1];
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t src = constant_row ? -1 : source_index(i - pad_begin[rank - 1], n, mode);
      std::memcpy(yr + i * eb, src < 0 ? val : xb + (off + src) * eb, elem_bytes);
    }
  }
}

}  // namespace tinyopt::kernels
