// Conv (2-D, any group count including depthwise, stride, padding, dilation) for training. The forward
// pass is the float executor's conv2d_f32 (im2col + SGEMM, direct depthwise); the backward pass per image:
//   dW_g += dY_g (K/g, OH*OW) x col_g^T (OH*OW, C/g*kh*kw)     col_g = im2col(x_g), recomputed, not stored
//   dx_g += col2im(W_g^T (C/g*kh*kw, K/g) x dY_g)              (pointwise: dx_g += W_g^T x dY_g, no col)
//   db   += row sums of dY
// and a direct loop for depthwise (one input channel per group). Images are split over OpenMP threads
// (static schedule); each thread accumulates dW/db in its own buffer and the buffers are summed in thread
// order, so results are identical run to run for a given thread count.
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "exec/kernels/blas_threads.h"
#include "exec/kernels/conv2d_f32.h"
#include "exec/kernels/gemm_f32.h"
#include "tinyopt/core/shape_inference.h"
#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

using kernels::Conv2dParams;

// Output positions o in [0, out) whose input index o*stride + offset lies in [0, in): [*lo, *hi).
void valid_outputs(int64_t out, int64_t stride, int64_t offset, int64_t in, int64_t* lo, int64_t* hi) {
  int64_t l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t h = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  l = std::min(l, out);
  *lo = l;
  *hi = std::clamp(h, l, out);
}

// Backward of one depthwise output plane k reading input plane c.
//   x, dx: (H, W)   w, dw: (kh, kw)   dy: (OH, OW); dx and dw may be nullptr (no gradient wanted)
void depthwise_backward_plane(const Conv2dParams& p, const float* x, const float* w, const float* dy,
                              float* dx, float* dw) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
    int64_t oy_lo, oy_hi;
    valid_outputs(oh, p.stride_h, ky * p.dilation_h - p.pad_top, p.in_h, &oy_lo, &oy_hi);
    for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
      const int64_t x_off = kx * p.dilation_w - p.pad_left;
      int64_t ox_lo, ox_hi;
      valid_outputs(ow, p.stride_w, x_off, p.in_w, &ox_lo, &ox_hi);
      const float wv = w[ky * p.kernel_w + kx];
      float acc = 0.0f;
      for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
        const int64_t row = (oy * p.stride_h + ky * p.dilation_h - p.pad_top) * p.in_w + x_off;
        const float* x_row = x + row;
        const float* dy_row = dy + oy * ow;
        const int64_t s = p.stride_w;
        if (dw != nullptr)
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) acc += dy_row[ox] * x_row[ox * s];
        if (dx != nullptr) {
          float* dx_row = dx + row;
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) dx_row[ox * s] += wv * dy_row[ox];
        }
      }
      if (dw != nullptr) dw[ky * p.kernel_w + kx] += acc;
    }
  }
}

class ConvOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;

  void setup(int threads) override {
    const Slot& x = in(0);
    const Slot& w = in(1);
    if (!x.batched || x.shape.size() != 4) fail("training supports 2-D convolutions on (N, C, H, W) inputs");
    if (w.batched || w.shape.size() != 4) fail("weight must be a constant (K, C/group, kh, kw) tensor");
    const WindowGeometry geo = resolve_window(node_, {x.shape[2], x.shape[3]}, {w.shape[2], w.shape[3]});
    p_.batch = x.shape[0];
    p_.in_channels = x.shape[1];
    p_.in_h = x.shape[2];
    p_.in_w = x.shape[3];
    p_.out_channels = w.shape[0];
    p_.kernel_h = geo.kernel[0];
    p_.kernel_w = geo.kernel[1];
    p_.stride_h = geo.strides[0];
    p_.stride_w = geo.strides[1];
    p_.dilation_h = geo.dilations[0];
    p_.dilation_w = geo.dilations[1];
    p_.pad_top = geo.pad_begin[0];
    p_.pad_left = geo.pad_begin[1];
    p_.pad_bottom = geo.pad_end[0];
    p_.pad_right = geo.pad_end[1];
    p_.group = node_.attr_int("group", 1);
    if (p_.group <= 0 || p_.in_channels % p_.group != 0 || p_.out_channels % p_.group != 0 ||
        w.shape[1] != p_.in_channels / p_.group)
      fail("group " + std::to_string(p_.group) + " does not fit input " + shape_str(x.shape) + " and weight " +
           shape_str(w.shape));
    if (has_in(2) && in(2).sample_numel != p_.out_channels) fail("bias must have one value per output channel");
    threads_ = std::max(1, threads);
    fwd_scratch_.assign(kernels::conv2d_f32_scratch_floats(p_, threads_), 0.0f);
    const bool direct = kernels::conv2d_is_pointwise(p_) || kernels::conv2d_is_depthwise(p_);
    const size_t col = direct ? 0 : static_cast<size_t>(p_.col_rows() * p_.col_cols());
    col_.assign(col * threads_, 0.0f);
    dcol_.assign(col * threads_, 0.0f);
    dw_part_.assign(static_cast<size_t>(p_.weight_numel()) * threads_, 0.0f);
    db_part_.assign(static_cast<size_t>(p_.out_channels) * threads_, 0.0f);
  }

  void forward(const RunContext& ctx) override {
    Conv2dParams p = p_;
    p.batch = ctx.batch;
    const float* bias = has_in(2) ? in(2).data.data() : nullptr;
    kernels::ScopedBlasThreads blas(1);
    kernels::conv2d_f32(p, in(0).data.data(), in(1).data.data(), bias, out().data.data(), {},
                        fwd_scratch_.empty() ? nullptr : fwd_scratch_.data(), std::min(ctx.threads, threads_));
  }

  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    Conv2dParams p = p_;
    p.batch = ctx.batch;
    const int threads = static_cast<int>(std::min<int64_t>({ctx.threads, threads_, ctx.batch}));
    const bool need_dw = in(1).has_grad();
    const bool need_db = has_in(2) && in(2).has_grad();
    float* dx = in(0).has_grad() ? in(0).grad.data() : nullptr;
    const size_t wn = static_cast<size_t>(p.weight_numel());
    std::fill(dw_part_.begin(), dw_part_.begin() + static_cast<std::ptrdiff_t>(wn * threads), 0.0f);
    std::fill(db_part_.begin(), db_part_.begin() + p.out_channels * threads, 0.0f);
    kernels::ScopedBlasThreads blas(1);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < ctx.batch; ++i) backward_image(p, i, omp_get_thread_num(), dx, need_dw, need_db);
    for (int t = 0; t < threads; ++t) {
      if (need_dw) {
        float* g = in(1).grad.data();
        const float* part = dw_part_.data() + wn * t;
        for (size_t j = 0; j < wn; ++j) g[j] += part[j];
      }
      if (need_db) {
        float* g = in(2).grad.data();
        const float* part = db_part_.data() + p.out_channels * t;
        for (int64_t k = 0; k < p.out_channels; ++k) g[k] += part[k];
      }
    }
  }

 private:
  void backward_image(const Conv2dParams& p, int64_t i, int t, float* dx, bool need_dw, bool need_db) {
    const int64_t cg = p.in_channels_per_group(), kg = p.out_channels_per_group();
    const int64_t rows = p.col_rows(), cols = p.col_cols(), plane = p.in_h * p.in_w;
    const float* x = in(0).data.data() + i * p.in_channels * plane;
    const float* w = in(1).data.data();
    const float* dy = out().grad.data() + i * p.out_channels * cols;
    float* dxi = dx != nullptr ? dx + i * p.in_channels * plane : nullptr;
    if (dxi != nullptr && overwrite(0)) std::fill_n(dxi, p.in_channels * plane, 0.0f);  // this image, while hot
    float* dw = dw_part_.data() + static_cast<size_t>(p.weight_numel()) * t;
    float* col = col_.empty() ? nullptr : col_.data() + rows * cols * t;
    float* dcol = dcol_.empty() ? nullptr : dcol_.data() + rows * cols * t;
    const bool depthwise = kernels::conv2d_is_depthwise(p);
    const bool pointwise = kernels::conv2d_is_pointwise(p);
    for (int64_t g = 0; g < p.group; ++g) {
      const float* xg = x + g * cg * plane;
      const float* dyg = dy + g * kg * cols;
      const float* wg = w + g * kg * rows;
      float* dwg = dw + g * kg * rows;
      float* dxg = dxi != nullptr ? dxi + g * cg * plane : nullptr;
      if (depthwise) {
        for (int64_t k = 0; k < kg; ++k)
          depthwise_backward_plane(p, xg, wg + k * rows, dyg + k * cols, dxg, need_dw ? dwg + k * rows : nullptr);
        continue;
      }
      const float* b = xg;
      if (!pointwise) {
        kernels::im2col_f32(p, xg, col);
        b = col;
      }
      if (need_dw) kernels::sgemm_f32(false, true, kg, rows, cols, 1.0f, dyg, cols, b, cols, 1.0f, dwg, rows, 1);
      if (dxg != nullptr) {
        if (pointwise) {
          kernels::sgemm_f32(true, false, rows, cols, kg, 1.0f, wg, rows, dyg, cols, 1.0f, dxg, cols, 1);
        } else {
          kernels::sgemm_f32(true, false, rows, cols, kg, 1.0f, wg, rows, dyg, cols, 0.0f, dcol, cols, 1);
          kernels::col2im_f32(p, dcol, dxg);
        }
      }
    }
    if (need_db) {
      float* db = db_part_.data() + p.out_channels * t;
      for (int64_t k = 0; k < p.out_channels; ++k) {
        float s = 0.0f;
        for (int64_t j = 0; j < cols; ++j) s += dy[k * cols + j];
        db[k] += s;
      }
    }
  }
  Conv2dParams p_;
  int threads_ = 1;
  std::vector<float> fwd_scratch_, col_, dcol_, dw_part_, db_part_;
};

}  // namespace

std::unique_ptr<TrainOp> make_conv(const Graph&, const Node& node) { return std::make_unique<ConvOp>(node); }

}  // namespace tinyopt::train::detail
