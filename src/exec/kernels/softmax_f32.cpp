// Softmax along one axis (see softmax_f32.h).
#include "exec/kernels/softmax_f32.h"

#include <algorithm>
#include <cmath>

namespace tinyopt::kernels {

void softmax_f32(int64_t outer, int64_t axis_size, int64_t inner, const float* x, float* y, int threads) {
  const bool parallel = threads > 1 && outer * axis_size * inner >= (1 << 14);
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static) if (parallel)
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* xs = x + o * axis_size * inner + i;
      float* ys = y + o * axis_size * inner + i;
      float max = -INFINITY;
      for (int64_t a = 0; a < axis_size; ++a) max = std::max(max, xs[a * inner]);
      float sum = 0.0f;
      for (int64_t a = 0; a < axis_size; ++a) {
        const float e = std::exp(xs[a * inner] - max);
        ys[a * inner] = e;
        sum += e;
      }
      const float inv = 1.0f / sum;
      for (int64_t a = 0; a < axis_size; ++a) ys[a * inner] *= inv;
    }
  }
}

}  // namespace tinyopt::kernels
