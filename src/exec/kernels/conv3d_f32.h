// Float 3-D convolution on NCDHW tensors (ONNX Conv with three spatial dims), by direct loops. It exists so
// that every ONNX Conv runs; it is not tuned (the models tinyopt targets use 1-D and 2-D convolutions, see
// conv2d_f32.h for those), and it is not bit-exact with conv2d_f32 for a unit depth.
#pragma once

#include <array>
#include <cstdint>

#include "exec/kernels/conv2d_f32.h"

namespace tinyopt::kernels {

struct Conv3dParams {
  int64_t batch = 1;         // N
  int64_t in_channels = 1;   // C (all groups)
  int64_t out_channels = 1;  // K (all groups)
  int64_t group = 1;
  // Spatial dims in (D, H, W) order.
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};
  std::array<int64_t, 3> dilation{1, 1, 1};

  int64_t out(int i) const {
    return conv_out_size(in[static_cast<size_t>(i)], kernel[static_cast<size_t>(i)], stride[static_cast<size_t>(i)],
                         pad_begin[static_cast<size_t>(i)], pad_end[static_cast<size_t>(i)],
                         dilation[static_cast<size_t>(i)]);
  }
};

// y = epilogue(conv(x, w)).
//   x: (N, C, D, H, W)   w: (K, C/group, kd, kh, kw)   y: (N, K, OD, OH, OW)
void conv3d_f32(const Conv3dParams& p, const float* x, const float* w, const ConvEpilogue& epilogue, float* y,
                int threads);

}  // namespace tinyopt::kernels
