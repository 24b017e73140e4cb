// BatchNormalization kernels (see batchnorm_f32.h).
#include "exec/kernels/batchnorm_f32.h"

#include <algorithm>
#include <cmath>

namespace tinyopt::kernels {

void batchnorm_f32(int64_t batch, int64_t channels, int64_t plane, const float* x, const float* scale,
                   const float* bias, const float* mean, const float* var, float epsilon, float* y, int threads) {
  const bool parallel = threads > 1 && batch * channels * plane >= (1 << 15);
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static) if (parallel)
  for (int64_t nc = 0; nc < batch * channels; ++nc) {
    const int64_t c = nc % channels;
    const float inv_std = 1.0f / std::sqrt(var[c] + epsilon);
    const float a = scale[c] * inv_std;
    const float b = bias[c] - mean[c] * a;
    const float* xp = x + nc * plane;
    float* yp = y + nc * plane;
    for (int64_t i = 0; i < plane; ++i) yp[i] = xp[i] * a + b;
  }
}

void channel_moments_f32(int64_t batch, int64_t channels, int64_t plane, const float* x, float* mean, float* var) {
  const double count = static_cast<double>(batch * plane);
  for (int64_t c = 0; c < channels; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t i = 0; i < plane; ++i) sum += x[(n * channels + c) * plane + i];
    const double m = count > 0 ? sum / count : 0.0;
    double sq = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t i = 0; i < plane; ++i) {
        const double d = x[(n * channels + c) * plane + i] - m;
        sq += d * d;
      }
    mean[c] = static_cast<float>(m);
    var[c] = static_cast<float>(count > 0 ? sq / count : 0.0);
  }
}

}  // namespace tinyopt::kernels
