// Depthwise convolution (group == C, K a multiple of C) for conv2d_f32: no GEMM, one output plane at a time.
// The plane's input is first rearranged into zero-padded phase planes: phase (a, b) holds the padded input
// at rows i*sh + a and columns j*sw + b, so tap (ky, kx) reads phase ((ky*dh) % sh, (kx*dw) % sw) shifted by
// ((ky*dh) / sh, (kx*dw) / sw), and output (r, c) of every tap lies at the same flat index r*Wq + c. The
// whole plane is then computed as OH*Wq contiguous columns (for stride 1 the one phase is just the padded
// input): z[j] = bias + sum over taps of w * view_tap[j], all taps of 32 outputs summed in registers, long
// vector runs even for narrow images. The epilogue keeps the OW real columns of each row.
// See conv2d_f32.h for the contract; the direct-loop tests cover strides, dilations and pads.
#include <algorithm>
#include <array>
#include <cstring>

#include <omp.h>

#include "exec/kernels/blas_threads.h"
#include "exec/kernels/conv2d_f32.h"
#include "exec/kernels/vec8.h"

namespace tinyopt::kernels {
namespace {

constexpr int64_t kSlack = 32;  // blocks read and write up to this many floats past the end

constexpr int64_t kMaxTaps = 64;    // kernels with more taps take the per-tap loop in plane()
constexpr int64_t kMaxPhases = 16;  // strides with more phases recompute their copy ranges per plane

// Where phase (a, b) gets its input: rows i in [i_lo, i_hi) and columns j in [j_lo, j_hi) hold input
// (row i*sh + first_row, column j*sw + first_col); everything else is padding.
struct PhaseCopy {
  int64_t offset;  // of the phase plane in the buffer
  int64_t i_lo, i_hi, first_row;
  int64_t j_lo, j_hi, first_col;
};

struct DwPlan {
  int64_t hq, wq;        // extent of each phase plane
  int64_t phases;        // sh * sw
  int64_t cols;          // computed columns: OH * Wq
  int64_t taps;          // kh * kw
  size_t input_floats;   // per worker: phase planes + slack
  size_t result_floats;  // per worker: OH * Wq + slack
  // Computed once per call (divisions are not cheap next to a 6x6 plane).
  std::array<int64_t, kMaxTaps> tap_offset;   // view of tap q: buffer + tap_offset[q] (taps <= kMaxTaps)
  std::array<PhaseCopy, kMaxPhases> copies;   // phases <= kMaxPhases
};

// First index i >= 0 with i*step + first >= 0, and one past the last with i*step + first < extent, within
// [0, limit].
void index_range(int64_t first, int64_t step, int64_t extent, int64_t limit, int64_t* lo, int64_t* hi) {
  *lo = std::min(limit, first >= 0 ? int64_t{0} : (-first + step - 1) / step);
  *hi = std::clamp<int64_t>(extent - 1 - first < 0 ? 0 : (extent - 1 - first) / step + 1, *lo, limit);
}

PhaseCopy phase_copy(const Conv2dParams& p, const DwPlan& d, int64_t a, int64_t b) {
  PhaseCopy c{};
  c.offset = (a * p.stride_w + b) * d.hq * d.wq;
  c.first_row = a - p.pad_top;
  c.first_col = b - p.pad_left;
  index_range(c.first_row, p.stride_h, p.in_h, d.hq, &c.i_lo, &c.i_hi);
  index_range(c.first_col, p.stride_w, p.in_w, d.wq, &c.j_lo, &c.j_hi);
  return c;
}

DwPlan dw_plan(const Conv2dParams& p) {
  DwPlan d{};
  d.hq = p.out_h() + (p.kernel_h - 1) * p.dilation_h / p.stride_h;
  d.wq = p.out_w() + (p.kernel_w - 1) * p.dilation_w / p.stride_w;
  d.phases = p.stride_h * p.stride_w;
  d.cols = p.out_h() * d.wq;
  d.taps = p.kernel_h * p.kernel_w;
  // The last tap's view runs up to its column offset past its phase plane (into columns the epilogue
  // drops), and blocks of 32 up to kSlack past the computed columns.
  d.input_floats = static_cast<size_t>(d.phases * d.hq * d.wq + d.wq + kSlack);
  d.result_floats = static_cast<size_t>(d.cols + kSlack);
  for (int64_t ky = 0; ky < p.kernel_h && d.taps <= kMaxTaps; ++ky)
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const int64_t row = ky * p.dilation_h, col = kx * p.dilation_w;
      d.tap_offset[static_cast<size_t>(ky * p.kernel_w + kx)] =
          ((row % p.stride_h) * p.stride_w + col % p.stride_w) * d.hq * d.wq + (row / p.stride_h) * d.wq +
          col / p.stride_w;
    }
  for (int64_t a = 0; a < p.stride_h && d.phases <= kMaxPhases; ++a)
    for (int64_t b = 0; b < p.stride_w; ++b) d.copies[static_cast<size_t>(a * p.stride_w + b)] = phase_copy(p, d, a, b);
  return d;
}

// Phase planes of the input plane x (H, W): phase (a, b) (Hq, Wq) holds the zero-padded input at
// (i*sh + a - pad_top, j*sw + b - pad_left). Only the positions that hold input are written: every plane of
// a call writes the same positions, so the zeros (padding and slack), written once per call by the caller,
// stay. Plain loops, not memcpy calls: rows are often a handful of floats.
void copy_phases(const Conv2dParams& p, const DwPlan& d, const float* x, float* buf) {
  const int64_t sh = p.stride_h, sw = p.stride_w;
  for (int64_t ph = 0; ph < d.phases; ++ph) {
    const PhaseCopy c = d.phases <= kMaxPhases ? d.copies[static_cast<size_t>(ph)] : phase_copy(p, d, ph / sw, ph % sw);
    for (int64_t i = c.i_lo; i < c.i_hi; ++i) {
      float* out = buf + c.offset + i * d.wq;
      const float* in = x + (i * sh + c.first_row) * p.in_w + c.first_col;
      if (sw == 1) {
#pragma omp simd
        for (int64_t j = c.j_lo; j < c.j_hi; ++j) out[j] = in[j];
      } else {
#pragma omp simd
        for (int64_t j = c.j_lo; j < c.j_hi; ++j) out[j] = in[j * sw];
      }
    }
  }
}

// The per-channel epilogue after the bias (ConvEpilogue's scale/shift and clamp), applied in registers.
struct ChannelTail {
  bool affine = false;
  float scale = 1.0f, shift = 0.0f;
  bool clamp = false;
  float lo = 0.0f, hi = 0.0f;
};

// Accumulates all taps of kVecs*8 consecutive outputs in registers, out[j] = tail(bias + sum_q w[q] *
// src[q][j]). kVecs independent accumulators hide the adds' latency; the tap count is a runtime value. The
// tail is the same separate multiply, add, max and min as conv_epilogue_f32 (bit-identical results).
template <int kVecs>
inline void block(int64_t taps, const float* w, const float* const* src, int64_t j, float bias, const ChannelTail& t,
                  float* out) {
  Vec8 acc[kVecs];
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; ++v) acc[v] = Vec8{} + bias;
  for (int64_t q = 0; q < taps; ++q) {
    const float wq = w[q];
    const Vec8* s = reinterpret_cast<const Vec8*>(src[q] + j);
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[v] += wq * s[v];
  }
  Vec8* o = reinterpret_cast<Vec8*>(out);
#pragma GCC unroll 4
  for (int v = 0; v < kVecs; ++v) {
    Vec8 r = acc[v];
    if (t.affine) r = r * t.scale + t.shift;
    if (t.clamp) vec8_clamp(r, t.lo, t.hi);
    o[v] = r;
  }
}


// One output plane into `result` (OH rows of Wq columns), which may run up to kSlack floats past the end.
void plane(const Conv2dParams& p, const DwPlan& d, const float* x, const float* w, float bias, const ChannelTail& t,
           float* buf, float* result) {
  copy_phases(p, d, x, buf);
  if (d.taps <= kMaxTaps) {
    const float* src[kMaxTaps];
    for (int64_t q = 0; q < d.taps; ++q) src[q] = buf + d.tap_offset[static_cast<size_t>(q)];
    int64_t j = 0;
    for (; j + 32 <= d.cols; j += 32) block<4>(d.taps, w, src, j, bias, t, result + j);
    for (; j < d.cols; j += 8) block<1>(d.taps, w, src, j, bias, t, result + j);  // tail: less over-compute
    return;
  }
  std::fill(result, result + d.cols, bias);
  for (int64_t ky = 0; ky < p.kernel_h; ++ky)
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const float wv = w[ky * p.kernel_w + kx];
      const int64_t row = ky * p.dilation_h, col = kx * p.dilation_w;
      const float* s = buf + ((row % p.stride_h) * p.stride_w + col % p.stride_w) * d.hq * d.wq +
                       (row / p.stride_h) * d.wq + col / p.stride_w;
#pragma omp simd
      for (int64_t j = 0; j < d.cols; ++j) result[j] += wv * s[j];
    }
  for (int64_t j = 0; j < d.cols; ++j) {
    float v = result[j];
    if (t.affine) v = v * t.scale + t.shift;
    if (t.clamp) v = std::min(std::max(v, t.lo), t.hi);
    result[j] = v;
  }
}

}  // namespace

size_t depthwise_conv2d_f32_scratch_floats(const Conv2dParams& p, int threads) {
  const DwPlan d = dw_plan(p);
  const int64_t work = p.batch * p.out_channels * p.out_h() * p.out_w() * p.kernel_h * p.kernel_w;
  return (d.input_floats + d.result_floats) * static_cast<size_t>(threads_for_work(std::max(threads, 1), work));
}

void depthwise_conv2d_f32(const Conv2dParams& p, const float* x, const float* w, const ConvEpilogue& epilogue,
                          float* y, float* scratch, int threads) {
  const DwPlan d = dw_plan(p);
  const int64_t oh = p.out_h(), ow = p.out_w(), kg = p.out_channels_per_group();
  const int64_t planes = p.batch * p.out_channels;
  const int team = threads_for_work(std::max(threads, 1), planes * oh * ow * p.kernel_h * p.kernel_w);
  const size_t worker_floats = d.input_floats + d.result_floats;
#pragma omp parallel num_threads(team)
  {
    float* buf = scratch + worker_floats * static_cast<size_t>(omp_get_thread_num());
    float* result = buf + d.input_floats;
    std::fill(buf, buf + d.input_floats, 0.0f);  // padding and slack; copy_phases writes only the input
#pragma omp for schedule(static)
    for (int64_t i = 0; i < planes; ++i) {
      const int64_t n = i / p.out_channels, k = i % p.out_channels;
      const int64_t c = k / kg;  // input channel of output channel k's group
      ChannelTail t;
      if (epilogue.scale != nullptr) t = {.affine = true, .scale = epilogue.scale[k], .shift = epilogue.shift[k]};
      if (!epilogue.clamp.is_identity()) {
        t.clamp = true;
        t.lo = epilogue.clamp.min;
        t.hi = epilogue.clamp.max;
      }
      plane(p, d, x + (n * p.in_channels + c) * p.in_h * p.in_w, w + k * p.kernel_h * p.kernel_w,
            epilogue.bias != nullptr ? epilogue.bias[k] : 0.0f, t, buf, result);
      float* yp = y + i * oh * ow;  // keep the OW real columns of each Wq-wide row
      for (int64_t r = 0; r < oh; ++r) {
        const float* src = result + r * d.wq;
        float* dst = yp + r * ow;
#pragma omp simd
        for (int64_t c = 0; c < ow; ++c) dst[c] = src[c];
      }
    }
  }
}

}  // namespace tinyopt::kernels
