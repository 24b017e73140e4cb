// Max / average / global-average pooling over up to 3 spatial dims (see pool_f32.h).
#include "exec/kernels/pool_f32.h"

#include <algorithm>
#include <limits>

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

template <typename T>
void maxpool_impl(const PoolParams& p, const T* x, T* y, int64_t* argmax, int threads) {
  const int64_t planes = p.batch * p.channels, in_plane = p.in_plane(), out_plane = p.out_plane();
  const int64_t od = p.out(0), oh = p.out(1), ow = p.out(2);
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* xp = x + plane * in_plane;
    T* yp = y + plane * out_plane;
    int64_t* ap = argmax != nullptr ? argmax + plane * out_plane : nullptr;
    for (int64_t d = 0; d < od; ++d) {
      const Taps td = taps(p, 0, d);
      for (int64_t h = 0; h < oh; ++h) {
        const Taps th = taps(p, 1, h);
        for (int64_t w = 0; w < ow; ++w) {
          const Taps tw = taps(p, 2, w);
          T best = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                        : std::numeric_limits<T>::lowest();
          int64_t best_index = -1;
          for (int64_t kd = td.lo; kd < td.hi; ++kd) {
            const int64_t id = td.start + kd * p.dilation[0];
            for (int64_t kh = th.lo; kh < th.hi; ++kh) {
              const int64_t row = (id * p.in[1] + th.start + kh * p.dilation[1]) * p.in[2];
              for (int64_t kw = tw.lo; kw < tw.hi; ++kw) {
                const int64_t index = row + tw.start + kw * p.dilation[2];
                if (best_index < 0 || xp[index] > best) {
                  best = xp[index];
                  best_index = index;
                }
              }
            }
          }
          const int64_t o = (d * oh + h) * ow + w;
          yp[o] = best;
          if (ap != nullptr) ap[o] = best_index;
        }
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
  maxpool_impl(p, x, y, argmax, threads);
}
void maxpool_u8(const PoolParams& p, const uint8_t* x, uint8_t* y, int threads) {
  maxpool_impl<uint8_t>(p, x, y, nullptr, threads);
}
void maxpool_i8(const PoolParams& p, const int8_t* x, int8_t* y, int threads) {
  maxpool_impl<int8_t>(p, x, y, nullptr, threads);
}

void avgpool_f32(const PoolParams& p, const float* x, float* y, int threads) {
  const int64_t planes = p.batch * p.channels, in_plane = p.in_plane(), out_plane = p.out_plane();
  const int64_t od = p.out(0), oh = p.out(1), ow = p.out(2);
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float* xp = x + plane * in_plane;
    float* yp = y + plane * out_plane;
    for (int64_t d = 0; d < od; ++d) {
      const Taps td = taps(p, 0, d);
      for (int64_t h = 0; h < oh; ++h) {
        const Taps th = taps(p, 1, h);
        for (int64_t w = 0; w < ow; ++w) {
          const Taps tw = taps(p, 2, w);
          float sum = 0.0f;
          for (int64_t kd = td.lo; kd < td.hi; ++kd) {
            const int64_t id = td.start + kd * p.dilation[0];
            for (int64_t kh = th.lo; kh < th.hi; ++kh) {
              const int64_t row = (id * p.in[1] + th.start + kh * p.dilation[1]) * p.in[2];
              for (int64_t kw = tw.lo; kw < tw.hi; ++kw) sum += xp[row + tw.start + kw * p.dilation[2]];
            }
          }
          const int64_t count = p.count_include_pad ? td.with_pad * th.with_pad * tw.with_pad
                                                    : (td.hi - td.lo) * (th.hi - th.lo) * (tw.hi - tw.lo);
          yp[(d * oh + h) * ow + w] = count > 0 ? sum / static_cast<float>(count) : 0.0f;
        }
      }
    }
  }
}

void global_avgpool_f32(int64_t planes, int64_t plane_size, const float* x, float* y, int threads) {
#pragma omp parallel for num_threads(std::max(threads, 1)) schedule(static) if (planes * plane_size > 65536)
  for (int64_t i = 0; i < planes; ++i) {
    const float* xp = x + i * plane_size;
    float sum = 0.0f;
    for (int64_t j = 0; j < plane_size; ++j) sum += xp[j];
    y[i] = sum / static_cast<float>(plane_size);
  }
}

}  // namespace tinyopt::kernels
