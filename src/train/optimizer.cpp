// SGD (momentum, Nesterov), Adam and AdamW with PyTorch's update rules (see optimizer.h).
#include "tinyopt/train/optimizer.h"

#include <cmath>

#include "tinyopt/core/error.h"

namespace tinyopt::train {

Optimizer::Optimizer(const OptimizerConfig& config, const std::vector<ParamRef>& params)
    : config_(config), params_(params) {
  if (config.kind == "sgd") kind_ = Kind::kSgd;
  else if (config.kind == "adam") kind_ = Kind::kAdam;
  else if (config.kind == "adamw") kind_ = Kind::kAdamW;
  else throw_usage("unknown optimizer '" + config.kind + "'; use sgd, adam or adamw");
  if (config.momentum < 0.0f || config.momentum >= 1.0f) throw_usage("momentum must be in [0, 1)");
  if (config.nesterov && config.momentum == 0.0f) throw_usage("Nesterov momentum needs momentum > 0");
  if (config.weight_decay < 0.0f) throw_usage("weight decay must not be negative");
  if (config.beta1 < 0.0f || config.beta1 >= 1.0f || config.beta2 < 0.0f || config.beta2 >= 1.0f)
    throw_usage("Adam betas must be in [0, 1)");
  for (const ParamRef& p : params_) {
    m_.emplace_back(p.value.size(), 0.0f);
    if (kind_ != Kind::kSgd) v_.emplace_back(p.value.size(), 0.0f);
  }
}

void Optimizer::step(float lr) {
  ++steps_;
  if (kind_ == Kind::kSgd) {
    const float mu = config_.momentum;
    for (size_t i = 0; i < params_.size(); ++i) {
      const float wd = params_[i].weight_decay ? config_.weight_decay : 0.0f;
      float* p = params_[i].value.data();
      const float* g = params_[i].grad.data();
      float* buf = m_[i].data();
      const size_t n = params_[i].value.size();
      for (size_t j = 0; j < n; ++j) {
        const float d = g[j] + wd * p[j];
        if (mu == 0.0f) {
          p[j] -= lr * d;
          continue;
        }
        buf[j] = mu * buf[j] + d;
        p[j] -= lr * (config_.nesterov ? d + mu * buf[j] : buf[j]);
      }
    }
    return;
  }
  const float b1 = config_.beta1, b2 = config_.beta2, eps = config_.eps;
  const double t = static_cast<double>(steps_);
  const float step_size = static_cast<float>(lr / (1.0 - std::pow(static_cast<double>(b1), t)));
  const float bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(b2), t)));
  const bool decoupled = kind_ == Kind::kAdamW;
  for (size_t i = 0; i < params_.size(); ++i) {
    const float wd = params_[i].weight_decay ? config_.weight_decay : 0.0f;
    float* p = params_[i].value.data();
    const float* g = params_[i].grad.data();
    float* m = m_[i].data();
    float* v = v_[i].data();
    const size_t n = params_[i].value.size();
    for (size_t j = 0; j < n; ++j) {
      float d = g[j];
      if (decoupled) p[j] *= 1.0f - lr * wd;
      else d += wd * p[j];
      m[j] = b1 * m[j] + (1.0f - b1) * d;
      v[j] = b2 * v[j] + (1.0f - b2) * d * d;
      p[j] -= step_size * m[j] / (std::sqrt(v[j]) / bc2_sqrt + eps);
    }
  }
}

std::vector<ParamRef> Optimizer::state() {
  std::vector<ParamRef> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i].name;
    if (kind_ == Kind::kSgd) {
      out.push_back({name + ":momentum", params_[i].shape, m_[i], {}});
    } else {
      out.push_back({name + ":adam_m", params_[i].shape, m_[i], {}});
      out.push_back({name + ":adam_v", params_[i].shape, v_[i], {}});
    }
  }
  return out;
}

}  // namespace tinyopt::train
