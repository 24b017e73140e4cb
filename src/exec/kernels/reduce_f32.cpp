// ReduceMean (see reduce_f32.h). Axes are grouped into (outer, reduced, inner) when the reduced axes are
// contiguous (the common case: spatial means); otherwise a general strided accumulation.
#include "exec/kernels/reduce_f32.h"

#include <algorithm>

namespace tinyopt::kernels {

void reduce_mean_f32(const std::vector<int64_t>& dims, const std::vector<bool>& reduce, const float* x, float* y,
                     int threads) {
  const size_t rank = dims.size();
  int64_t total = 1, out_total = 1;
  for (size_t i = 0; i < rank; ++i) {
    total *= dims[i];
    if (!reduce[i]) out_total *= dims[i];
  }
  const int64_t reduced = out_total == 0 ? 0 : total / std::max<int64_t>(out_total, 1);
  const float inv = 1.0f / static_cast<float>(reduced);  // inf for an empty reduction: NaN results, as numpy

  size_t first = rank, last = 0;  // span of reduced axes
  for (size_t i = 0; i < rank; ++i)
    if (reduce[i]) { first = std::min(first, i); last = i; }
  bool contiguous = first < rank;
  for (size_t i = first; contiguous && i <= last; ++i) contiguous = reduce[i];

  if (contiguous) {
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < first; ++i) outer *= dims[i];
    for (size_t i = last + 1; i < rank; ++i) inner *= dims[i];
    const bool parallel = threads > 1 && total >= (1 << 15);
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static) if (parallel)
    for (int64_t o = 0; o < outer; ++o) {
      float* yo = y + o * inner;
      std::fill(yo, yo + inner, 0.0f);
      const float* xo = x + o * reduced * inner;
      for (int64_t r = 0; r < reduced; ++r)
        for (int64_t i = 0; i < inner; ++i) yo[i] += xo[r * inner + i];
      for (int64_t i = 0; i < inner; ++i) yo[i] *= inv;
    }
    return;
  }
  // General case: output strides with 0 on reduced axes; walk x in order with a coordinate counter.
  std::vector<int64_t> out_stride(rank, 0), coord(rank, 0);
  int64_t s = 1;
  for (size_t i = rank; i-- > 0;) {
    if (!reduce[i]) {
      out_stride[i] = s;
      s *= dims[i];
    }
  }
  std::fill(y, y + out_total, 0.0f);
  int64_t y_index = 0;
  for (int64_t i = 0; i < total; ++i) {
    y[y_index] += x[i];
    for (size_t d = rank; d-- > 0;) {  // increment the coordinate, updating y_index incrementally
      y_index += out_stride[d];
      if (++coord[d] < dims[d]) break;
      y_index -= out_stride[d] * dims[d];
      coord[d] = 0;
    }
  }
  for (int64_t i = 0; i < out_total; ++i) y[i] *= inv;
}

}  // namespace tinyopt::kernels
