// Batch augmentation (see augment.h). Per image, in this order: draw the crop offsets (row, then
// column, each uniform in [0, 2 * pad]) when cropping, then the flip coin when flipping; the order is
// part of the determinism contract.
#include "tinyopt/data/augment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "data/random_index.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

// out[y][x] = in[y + dy][x + dx], zero outside the input. `in` and `out` are H x W planes.
void shift_plane(const float* in, float* out, int64_t h, int64_t w, int64_t dy, int64_t dx) {
  for (int64_t y = 0; y < h; ++y) {
    float* row = out + y * w;
    int64_t sy = y + dy;
    if (sy < 0 || sy >= h) {
      std::fill(row, row + w, 0.0f);
      continue;
    }
    int64_t x0 = std::max<int64_t>(0, -dx), x1 = std::min<int64_t>(w, w - dx);  // columns with a source
    std::fill(row, row + std::min(x0, w), 0.0f);
    if (x1 > x0) std::memcpy(row + x0, in + sy * w + x0 + dx, static_cast<size_t>(x1 - x0) * sizeof(float));
    if (x1 < w) std::fill(row + std::max<int64_t>(x1, 0), row + w, 0.0f);
  }
}

}  // namespace

BatchAugmenter::BatchAugmenter(AugmentOptions options, uint64_t seed) : options_(options), rng_(seed) {
  if (options.pad < 0) throw_usage(fmt::format("crop padding must be >= 0, got {}", options.pad));
}

void BatchAugmenter::apply(Tensor& batch) {
  if (batch.dtype() != DType::kF32 || batch.rank() != 4) {
    throw_bad_input(fmt::format("augmentation needs a float32 (N, C, H, W) batch, got {} {}", dtype_name(batch.dtype()),
                                shape_str(batch.shape())));
  }
  int64_t n = batch.dim(0), c = batch.dim(1), h = batch.dim(2), w = batch.dim(3);
  if (plane_.size() < static_cast<size_t>(h * w)) plane_.resize(static_cast<size_t>(h * w));
  float* data = batch.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t dy = 0, dx = 0;
    if (options_.pad > 0) {
      uint64_t span = 2 * static_cast<uint64_t>(options_.pad) + 1;
      dy = static_cast<int64_t>(detail::uniform_below(rng_, span)) - options_.pad;
      dx = static_cast<int64_t>(detail::uniform_below(rng_, span)) - options_.pad;
    }
    bool flip = options_.horizontal_flip && detail::uniform_below(rng_, 2) == 1;
    for (int64_t ch = 0; ch < c; ++ch) {
      float* p = data + (i * c + ch) * h * w;
      if (dy != 0 || dx != 0) {
        std::memcpy(plane_.data(), p, static_cast<size_t>(h * w) * sizeof(float));
        shift_plane(plane_.data(), p, h, w, dy, dx);
      }
      if (flip) {
        for (int64_t y = 0; y < h; ++y) std::reverse(p + y * w, p + (y + 1) * w);
      }
    }
  }
}

}  // namespace tinyopt
