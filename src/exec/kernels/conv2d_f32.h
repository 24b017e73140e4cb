// Float 2-D convolution on NCHW tensors, plus the pieces the training engine reuses for its backward
// pass: the output-size arithmetic and im2col / col2im. A 1-D convolution is the 2-D one with
// in_h = kernel_h = 1. This is the float reference path (ONNX Conv semantics, opset 18); it is not the
// integer runtime (runtime/, NHWC) and it is not bit-exact with a naive loop (GEMMs sum in their own order).
//
// Variants (one file each, same signature, conv2d_f32() picks one; tests check each against direct loops):
//   depthwise (group == C):  a direct loop over zero-padded phase planes of each input plane, no GEMM
//                            (depthwise_conv2d_f32.cpp, for every GEMM variant; a channel-last variant
//                            was tried and lost to it on every MobileNet / DS-CNN layer shape);
//   conv2d_f32__blas:        im2col (none for 1x1 stride 1) + OpenBLAS SGEMM, any x86-64;
//   conv2d_f32__avx512:      AVX-512 row-pointer SGEMM; stride-1 convolutions read shifted views of a
//                            zero-padded copy of the input instead of an im2col buffer.
// Each computes y[n, g] (K/group, OH*OW) = w[g] (K/group, C/group*kh*kw) x B per image and group, then an
// epilogue per output channel: y = clamp((acc + bias) * scale + shift) (ConvEpilogue: the executor folds a
// following BatchNormalization / Relu / Clip in here only when that is bit-identical to running them).
// Work is split over OpenMP threads by image when there are at least as many images as threads, otherwise
// inside the image (GEMM column blocks). OpenBLAS must run single-threaded meanwhile (blas_threads.h:
// set_blas_single_threaded or ScopedBlasThreads), or the two thread pools oversubscribe the cores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "exec/kernels/activation_f32.h"

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

// Per-output-channel epilogue: y = clamp((acc + bias[k]) * scale[k] + shift[k]); null pointers skip a step.
// scale/shift are a BatchNormalization folded by batchnorm_fold_f32 (batchnorm_f32.h), which computes the
// same floats as the BatchNormalization kernel, so fusing it is bit-identical.
struct ConvEpilogue {
  const float* bias = nullptr;   // (K)
  const float* scale = nullptr;  // (K)
  const float* shift = nullptr;  // (K), only with scale
  ActivationClamp clamp;
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

// Floats of scratch conv2d_f32 needs when run with `threads` OpenMP threads (may be 0).
size_t conv2d_f32_scratch_floats(const Conv2dParams& p, int threads);

// Weights pre-arranged for the GEMM variant conv2d_f32 picks (0 floats when it needs none). Callers that
// run the same weights many times (the executor) pack once and pass the result as packed_w.
size_t conv2d_f32_packed_weight_floats(const Conv2dParams& p);
void conv2d_f32_pack_weights(const Conv2dParams& p, const float* w, float* packed);

// Forward convolution y = epilogue(conv(x, w)).
//   x:        (N, C, H, W)
//   w:        (K, C/group, kh, kw)
//   packed_w: conv2d_f32_pack_weights(p, w) or nullptr (then packed per call, into scratch)
//   y:        (N, K, OH, OW), must not alias x
//   scratch:  conv2d_f32_scratch_floats(p, threads) floats (may be nullptr when that is 0)
// threads >= 1 is the number of OpenMP threads to use.
void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* packed_w,
                const ConvEpilogue& epilogue, float* y, float* scratch, int threads);
// Convenience form: bias (K) or nullptr, then the clamp.
void conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const float* bias, float* y,
                ActivationClamp act, float* scratch, int threads);

// The variants behind conv2d_f32, with their scratch sizes (for tests and benchmarks). The GEMM variants
// do not handle depthwise convolutions (conv2d_f32 sends those to depthwise_conv2d_f32, which handles
// nothing else); __avx512 requires sgemm_rows_avx512_supported() and __blas ignores packed_w.
size_t conv2d_f32__blas_scratch_floats(const Conv2dParams& p, int threads);
void conv2d_f32__blas(const Conv2dParams& p, const float* x, const float* w, const float* packed_w,
                      const ConvEpilogue& epilogue, float* y, float* scratch, int threads);
size_t conv2d_f32__avx512_scratch_floats(const Conv2dParams& p, int threads);
size_t depthwise_conv2d_f32_scratch_floats(const Conv2dParams& p, int threads);
void depthwise_conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const ConvEpilogue& epilogue,
                          float* y, float* scratch, int threads);
void conv2d_f32__avx512(const Conv2dParams& p, const float* x, const float* w, const float* packed_w,
                        const ConvEpilogue& epilogue, float* y, float* scratch, int threads);

namespace detail {
// Applies the epilogue to `channels` output planes: y[k, oy*OW + ox] = f(src[k*src_channel_stride +
// oy*src_row_stride + ox]) for oy < OH, ox < OW. src may equal y when the strides are the dense ones.
void conv_epilogue_f32(const ConvEpilogue& ep, int64_t channels, int64_t oh, int64_t ow, const float* src,
                       int64_t src_channel_stride, int64_t src_row_stride, float* y);
// Number of workers (threads with their own buffers) a variant uses: one per thread when the batch covers
// the threads, else 1 (threads then share each image's GEMM).
int conv_workers(const Conv2dParams& p, int threads);
}  // namespace detail

}  // namespace tinyopt::kernels
