// BatchNormalization for training, over (N, C, ...) inputs, per channel c with M = N * spatial elements:
//   training: y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, batch statistics (biased variance);
//             running_mean = momentum * running_mean + (1 - momentum) * mean_B, and the same for the
//             running variance with the unbiased batch variance var_B * M / (M - 1) -- PyTorch's rule,
//             with ONNX's momentum convention (ONNX 0.9 == PyTorch 0.1).
//   eval:     the same with the running statistics, which stay fixed.
// Backward, with xhat = (x - mean) * invstd:
//   dgamma += sum(dy * xhat), dbeta += sum(dy)
//   training: dx += gamma * invstd * (dy - sum(dy) / M - xhat * sum(dy * xhat) / M)
//   eval:     dx += gamma * invstd * dy
// Channels are split over OpenMP threads; sums are accumulated in double.
#include <cmath>

#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

class BatchNormOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;

  void setup(int /*threads*/) override {
    const Slot& x = in(0);
    if (!x.batched || x.shape.size() < 2) fail("training needs an (N, C, ...) batch input");
    for (size_t i = 1; i < node_.outputs.size(); ++i)
      if (!node_.outputs[i].empty()) fail("training-mode outputs (running mean/var) are not supported; use one output");
    channels_ = x.shape[1];
    for (size_t i = 1; i <= 4; ++i)
      if (in(i).batched || in(i).sample_numel != channels_) fail("input " + std::to_string(i) + " must hold one value per channel");
    spatial_ = x.sample_numel / channels_;
    eps_ = node_.attr_float("epsilon", 1e-5f);
    momentum_ = node_.attr_float("momentum", 0.9f);
    mean_.assign(static_cast<size_t>(channels_), 0.0f);
    invstd_.assign(static_cast<size_t>(channels_), 0.0f);
  }

  void forward(const RunContext& ctx) override {
    const int64_t n = ctx.batch, hw = spatial_, c_count = channels_;
    const double m = static_cast<double>(n * hw);
    const float* x = in(0).data.data();
    const float* gamma = in(1).data.data();
    const float* beta = in(2).data.data();
    float* running_mean = in(3).data.data();
    float* running_var = in(4).data.data();
    float* y = out().data.data();
    trained_ = ctx.training;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t c = 0; c < c_count; ++c) {
      float mean, invstd;
      if (ctx.training) {
        double s = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          const float* xp = x + (i * c_count + c) * hw;
          float part = 0.0f;
#pragma omp simd reduction(+ : part)
          for (int64_t j = 0; j < hw; ++j) part += xp[j];
          s += part;
        }
        const double mu = s / m;
        double ss = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          const float* xp = x + (i * c_count + c) * hw;
          const float muf = static_cast<float>(mu);
          float part = 0.0f;
#pragma omp simd reduction(+ : part)
          for (int64_t j = 0; j < hw; ++j) part += (xp[j] - muf) * (xp[j] - muf);
          ss += part;
        }
        const double var = ss / m;
        mean = static_cast<float>(mu);
        invstd = static_cast<float>(1.0 / std::sqrt(var + eps_));
        const double unbiased = m > 1.0 ? var * m / (m - 1.0) : var;
        running_mean[c] = static_cast<float>(momentum_ * running_mean[c] + (1.0 - momentum_) * mu);
        running_var[c] = static_cast<float>(momentum_ * running_var[c] + (1.0 - momentum_) * unbiased);
      } else {
        mean = running_mean[c];
        invstd = 1.0f / std::sqrt(running_var[c] + eps_);
      }
      mean_[c] = mean;
      invstd_[c] = invstd;
      const float scale = gamma[c] * invstd, shift = beta[c] - mean * scale;
      for (int64_t i = 0; i < n; ++i) {
        const float* xp = x + (i * c_count + c) * hw;
        float* yp = y + (i * c_count + c) * hw;
#pragma omp simd
        for (int64_t j = 0; j < hw; ++j) yp[j] = xp[j] * scale + shift;
      }
    }
  }

  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    const int64_t n = ctx.batch, hw = spatial_, c_count = channels_;
    const float m = static_cast<float>(n * hw);
    const float* x = in(0).data.data();
    const float* gamma = in(1).data.data();
    const float* dy = out().grad.data();
    float* dx = in(0).has_grad() ? in(0).grad.data() : nullptr;
    float* dgamma = in(1).has_grad() ? in(1).grad.data() : nullptr;
    float* dbeta = in(2).has_grad() ? in(2).grad.data() : nullptr;
#pragma omp parallel for num_threads(ctx.threads) schedule(static)
    for (int64_t c = 0; c < c_count; ++c) {
      const float mean = mean_[c], invstd = invstd_[c];
      double sum_dy = 0.0, sum_dy_xhat = 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const float* xp = x + (i * c_count + c) * hw;
        const float* dyp = dy + (i * c_count + c) * hw;
        float a = 0.0f, b = 0.0f;
#pragma omp simd reduction(+ : a, b)
        for (int64_t j = 0; j < hw; ++j) {
          a += dyp[j];
          b += dyp[j] * (xp[j] - mean);
        }
        sum_dy += a;
        sum_dy_xhat += b;
      }
      sum_dy_xhat *= invstd;
      if (dgamma != nullptr) dgamma[c] += static_cast<float>(sum_dy_xhat);
      if (dbeta != nullptr) dbeta[c] += static_cast<float>(sum_dy);
      if (dx == nullptr) continue;
      const float k = gamma[c] * invstd;
      const float mean_dy = trained_ ? static_cast<float>(sum_dy) / m : 0.0f;
      const float xhat_coef = trained_ ? static_cast<float>(sum_dy_xhat) / m * invstd : 0.0f;
      const bool store = overwrite(0);
      for (int64_t i = 0; i < n; ++i) {
        const float* __restrict xp = x + (i * c_count + c) * hw;
        const float* __restrict dyp = dy + (i * c_count + c) * hw;
        float* __restrict dxp = dx + (i * c_count + c) * hw;
        if (store) {
#pragma omp simd
          for (int64_t j = 0; j < hw; ++j) dxp[j] = k * (dyp[j] - mean_dy - (xp[j] - mean) * xhat_coef);
        } else {
#pragma omp simd
          for (int64_t j = 0; j < hw; ++j) dxp[j] += k * (dyp[j] - mean_dy - (xp[j] - mean) * xhat_coef);
        }
      }
    }
  }

 private:
  int64_t channels_ = 0, spatial_ = 0;
  float eps_ = 1e-5f, momentum_ = 0.9f;
  bool trained_ = true;
  std::vector<float> mean_, invstd_;  // statistics the last forward normalised with
};

}  // namespace

std::unique_ptr<TrainOp> make_batch_norm(const Graph&, const Node& node) {
  return std::make_unique<BatchNormOp>(node);
}

}  // namespace tinyopt::train::detail
