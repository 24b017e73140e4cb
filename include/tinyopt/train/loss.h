// Classification losses with their gradients w.r.t. the logits, averaged over the batch:
//   cross_entropy:     CE with label smoothing eps (PyTorch's definition):
//                        L = (1 - eps) * -log p_y + eps * mean_k(-log p_k),  dL/dz = (p - q) / N,
//                        q = (1 - eps) * onehot(y) + eps / K
//   distillation_loss: Hinton's knowledge distillation with temperature T and weight alpha:
//                        L = alpha * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) + (1 - alpha) * CE(y, z_s)
//                        dL/dz_s = alpha * T * (softmax(z_s / T) - softmax(z_t / T)) / N + (1 - alpha) * dCE
// Logits are (N, K) row-major. Labels outside [0, K) throw Error(kBadInput) naming the label and row.
#pragma once

#include <cstdint>
#include <span>

namespace tinyopt::train {

// Returns the mean loss; writes dL/dlogits into grad (same size as logits) unless grad is empty.
double cross_entropy(std::span<const float> logits, std::span<const int32_t> labels, int64_t classes,
                     float label_smoothing, std::span<float> grad);

struct DistillationParams {
  float temperature = 4.0f;
  float alpha = 0.9f;            // weight of the soft-target term
  float label_smoothing = 0.0f;  // of the hard-label term
};

double distillation_loss(std::span<const float> student_logits, std::span<const float> teacher_logits,
                         std::span<const int32_t> labels, int64_t classes, const DistillationParams& params,
                         std::span<float> grad);

// Rows whose arg-max (first maximum) equals the label.
int64_t count_correct(std::span<const float> logits, std::span<const int32_t> labels, int64_t classes);

}  // namespace tinyopt::train
