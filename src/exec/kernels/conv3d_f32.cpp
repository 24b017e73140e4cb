// Direct-loop 3-D convolution (see conv3d_f32.h).
#include "exec/kernels/conv3d_f32.h"

#include <algorithm>

#include "exec/kernels/blas_threads.h"

namespace tinyopt::kernels {

void conv3d_f32(const Conv3dParams& p, const float* x, const float* w, const ConvEpilogue& epilogue, float* y,
                int threads) {
  const int64_t od = p.out(0), oh = p.out(1), ow = p.out(2);
  const int64_t cg = p.in_channels / p.group, kg = p.out_channels / p.group;
  const int64_t in_plane = p.in[0] * p.in[1] * p.in[2], out_plane = od * oh * ow;
  const int64_t taps = p.kernel[0] * p.kernel[1] * p.kernel[2];
  const int64_t planes = p.batch * p.out_channels;
  const int team = threads_for_work(std::max(threads, 1), planes * out_plane * cg * taps);
#pragma omp parallel for num_threads(team) schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const int64_t n = i / p.out_channels, k = i % p.out_channels, g = k / kg;
    const float* xg = x + (n * p.in_channels + g * cg) * in_plane;
    const float* wk = w + k * cg * taps;
    float* yp = y + i * out_plane;
    for (int64_t d = 0; d < od; ++d)
      for (int64_t h = 0; h < oh; ++h)
        for (int64_t c0 = 0; c0 < ow; ++c0) {
          float sum = epilogue.bias != nullptr ? epilogue.bias[k] : 0.0f;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < p.kernel[0]; ++a) {
              const int64_t id = d * p.stride[0] - p.pad_begin[0] + a * p.dilation[0];
              if (id < 0 || id >= p.in[0]) continue;
              for (int64_t b = 0; b < p.kernel[1]; ++b) {
                const int64_t ih = h * p.stride[1] - p.pad_begin[1] + b * p.dilation[1];
                if (ih < 0 || ih >= p.in[1]) continue;
                for (int64_t e = 0; e < p.kernel[2]; ++e) {
                  const int64_t iw = c0 * p.stride[2] - p.pad_begin[2] + e * p.dilation[2];
                  if (iw < 0 || iw >= p.in[2]) continue;
                  sum += wk[((c * p.kernel[0] + a) * p.kernel[1] + b) * p.kernel[2] + e] *
                         xg[c * in_plane + (id * p.in[1] + ih) * p.in[2] + iw];
                }
              }
            }
          yp[(d * oh + h) * ow + c0] = sum;
        }
    ConvEpilogue rest = epilogue;  // the bias seeded the sum
    rest.bias = nullptr;
    if (rest.scale != nullptr) {
      rest.scale += k;
      rest.shift += k;
    }
    detail::conv_epilogue_f32(rest, 1, od * oh, ow, yp, out_plane, ow, yp);
  }
}

}  // namespace tinyopt::kernels
