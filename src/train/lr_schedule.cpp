// Learning-rate schedules with linear warm-up (see lr_schedule.h).
#include "tinyopt/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tinyopt/core/error.h"

namespace tinyopt::train {

void LrSchedule::validate() const {
  if (kind != "cosine" && kind != "step" && kind != "constant")
    throw_usage("unknown learning-rate schedule '" + kind + "'; use cosine, step or constant");
  if (!(base_lr > 0.0f) || !std::isfinite(base_lr)) throw_usage("learning rate must be a positive number");
  if (total_steps < 1 || steps_per_epoch < 1 || warmup_steps < 0) throw_usage("schedule step counts must be positive");
  if (kind == "step" && (step_epochs < 1 || gamma <= 0.0f)) throw_usage("step schedule needs step_epochs >= 1 and gamma > 0");
}

float LrSchedule::lr_at(int64_t step) const {
  if (step < warmup_steps) return base_lr * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  if (kind == "constant") return base_lr;
  if (kind == "step") {
    const auto decays = static_cast<double>(step / steps_per_epoch / step_epochs);
    return static_cast<float>(base_lr * std::pow(static_cast<double>(gamma), decays));
  }
  const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress = std::clamp(static_cast<double>(step - warmup_steps) / static_cast<double>(span), 0.0, 1.0);
  return static_cast<float>(min_lr + (base_lr - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
}

}  // namespace tinyopt::train
