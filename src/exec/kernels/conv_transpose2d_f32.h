// Float 2-D transposed convolution (ONNX ConvTranspose, 1-D as H = 1) on NCHW tensors: the adjoint of
// conv2d_f32, computed as col = W^T x (SGEMM) then col2im_f32, per image and group. Correct rather than
// tuned: the models tinyopt optimizes do not use it (autoencoder-style decoders may).
#pragma once

#include <cstddef>

#include "exec/kernels/conv2d_f32.h"

namespace tinyopt::kernels {

// `p` describes the forward convolution that maps y back to x: p.in_channels / in_h / in_w are y's
// (ConvTranspose output) dims, p.out_channels / out_h() / out_w() are x's (ConvTranspose input), with the
// ConvTranspose's kernel, strides, pads, dilations and group.
size_t conv_transpose2d_f32_scratch_floats(const Conv2dParams& p);

//   x:    (N, K, OH, OW)   ConvTranspose input
//   w:    (K, C/group, kh, kw)   as ONNX stores ConvTranspose weights
//   bias: (C) or nullptr
//   y:    (N, C, H, W)   ConvTranspose output
void conv_transpose2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                          float* scratch, int threads);

}  // namespace tinyopt::kernels
