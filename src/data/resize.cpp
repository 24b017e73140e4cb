// Bilinear image resizing of a whole dataset (resize.h).
#include "tinyopt/data/resize.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

// For each output coordinate: the two source indices and the weight of the second (half-pixel centers,
// clamped at the border).
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<float> frac;
};
Taps taps(int64_t in, int64_t out) {
  Taps t;
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double src = std::max(0.0, (static_cast<double>(o) + 0.5) * scale - 0.5);
    const int64_t lo = std::min(static_cast<int64_t>(src), in - 1);
    t.lo.push_back(lo);
    t.hi.push_back(std::min(lo + 1, in - 1));
    t.frac.push_back(static_cast<float>(src - static_cast<double>(lo)));
  }
  return t;
}

}  // namespace

Dataset resize_images(const Dataset& data, int64_t height, int64_t width) {
  if (height < 1 || width < 1) throw_usage(fmt::format("image size must be at least 1x1, got {}x{}", height, width));
  if (data.x.rank() != 4)
    throw_bad_input(fmt::format("{}: resizing needs (N, C, H, W) images, got {}", data.name, shape_str(data.x.shape())));
  const int64_t n = data.x.dim(0), c = data.x.dim(1), h = data.x.dim(2), w = data.x.dim(3);
  if (h == height && w == width) return data;
  const Taps ty = taps(h, height), tx = taps(w, width);
  Dataset out = data;
  out.x = Tensor(DType::kF32, {n, c, height, width});
  const float* src = data.x.data<float>();  // (N, C, H, W)
  float* dst = out.x.data<float>();         // (N, C, height, width)
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const float* p = src + plane * h * w;
    for (int64_t y = 0; y < height; ++y) {
      const float fy = ty.frac[static_cast<size_t>(y)];
      const float* r0 = p + ty.lo[static_cast<size_t>(y)] * w;
      const float* r1 = p + ty.hi[static_cast<size_t>(y)] * w;
      for (int64_t x = 0; x < width; ++x) {
        const size_t xi = static_cast<size_t>(x);
        const float fx = tx.frac[xi];
        const float top = r0[tx.lo[xi]] + fx * (r0[tx.hi[xi]] - r0[tx.lo[xi]]);
        const float bottom = r1[tx.lo[xi]] + fx * (r1[tx.hi[xi]] - r1[tx.lo[xi]]);
        *dst++ = top + fy * (bottom - top);
      }
    }
  }
  return out;
}

}  // namespace tinyopt
