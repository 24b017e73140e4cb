// Max / average / global-average pooling over up to 3 spatial dims (see pool_f32.h).
#include "exec/kernels/pool_f32.h"

#include <algorithm>
#include <limits>

#include "exec/kernels/blas_threads.h"
#include "exec/kernels/conv2d_f32.h"

namespace tinyopt::kernels {
namespace {

// Kernel taps k in [lo, hi) of output position `o` in spatial dim i that land inside the input, and the
// count of taps inside the input plus explicit padding (for count_include_pad).
struct Taps {
  int64_t lo, hi, start, with_pad;
};

Taps taps(const PoolParams& p, int i, int64_t o) {
  const int64_t start = o * p.stride[i] - p.pad_begin[i];
  const int64_t dil = p.dilation[i];
  Taps t{0, 0, start, 0};
  auto first_at_least = [&](int64_t bound) {  // smallest k >= 0 with start + k*dil >= bound
    return start >= bound ? 0 : (bound - start + dil - 1) / dil;
  };
  t.lo = std::min(first_at_least(0), p.kernel[i]);
  t.hi = std::clamp(first_at_least(p.in[i]), t.lo, p.kernel[i]);
  const int64_t pad_lo = std::min(first_at_least(-p.pad_begin[i]), p.kernel[i]);
  const int64_t pad_hi = std::clamp(first_at_least(p.in[i] + p.pad_end[i]), pad_lo, p.kernel[i]);
  t.with_pad = pad_hi - pad_lo;
  return t;
}

// Calls fn(plane, o, td, th, tw) for output position o (flat in the plane) of every plane, with the
// window's taps per spatial dim; planes are split over threads.
template <typename Fn>
void for_each_window(const PoolParams& p, int threads, Fn fn) {
  const int64_t planes = p.batch * p.channels, od = p.out(0), oh = p.out(1), ow = p.out(2);
  const int team = threads_for_work(threads, planes * p.out_plane() * p.kernel[0] * p.kernel[1] * p.kernel[2]);
#pragma omp parallel for num_threads(team) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t d = 0; d < od; ++d) {
      const Taps td = taps(p, 0, d);
      for (int64_t h = 0; h < oh; ++h) {
        const Taps th = taps(p, 1, h);
        for (int64_t w = 0; w < ow; ++w) fn(plane, (d * oh + h) * ow + w, td, th, taps(p, 2, w));
      }
    }
}

// Calls visit(index) for the in-plane index (d*H + h)*W + w of every input element under the window.
template <typename Visit>
void for_each_tap(const PoolParams& p, const Taps& td, const Taps& th, const Taps& tw, Visit visit) {
  for (int64_t kd = td.lo; kd < td.hi; ++kd) {
    const int64_t id = td.start + kd * p.dilation[0];
    for (int64_t kh = th.lo; kh < th.hi; ++kh) {
      const int64_t row = (id * p.in[1] + th.start + kh * p.dilation[1]) * p.in[2];
      for (int64_t kw = tw.lo; kw < tw.hi; ++kw) visit(row + tw.start + kw * p.dilation[2]);
    }
  }
}

template <typename T>
void maxpool_impl(const PoolParams& p, const T* x, T* y, int64_t* argmax, int threads) {
  const int64_t in_plane = p.in_plane(), out_plane = p.out_plane();
  for_each_window(p, threads, [&](int64_t plane, int64_t o, const Taps& td, const Taps& th, const Taps& tw) {
    const T* xp = x + plane * in_plane;
    T best = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    int64_t best_index = -1;
    for_each_tap(p, td, th, tw, [&](int64_t index) {
      if (best_index < 0 || xp[index] > best) {
        best = xp[index];
        best_index = index;
      }
    });
    y[plane * out_plane + o] = best;
    if (argmax != nullptr) argmax[plane * out_plane + o] = best_index;
  });
}

// Max pooling over (H, W) planes without dilation or argmax, the common case (the Fashion-MNIST CNN's
// 2x2 stride-2 pools): window bounds by clipping instead of the general tap arithmetic, and a branch-free
// path for 2x2 stride-2 windows that lie inside the input. Same comparison rule as maxpool_impl (the first
// element seeds the maximum; a later element wins only when greater), so the results are identical.
bool is_plain_2d(const PoolParams& p) {
  return p.in[0] == 1 && p.kernel[0] == 1 && p.dilation[0] == 1 && p.dilation[1] == 1 && p.dilation[2] == 1;
}

void maxpool_plain_2d(const PoolParams& p, const float* x, float* y, int threads) {
  const int64_t planes = p.batch * p.channels, h_in = p.in[1], w_in = p.in[2];
  const int64_t oh = p.out(1), ow = p.out(2);
  const int64_t kh = p.kernel[1], kw = p.kernel[2], sh = p.stride[1], sw = p.stride[2];
  const int64_t pt = p.pad_begin[1], pl = p.pad_begin[2];
  // Output columns whose 2x2 window is entirely inside the input (used by the fast path).
  const bool two_by_two = kh == 2 && kw == 2 && sh == 2 && sw == 2;
  const int team = threads_for_work(threads, planes * oh * ow * kh * kw);
#pragma omp parallel for num_threads(team) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xp = x + plane * h_in * w_in;
    float* yp = y + plane * oh * ow;
    for (int64_t r = 0; r < oh; ++r) {
      const int64_t h_start = r * sh - pt;
      const int64_t h_lo = std::max<int64_t>(h_start, 0), h_hi = std::min(h_start + kh, h_in);
      float* yr = yp + r * ow;
      int64_t c = 0;
      if (two_by_two && h_lo == h_start && h_hi == h_start + 2) {
        const float* r0 = xp + h_start * w_in;
        const float* r1 = r0 + w_in;
        // Columns with w_start = 2c - pl in [0, w_in - 2].
        const int64_t c_lo = (pl + 1) / 2, c_hi = std::min(ow, (w_in - 2 + pl) / 2 + 1);
        for (; c < c_lo && c < ow; ++c) {
          const int64_t w_lo = std::max<int64_t>(c * 2 - pl, 0), w_hi = std::min(c * 2 - pl + 2, w_in);
          if (w_lo >= w_hi) {  // window entirely in the padding
            yr[c] = -std::numeric_limits<float>::infinity();
            continue;
          }
          float best = r0[w_lo];
          for (const float* row : {r0, r1})
            for (int64_t w = w_lo; w < w_hi; ++w)
              if (row[w] > best) best = row[w];
          yr[c] = best;
        }
        const int64_t c_fast = std::max(c, c_hi);
#pragma omp simd
        for (int64_t cc = c; cc < c_hi; ++cc) {
          const int64_t w = cc * 2 - pl;
          float best = r0[w];
          if (r0[w + 1] > best) best = r0[w + 1];
          if (r1[w] > best) best = r1[w];
          if (r1[w + 1] > best) best = r1[w + 1];
          yr[cc] = best;
        }
        c = c_fast;
      }
      for (; c < ow; ++c) {
        const int64_t w_start = c * sw - pl;
        const int64_t w_lo = std::max<int64_t>(w_start, 0), w_hi = std::min(w_start + kw, w_in);
        if (h_lo >= h_hi || w_lo >= w_hi) {
          yr[c] = -std::numeric_limits<float>::infinity();
          continue;
        }
        float best = xp[h_lo * w_in + w_lo];
        for (int64_t h = h_lo; h < h_hi; ++h)
          for (int64_t w = w_lo; w < w_hi; ++w)
            if (xp[h * w_in + w] > best) best = xp[h * w_in + w];
        yr[c] = best;
      }
    }
  }
}

}  // namespace

int64_t PoolParams::out(int i) const {
  return conv_out_size(in[i], kernel[i], stride[i], pad_begin[i], pad_end[i], dilation[i], ceil_mode);
}

PoolParams make_pool_params(int64_t batch, int64_t channels, int rank, const int64_t* in, const int64_t* kernel,
                            const int64_t* stride, const int64_t* pads, const int64_t* dilation, bool ceil_mode,
                            bool count_include_pad) {
  PoolParams p;
  p.batch = batch;
  p.channels = channels;
  p.ceil_mode = ceil_mode;
  p.count_include_pad = count_include_pad;
  const int skip = 3 - rank;
  for (int i = 0; i < rank; ++i) {
    p.in[skip + i] = in[i];
    p.kernel[skip + i] = kernel[i];
    p.stride[skip + i] = stride[i];
    p.pad_begin[skip + i] = pads[i];
    p.pad_end[skip + i] = pads[rank + i];
    p.dilation[skip + i] = dilation[i];
  }
  return p;
}

void maxpool_f32(const PoolParams& p, const float* x, float* y, int64_t* argmax, int threads) {
  if (argmax == nullptr && is_plain_2d(p)) return maxpool_plain_2d(p, x, y, threads);
  maxpool_impl(p, x, y, argmax, threads);
}
void maxpool_u8(const PoolParams& p, const uint8_t* x, uint8_t* y, int threads) {
  maxpool_impl<uint8_t>(p, x, y, nullptr, threads);
}
void maxpool_i8(const PoolParams& p, const int8_t* x, int8_t* y, int threads) {
  maxpool_impl<int8_t>(p, x, y, nullptr, threads);
}

void avgpool_f32(const PoolParams& p, const float* x, float* y, int threads) {
  bool whole_plane = true;  // one window exactly covering each plane (DS-CNN's final pool): a plain mean
  for (int i = 0; i < 3; ++i)
    whole_plane = whole_plane && p.kernel[i] == p.in[i] && p.pad_begin[i] == 0 && p.pad_end[i] == 0 && p.out(i) == 1;
  if (whole_plane) return global_avgpool_f32(p.batch * p.channels, p.in_plane(), x, y, threads);
  const int64_t in_plane = p.in_plane(), out_plane = p.out_plane();
  for_each_window(p, threads, [&](int64_t plane, int64_t o, const Taps& td, const Taps& th, const Taps& tw) {
    const float* xp = x + plane * in_plane;
    float sum = 0.0f;
    for_each_tap(p, td, th, tw, [&](int64_t index) { sum += xp[index]; });
    const int64_t count = p.count_include_pad ? td.with_pad * th.with_pad * tw.with_pad
                                              : (td.hi - td.lo) * (th.hi - th.lo) * (tw.hi - tw.lo);
    y[plane * out_plane + o] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
  });
}

void global_avgpool_f32(int64_t planes, int64_t plane_size, const float* x, float* y, int threads) {
#pragma omp parallel for num_threads(threads_for_work(threads, planes * plane_size)) schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* xp = x + i * plane_size;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < plane_size; ++j) sum += xp[j];
    y[i] = sum / static_cast<float>(plane_size);
  }
}

}  // namespace tinyopt::kernels
