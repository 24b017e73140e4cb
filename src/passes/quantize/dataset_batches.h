// Internal to src/passes/quantize/: walks a dataset's samples in contiguous batches (copied into one
// tensor per batch), for the calibration, bias-correction and SQNR runs of the float executor.
#pragma once

#include <algorithm>
#include <cstring>

#include "tinyopt/data/dataset.h"

namespace tinyopt::quant::detail {

// Calls fn(x, done) for each batch x of `data` (leading dim <= batch); done counts samples so far.
template <typename Fn>
void for_each_batch(const Dataset& data, int64_t batch, Fn&& fn) {
  const int64_t n = data.size();
  if (n == 0) return;
  const int64_t sample = data.x.numel() / n;
  batch = std::max<int64_t>(batch, 1);
  for (int64_t off = 0; off < n; off += batch) {
    const int64_t b = std::min(batch, n - off);
    Shape shape = data.x.shape();
    shape[0] = b;
    Tensor x(DType::kF32, shape);
    std::memcpy(x.data<float>(), data.x.data<float>() + off * sample, static_cast<size_t>(b * sample) * sizeof(float));
    fn(x, off + b);
  }
}

}  // namespace tinyopt::quant::detail
