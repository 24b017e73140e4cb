// Learning-rate schedules, evaluated per optimizer step: a linear warm-up from lr/warmup_steps to lr over
// the first warmup_steps, then
//   constant: lr
//   cosine:   min_lr + (lr - min_lr) * (1 + cos(pi * progress)) / 2, progress from 0 to 1 over the
//             remaining steps (torch's CosineAnnealingLR stepped per batch)
//   step:     lr * gamma^floor(epoch / step_epochs)
#pragma once

#include <cstdint>
#include <string>

namespace tinyopt::train {

struct LrSchedule {
  std::string kind = "cosine";  // "cosine" | "step" | "constant"
  float base_lr = 0.1f;
  float min_lr = 0.0f;          // cosine floor
  int64_t total_steps = 1;
  int64_t warmup_steps = 0;
  int64_t steps_per_epoch = 1;  // step schedule
  int step_epochs = 30;         // step schedule: decay every step_epochs epochs
  float gamma = 0.1f;           // step schedule: decay factor

  // Throws Error(kUsage) for an unknown kind or inconsistent numbers.
  void validate() const;
  float lr_at(int64_t step) const;
};

}  // namespace tinyopt::train
