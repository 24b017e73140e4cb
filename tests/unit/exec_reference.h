// Direct-loop reference implementations shared by the exec_* tests: written for obviousness (double
// accumulation, no blocking), never for speed, and independent of src/exec/kernels/ (they only use the
// params structs to name geometry).
#pragma once

#include <algorithm>
#include <vector>

#include "exec/kernels/conv2d_f32.h"

namespace tinyopt::testing {

using kernels::Conv2dParams;

// Direct convolution: the independent reference.
inline std::vector<float> naive_conv(const Conv2dParams& p, const std::vector<float>& x, const std::vector<float>& w,
                              const std::vector<float>& bias, kernels::ActivationClamp act) {
  const int64_t oh = p.out_h(), ow = p.out_w(), cg = p.in_channels / p.group, kg = p.out_channels / p.group;
  std::vector<float> y(static_cast<size_t>(p.batch * p.out_channels * oh * ow));
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double sum = bias.empty() ? 0.0 : bias[static_cast<size_t>(k)];
          const int64_t g = k / kg;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ky = 0; ky < p.kernel_h; ++ky)
              for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
                const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
                const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
                if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
                const float xv = x[static_cast<size_t>(((n * p.in_channels + g * cg + c) * p.in_h + iy) * p.in_w + ix)];
                const float wv = w[static_cast<size_t>(((k * cg + c) * p.kernel_h + ky) * p.kernel_w + kx)];
                sum += static_cast<double>(xv) * wv;
              }
          const float v = std::min(std::max(static_cast<float>(sum), act.min), act.max);
          y[static_cast<size_t>(((n * p.out_channels + k) * oh + oy) * ow + ox)] = v;
        }
  return y;
}

}  // namespace tinyopt::testing
