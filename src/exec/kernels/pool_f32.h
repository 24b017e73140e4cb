// Pooling on NC(D)HW tensors: MaxPool (with optional argmax for the training engine's backward pass),
// AveragePool and GlobalAveragePool, ONNX opset 18 semantics (pads, strides, dilations, ceil_mode,
// count_include_pad; auto_pad is resolved by the caller, e.g. with core's resolve_window()).
// 1-, 2- and 3-D pooling share one code path: spatial dims are (D, H, W) and a lower-rank pool sets the
// leading ones to extent 1, kernel 1, stride 1, no padding (make_pool_params does this).
#pragma once

#include <array>
#include <cstdint>

namespace tinyopt::kernels {

struct PoolParams {
  int64_t batch = 1;     // N
  int64_t channels = 1;  // C
  // Spatial dims (D, H, W).
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};
  std::array<int64_t, 3> dilation{1, 1, 1};
  bool ceil_mode = false;
  bool count_include_pad = false;  // AveragePool only

  int64_t out(int i) const;  // output extent of spatial dim i (conv_out_size with ceil_mode)
  int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  int64_t out_plane() const { return out(0) * out(1) * out(2); }
};

// Builds params for `rank` (1..3) spatial dims given in ONNX order (e.g. {H, W} for 2-D); the vectors
// hold `rank` entries each (pads: rank begins then rank ends, as in ONNX).
PoolParams make_pool_params(int64_t batch, int64_t channels, int rank, const int64_t* in, const int64_t* kernel,
                            const int64_t* stride, const int64_t* pads, const int64_t* dilation, bool ceil_mode,
                            bool count_include_pad);

// Max over each window; padding never wins. A window that covers no input element (possible only with
// dilation or ceil_mode) gives -inf (the type's lowest value for integers) and argmax -1.
//   x:      (N, C, D, H, W)
//   y:      (N, C, OD, OH, OW)
//   argmax: (N, C, OD, OH, OW) flat index (d*H + h)*W + w of the maximum within its input plane, or nullptr
void maxpool_f32(const PoolParams& p, const float* x, float* y, int64_t* argmax, int threads);
// Same for uint8 tensors (ONNX allows MaxPool on uint8/int8).
void maxpool_u8(const PoolParams& p, const uint8_t* x, uint8_t* y, int threads);
void maxpool_i8(const PoolParams& p, const int8_t* x, int8_t* y, int threads);

// Average over each window. The divisor counts window positions inside the input, or also those in the
// explicit padding when count_include_pad (never positions added only by ceil_mode).
//   x: (N, C, D, H, W)   y: (N, C, OD, OH, OW)
void avgpool_f32(const PoolParams& p, const float* x, float* y, int threads);

// Mean of each plane.
//   x: (planes, plane_size)   y: (planes)
void global_avgpool_f32(int64_t planes, int64_t plane_size, const float* x, float* y, int threads);

}  // namespace tinyopt::kernels
