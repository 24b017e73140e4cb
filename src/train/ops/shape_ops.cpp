// Data-movement ops for training: the views Flatten, Reshape, Squeeze, Unsqueeze and Identity (the same
// elements in a new shape: y = x, dx += dy), Concat along a non-batch axis, and Transpose with the batch
// kept on axis 0 (the channel shuffle's (N, g, C/g, H, W) -> (N, C/g, g, H, W)). Output shapes come
// from shape inference; these ops only check that the batch stays on axis 0.
#include <array>
#include <cstring>

#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

class ViewOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    if (!in(0).batched || !out().batched || in(0).sample_numel != out().sample_numel)
      fail("training needs the batch on axis 0 of both input " + shape_str(in(0).shape) + " and output " +
           shape_str(out().shape));
  }
  void forward(const RunContext& ctx) override {
    std::memcpy(out().data.data(), in(0).data.data(), sizeof(float) * static_cast<size_t>(out().numel(ctx.batch)));
  }
  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    if (!in(0).has_grad()) return;
    const float* __restrict dy = out().grad.data();
    float* __restrict dx = in(0).grad.data();
    const int64_t count = out().numel(ctx.batch);
    if (overwrite(0)) {
      std::memcpy(dx, dy, sizeof(float) * static_cast<size_t>(count));
      return;
    }
#pragma omp simd
    for (int64_t i = 0; i < count; ++i) dx[i] += dy[i];
  }
};

class ConcatOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    const Shape& ys = out().shape;
    int64_t axis = node_.attr_int("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(ys.size());
    if (axis <= 0 || axis >= static_cast<int64_t>(ys.size())) fail("training supports Concat along a non-batch axis");
    for (size_t i = 0; i < in_.size(); ++i)
      if (!in(i).batched) fail("training supports Concat of batched inputs only");
    inner_.clear();
    for (size_t i = 0; i < in_.size(); ++i) {
      int64_t inner = 1;
      for (size_t d = static_cast<size_t>(axis); d < in(i).shape.size(); ++d) inner *= in(i).shape[d];
      inner_.push_back(inner);
    }
    outer_per_sample_ = 1;
    for (size_t d = 1; d < static_cast<size_t>(axis); ++d) outer_per_sample_ *= ys[d];
  }
  void forward(const RunContext& ctx) override { run(ctx, false); }
  void backward(const RunContext& ctx) override { run(ctx, true); }

 private:
  void run(const RunContext& ctx, bool backward) {
    const int64_t outer = ctx.batch * outer_per_sample_;
    int64_t row = 0;
    for (size_t i = 0; i < inner_.size(); ++i) row += inner_[i];
    int64_t offset = 0;
    for (size_t i = 0; i < inner_.size(); ++i) {
      const int64_t n = inner_[i];
      if (backward && !in(i).has_grad()) {
        offset += n;
        continue;
      }
      for (int64_t o = 0; o < outer; ++o) {
        if (backward) {
          const float* dy = out().grad.data() + o * row + offset;
          float* dx = in(i).grad.data() + o * n;
          for (int64_t j = 0; j < n; ++j) dx[j] += dy[j];
        } else {
          std::memcpy(out().data.data() + o * row + offset, in(i).data.data() + o * n, sizeof(float) * static_cast<size_t>(n));
        }
      }
      offset += n;
    }
  }
  std::vector<int64_t> inner_;
  int64_t outer_per_sample_ = 1;
};

class TransposeOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    const Shape& xs = in(0).shape;
    rank_ = static_cast<int>(xs.size());
    if (rank_ > 8) fail("rank above 8 is not supported");
    std::vector<int64_t> perm = node_.attr_ints("perm");
    if (perm.empty())
      for (int i = rank_ - 1; i >= 0; --i) perm.push_back(i);
    if (!in(0).batched || rank_ < 2 || perm.size() != xs.size() || perm[0] != 0)
      fail("training supports Transpose that keeps the batch on axis 0");
    // Output axis d walks input axis perm[d]: its stride in the input.
    std::array<int64_t, 8> in_strides{};
    int64_t s = 1;
    for (int i = rank_ - 1; i >= 0; --i) {
      in_strides[static_cast<size_t>(i)] = s;
      s *= xs[static_cast<size_t>(i)];
    }
    for (int d = 0; d < rank_; ++d) {
      dims_[static_cast<size_t>(d)] = out().shape[static_cast<size_t>(d)];
      strides_[static_cast<size_t>(d)] = in_strides[static_cast<size_t>(perm[static_cast<size_t>(d)])];
    }
  }
  void forward(const RunContext& ctx) override { run(ctx, false); }
  void backward(const RunContext& ctx) override {
    if (in(0).has_grad()) run(ctx, true);
  }

 private:
  void run(const RunContext& ctx, bool backward) {
    const int64_t per_sample = out().sample_numel;
    const float* x = in(0).data.data();
    float* y = out().data.data();
    const float* dy = out().grad.empty() ? nullptr : out().grad.data();
    float* dx = in(0).grad.empty() ? nullptr : in(0).grad.data();
    const auto inner = static_cast<size_t>(rank_ - 1);
    for (int64_t n = 0; n < ctx.batch; ++n) {
      std::array<int64_t, 8> idx{};
      int64_t src = n * per_sample;
      for (int64_t o = n * per_sample; o < (n + 1) * per_sample; o += dims_[inner]) {
        for (int64_t j = 0; j < dims_[inner]; ++j) {
          if (backward) dx[src + j * strides_[inner]] += dy[o + j];
          else y[o + j] = x[src + j * strides_[inner]];
        }
        for (int d = rank_ - 2; d >= 1; --d) {
          const auto u = static_cast<size_t>(d);
          ++idx[u];
          src += strides_[u];
          if (idx[u] < dims_[u]) break;
          src -= strides_[u] * dims_[u];
          idx[u] = 0;
        }
      }
    }
  }
  int rank_ = 0;
  std::array<int64_t, 8> dims_{}, strides_{};
};

}  // namespace

std::unique_ptr<TrainOp> make_view(const Graph&, const Node& node) { return std::make_unique<ViewOp>(node); }
std::unique_ptr<TrainOp> make_concat(const Graph&, const Node& node) { return std::make_unique<ConcatOp>(node); }
std::unique_ptr<TrainOp> make_transpose(const Graph&, const Node& node) {
  return std::make_unique<TransposeOp>(node);
}

}  // namespace tinyopt::train::detail
