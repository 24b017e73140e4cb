// Internal to src/passes/quantize/: walks a dataset's samples in order, batch by batch, for the calibration, bias-correction and SQNR runs of the float executor.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tinyopt/data/dataset.h"

namespace tinyopt::quant::detail {

// Calls fn(x, done) for each batch x of `data` in order (leading dim <= batch, the last one partial);
// done counts samples so far. x is reused from batch to batch (BatchIterator), so fn must not keep it.
template <typename Fn>
void for_each_batch(const Dataset& data, int64_t batch, Fn&& fn) {
  BatchIterator batches(data, std::max<int64_t>(batch, 1), /*shuffle=*/false, /*seed=*/0);
  Tensor x;
  std::vector<int32_t> y;
  int64_t done = 0;
  while (batches.next(x, y)) {
    done += x.dim(0);
    fn(x, done);
  }
}

}  // namespace tinyopt::quant::detail
