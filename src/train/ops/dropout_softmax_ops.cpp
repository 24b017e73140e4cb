// Dropout and Softmax for training.
// Dropout (ratio from the opset-12+ input or the old attribute): in training y = x * mask / (1 - ratio)
// with mask ~ Bernoulli(1 - ratio) drawn from a counter-based hash of (step seed, node, element), so the
// mask does not depend on the thread count; in eval y = x. Backward applies the same mask.
// Softmax over the last axis (the opset-13 default): dx += y * (dy - sum(dy * y)).
#include <algorithm>
#include <cmath>
#include <functional>

#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class DropoutOp final : public TrainOp {
 public:
  DropoutOp(const Node& node, float ratio) : TrainOp(node), ratio_(ratio) {}
  void setup(int) override {
    if (ratio_ < 0.0f || ratio_ >= 1.0f) fail("ratio must be in [0, 1)");
    if (!in(0).batched) fail("training needs a batched input");
    for (size_t i = 1; i < node_.outputs.size(); ++i)
      if (!node_.outputs[i].empty()) fail("the mask output is not supported in training");
    mask_.assign(static_cast<size_t>(in(0).numel(in(0).shape[0])), 0);
    node_salt_ = std::hash<std::string>{}(node_.name);
  }
  void forward(const RunContext& ctx) override {
    const int64_t count = in(0).numel(ctx.batch);
    const float* x = in(0).data.data();
    float* y = out().data.data();
    training_ = ctx.training && ratio_ > 0.0f;
    if (!training_) {
      for (int64_t i = 0; i < count; ++i) y[i] = x[i];
      return;
    }
    const uint64_t base = splitmix64(ctx.seed ^ node_salt_);
    const float keep_scale = 1.0f / (1.0f - ratio_);
    for (int64_t i = 0; i < count; ++i) {
      const float u = static_cast<float>(splitmix64(base + static_cast<uint64_t>(i)) >> 40) * 0x1.0p-24f;
      mask_[static_cast<size_t>(i)] = u >= ratio_ ? 1 : 0;
      y[i] = mask_[static_cast<size_t>(i)] ? x[i] * keep_scale : 0.0f;
    }
  }
  void backward(const RunContext& ctx) override {
    if (!in(0).has_grad()) return;
    const int64_t count = in(0).numel(ctx.batch);
    const float* dy = out().grad.data();
    float* dx = in(0).grad.data();
    const float keep_scale = 1.0f / (1.0f - ratio_);
    for (int64_t i = 0; i < count; ++i)
      dx[i] += training_ ? (mask_[static_cast<size_t>(i)] ? dy[i] * keep_scale : 0.0f) : dy[i];
  }

 private:
  float ratio_;
  bool training_ = false;
  uint64_t node_salt_ = 0;
  std::vector<uint8_t> mask_;
};

class SoftmaxOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;
  void setup(int) override {
    const int64_t rank = static_cast<int64_t>(in(0).shape.size());
    const int64_t axis = node_.attr_int("axis", -1);
    if (!in(0).batched || rank < 2 || (axis != -1 && axis != rank - 1))
      fail("training supports Softmax over the last axis of a batched input");
    width_ = in(0).shape.back();
  }
  void forward(const RunContext& ctx) override {
    const int64_t rows = in(0).numel(ctx.batch) / width_;
    const float* x = in(0).data.data();
    float* y = out().data.data();
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * width_;
      float* yr = y + r * width_;
      float mx = xr[0];
      for (int64_t j = 1; j < width_; ++j) mx = std::max(mx, xr[j]);
      float s = 0.0f;
      for (int64_t j = 0; j < width_; ++j) s += (yr[j] = std::exp(xr[j] - mx));
      for (int64_t j = 0; j < width_; ++j) yr[j] /= s;
    }
  }
  void backward(const RunContext& ctx) override {
    if (!in(0).has_grad()) return;
    const int64_t rows = in(0).numel(ctx.batch) / width_;
    const float* y = out().data.data();
    const float* dy = out().grad.data();
    float* dx = in(0).grad.data();
    for (int64_t r = 0; r < rows; ++r) {
      float dot = 0.0f;
      for (int64_t j = 0; j < width_; ++j) dot += dy[r * width_ + j] * y[r * width_ + j];
      for (int64_t j = 0; j < width_; ++j) dx[r * width_ + j] += y[r * width_ + j] * (dy[r * width_ + j] - dot);
    }
  }

 private:
  int64_t width_ = 1;
};

}  // namespace

std::unique_ptr<TrainOp> make_dropout(const Graph& graph, const Node& node) {
  return std::make_unique<DropoutOp>(node, constant_scalar_input(graph, node, 1, node.attr_float("ratio", 0.5f)));
}
std::unique_ptr<TrainOp> make_softmax(const Graph&, const Node& node) { return std::make_unique<SoftmaxOp>(node); }

}  // namespace tinyopt::train::detail
