// Float 2-D convolution on NCHW tensors, plus the pieces the training engine reuses for its backward
// pass: the output-size arithmetic, auto_pad, and im2col / col2im. A 1-D convolution is the 2-D one with
// in_h = kernel_h = 1. This is the float reference path (ONNX Conv semantics, opset 18); it is not the
// integer runtime (runtime/, NHWC) and it is not bit-exact with a naive loop (BLAS sums in its own order).
//
// Algorithm of conv2d_f32 for each image n and group g:
//   1. pointwise (1x1, stride 1, no pad): the input plane already is the GEMM's B matrix, no copy;
//      depthwise (group == C, one input channel per group): a direct loop, no GEMM;
//      otherwise im2col the group's input into `scratch` as B (C/group*kh*kw, OH*OW).
//   2. y[n, g] (K/group, OH*OW) = w[g] (K/group, C/group*kh*kw) x B via cblas_sgemm.
//   3. epilogue per output channel: add bias, clamp to [act.min, act.max] (Relu/Clip fused when the caller
//      proves it identical).
// Work is split over OpenMP threads by image when there are at least as many images as threads, otherwise
// inside the image (im2col rows, GEMM column blocks). OpenBLAS must run single-threaded meanwhile
// (blas_threads.h: ScopedBlasThreads), or the two thread pools oversubscribe the cores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace tinyopt::kernels {

// Geometry of one convolution. Pads are explicit: auto_pad is resolved by the caller (the executor uses
// core's resolve_window(), shape_inference.h).
struct Conv2dParams {
  int64_t batch = 1;         // N
  int64_t in_channels = 1;   // C (all groups)
  int64_t in_h = 1;          // H
  int64_t in_w = 1;          // W
  int64_t out_channels = 1;  // K (all groups)
  int64_t kernel_h = 1;
  int64_t kernel_w = 1;
  int64_t stride_h = 1;
  int64_t stride_w = 1;
  int64_t pad_top = 0;
  int64_t pad_left = 0;
  int64_t pad_bottom = 0;
  int64_t pad_right = 0;
  int64_t dilation_h = 1;
  int64_t dilation_w = 1;
  int64_t group = 1;  // C and K are multiples of group

  int64_t out_h() const;  // OH
  int64_t out_w() const;  // OW
  int64_t in_channels_per_group() const { return in_channels / group; }
  int64_t out_channels_per_group() const { return out_channels / group; }
  // im2col matrix of one image and one group: col_rows() x col_cols().
  int64_t col_rows() const { return in_channels_per_group() * kernel_h * kernel_w; }
  int64_t col_cols() const { return out_h() * out_w(); }
  // Weight elements: (K, C/group, kh, kw).
  int64_t weight_numel() const { return out_channels * col_rows(); }
};

// Element-wise clamp applied after the bias: identity by default, Relu = {0, +inf}, Relu6 = {0, 6}.
struct ActivationClamp {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

// Output extent of one spatial dimension: floor((in + pad_begin + pad_end - dilation*(kernel-1) - 1)
// / stride) + 1, or with ceil instead of floor when ceil_mode (pooling only). Returns a value <= 0 when the
// dilated kernel does not fit the padded input; callers turn that into an error naming the node.
int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end,
                      int64_t dilation, bool ceil_mode = false);

// True when the convolution needs no im2col: 1x1 kernel, stride 1, no padding.
bool conv2d_is_pointwise(const Conv2dParams& p);
// True when each group holds exactly one input channel (group == C); K may be a multiple of C.
bool conv2d_is_depthwise(const Conv2dParams& p);

// Lays out one image's input channels of one group as the GEMM's B matrix; zeros where the kernel
// window covers padding.
//   x:   (C/group, H, W)              the group's channels of one image
//   col: (C/group*kh*kw, OH*OW)       row index (c*kh + ky)*kw + kx, column index oy*OW + ox
void im2col_f32(const Conv2dParams& p, const float* x, float* col);

// Adjoint of im2col_f32: ADDS each column entry back to the input position it was read from (padding
// positions are dropped). dx must be initialised by the caller (usually zeroed).
//   col: (C/group*kh*kw, OH*OW)
//   dx:  (C/group, H, W)
void col2im_f32(const Conv2dParams& p, const float* col, float* dx);

// Floats of scratch conv2d_f32 needs when run with `threads` OpenMP threads (0 for pointwise and
// depthwise convolutions).
size_t conv2d_f32_scratch_floats(const Conv2dParams& p, int threads);

// Forward convolution y = act(conv(x, w) + bias).
//   x:       (N, C, H, W)
//   w:       (K, C/group, kh, kw)
//   bias:    (K) or nullptr
//   y:       (N, K, OH, OW), must not alias x
//   scratch: conv2d_f32_scratch_floats(p, threads) floats (may be nullptr when that is 0)
// threads >= 1 is the number of OpenMP threads to use.
void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                ActivationClamp act, float* scratch, int threads);

}  // namespace tinyopt::kernels
