// Pooling for training on (N, C, H, W): MaxPool (strides, pads, dilations, ceil_mode), AveragePool
// (count_include_pad, ceil_mode) and GlobalAveragePool. MaxPool remembers the arg-max of each window
// (the first maximum, as PyTorch) and routes the gradient there; AveragePool spreads dy / divisor over
// the window, with PyTorch's divisor: with count_include_pad the window clipped to the padded input,
// without it the window clipped to the input. Planes (n, c) are split over OpenMP threads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tinyopt/core/shape_inference.h"
#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

struct PoolGeometry {
  int64_t h = 0, w = 0, oh = 0, ow = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  int64_t planes_per_sample = 0;  // C
};

PoolGeometry pool_geometry(const Node& node, const Slot& x, const Slot& y) {
  if (!x.batched || x.shape.size() != 4) throw_bad_input(node.describe() + ": training supports 2-D pooling on (N, C, H, W)");
  const WindowGeometry g = resolve_window(node, {x.shape[2], x.shape[3]});
  PoolGeometry p;
  p.h = x.shape[2];
  p.w = x.shape[3];
  p.oh = y.shape[2];
  p.ow = y.shape[3];
  p.kh = g.kernel[0];
  p.kw = g.kernel[1];
  p.sh = g.strides[0];
  p.sw = g.strides[1];
  p.dh = g.dilations[0];
  p.dw = g.dilations[1];
  p.pt = g.pad_begin[0];
  p.pl = g.pad_begin[1];
  p.pb = g.pad_end[0];
  p.pr = g.pad_end[1];
  p.planes_per_sample = x.shape[1];
  return p;
}

// The common 2x2 stride-2 window over one plane, written so the compiler vectorises along a row.
//   x: (H, W)   y, argmax: (OH, OW)
void max_pool_2x2_plane(const float* x, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* argmax) {
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* __restrict r0 = x + 2 * oy * w;
    const float* __restrict r1 = r0 + w;
    float* __restrict yr = y + oy * ow;
    int32_t* __restrict ar = argmax + oy * ow;
    const auto base = static_cast<int32_t>(2 * oy * w);
    const auto wi = static_cast<int32_t>(w);
#pragma omp simd
    for (int64_t ox = 0; ox < ow; ++ox) {
      const auto c = static_cast<int32_t>(2 * ox);
      const float a = r0[2 * ox], b = r0[2 * ox + 1], d = r1[2 * ox], e = r1[2 * ox + 1];
      // First maximum in window order (a, b, d, e); NaN wins as in PyTorch.
      const bool tb = b > a || b != b;
      float best = tb ? b : a;
      int32_t bi = tb ? base + c + 1 : base + c;
      const bool td = (d > best || d != d) & (best == best);
      best = td ? d : best;
      bi = td ? base + wi + c : bi;
      const bool te = (e > best || e != e) & (best == best);
      best = te ? e : best;
      bi = te ? base + wi + c + 1 : bi;
      yr[ox] = best;
      ar[ox] = bi;
    }
  }
}

class MaxPoolOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    for (size_t i = 1; i < node_.outputs.size(); ++i)
      if (!node_.outputs[i].empty()) fail("the Indices output is not supported in training");
    g_ = pool_geometry(node_, in(0), out());
    argmax_.assign(static_cast<size_t>(out().numel(out().shape[0])), 0);
  }
  void forward(const RunContext& ctx) override {
    const PoolGeometry g = g_;
    const float* x = in(0).data.data();
    float* y = out().data.data();
    const int64_t planes = ctx.batch * g.planes_per_sample;
    // Every window inside the input (no padding reached): no bounds checks, branch-free selects.
    const bool inside = g.pt == 0 && g.pl == 0 && (g.oh - 1) * g.sh + (g.kh - 1) * g.dh < g.h &&
                        (g.ow - 1) * g.sw + (g.kw - 1) * g.dw < g.w;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const float* xp = x + pl * g.h * g.w;
      float* yp = y + pl * g.oh * g.ow;
      int32_t* ap = argmax_.data() + pl * g.oh * g.ow;
      if (inside && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1) {
        max_pool_2x2_plane(xp, g.w, g.oh, g.ow, yp, ap);
        continue;
      }
      if (inside) {
        for (int64_t oy = 0; oy < g.oh; ++oy)
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            const auto first = static_cast<int32_t>(oy * g.sh * g.w + ox * g.sw);
            float best = xp[first];
            int32_t best_i = first;
            for (int64_t ky = 0; ky < g.kh; ++ky)
              for (int64_t kx = 0; kx < g.kw; ++kx) {
                const auto i = static_cast<int32_t>(first + ky * g.dh * g.w + kx * g.dw);
                const float v = xp[i];
                const bool take = v > best || v != v;  // NaN wins, as in PyTorch
                best = take ? v : best;
                best_i = take ? i : best_i;
              }
            yp[oy * g.ow + ox] = best;
            ap[oy * g.ow + ox] = best_i;
          }
        continue;
      }
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          float best = -std::numeric_limits<float>::infinity();
          int32_t best_i = -1;
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const float v = xp[iy * g.w + ix];
              if (v > best || best_i < 0 || std::isnan(v)) {  // NaN wins, as in PyTorch
                best = v;
                best_i = static_cast<int32_t>(iy * g.w + ix);
              }
            }
          }
          yp[oy * g.ow + ox] = best;
          ap[oy * g.ow + ox] = best_i;
        }
    }
  }
  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    if (!in(0).has_grad()) return;
    const bool store = overwrite(0);
    const int64_t planes = ctx.batch * g_.planes_per_sample, in_plane = g_.h * g_.w, out_plane = g_.oh * g_.ow;
    const float* dy = out().grad.data();
    float* dx = in(0).grad.data();
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const int32_t* ap = argmax_.data() + pl * out_plane;
      const float* dyp = dy + pl * out_plane;
      float* dxp = dx + pl * in_plane;
      if (store) std::fill_n(dxp, in_plane, 0.0f);  // zeroed while hot, then scattered into
      for (int64_t o = 0; o < out_plane; ++o)
        if (ap[o] >= 0) dxp[ap[o]] += dyp[o];
    }
  }

 private:
  PoolGeometry g_;
  std::vector<int32_t> argmax_;  // per output element: index in its input plane, -1 for an empty window
};

class AveragePoolOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    g_ = pool_geometry(node_, in(0), out());
    if (g_.dh != 1 || g_.dw != 1) fail("dilated AveragePool is not supported in training");
    include_pad_ = node_.attr_int("count_include_pad", 0) != 0;
  }
  void forward(const RunContext& ctx) override { run(ctx, false); }
  void backward(const RunContext& ctx) override {
    if (in(0).has_grad()) run(ctx, true);
  }

 private:
  // Forward (y = window mean) or backward (dx += dy / divisor over the window): same window walk.
  void run(const RunContext& ctx, bool backward) {
    const PoolGeometry g = g_;
    const int64_t planes = ctx.batch * g.planes_per_sample;
    const float* x = in(0).data.data();
    float* y = out().data.data();
    const float* dy = backward ? out().grad.data() : nullptr;
    float* dx = backward ? in(0).grad.data() : nullptr;
    const bool include_pad = include_pad_;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t pl = 0; pl < planes; ++pl) {
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        int64_t y0 = oy * g.sh - g.pt, y1 = std::min(y0 + g.kh, g.h + g.pb);
        const int64_t pad_rows = y1 - y0;
        y0 = std::max<int64_t>(y0, 0);
        y1 = std::min(y1, g.h);
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          int64_t x0 = ox * g.sw - g.pl, x1 = std::min(x0 + g.kw, g.w + g.pr);
          const int64_t pad_cols = x1 - x0;
          x0 = std::max<int64_t>(x0, 0);
          x1 = std::min(x1, g.w);
          const int64_t count = include_pad ? pad_rows * pad_cols : (y1 - y0) * (x1 - x0);
          const float inv = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
          const int64_t o = pl * g.oh * g.ow + oy * g.ow + ox;
          if (backward) {
            const float d = dy[o] * inv;
            for (int64_t iy = y0; iy < y1; ++iy)
              for (int64_t ix = x0; ix < x1; ++ix) dx[(pl * g.h + iy) * g.w + ix] += d;
          } else {
            float s = 0.0f;
            for (int64_t iy = y0; iy < y1; ++iy)
              for (int64_t ix = x0; ix < x1; ++ix) s += x[(pl * g.h + iy) * g.w + ix];
            y[o] = s * inv;
          }
        }
      }
    }
  }

  PoolGeometry g_;
  bool include_pad_ = false;
};

class GlobalAveragePoolOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    if (!in(0).batched || in(0).shape.size() < 3) fail("training needs an (N, C, spatial...) input");
    channels_ = in(0).shape[1];
    spatial_ = in(0).sample_numel / channels_;
  }
  void forward(const RunContext& ctx) override {
    const float* x = in(0).data.data();
    float* y = out().data.data();
    const int64_t planes = ctx.batch * channels_, hw = spatial_;
    const float inv = 1.0f / static_cast<float>(hw);
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (planes * hw > 65536)
    for (int64_t pl = 0; pl < planes; ++pl) {
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < hw; ++j) s += x[pl * hw + j];
      y[pl] = s * inv;
    }
  }
  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    if (!in(0).has_grad()) return;
    const float* dy = out().grad.data();
    float* dx = in(0).grad.data();
    const int64_t planes = ctx.batch * channels_, hw = spatial_;
    const float inv = 1.0f / static_cast<float>(hw);
    const bool store = overwrite(0);
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (planes * hw > 65536)
    for (int64_t pl = 0; pl < planes; ++pl) {
      const float d = dy[pl] * inv;
      if (store) std::fill_n(dx + pl * hw, hw, d);
      else
        for (int64_t j = 0; j < hw; ++j) dx[pl * hw + j] += d;
    }
  }

 private:
  int64_t channels_ = 0, spatial_ = 0;
};

}  // namespace

std::unique_ptr<TrainOp> make_max_pool(const Graph&, const Node& node) { return std::make_unique<MaxPoolOp>(node); }
std::unique_ptr<TrainOp> make_average_pool(const Graph&, const Node& node) {
  return std::make_unique<AveragePoolOp>(node);
}
std::unique_ptr<TrainOp> make_global_average_pool(const Graph&, const Node& node) {
  return std::make_unique<GlobalAveragePoolOp>(node);
}

}  // namespace tinyopt::train::detail
