// Cross-entropy with label smoothing and the distillation loss (see loss.h). Log-softmax is computed
// with the max subtracted, in double, so large logits neither overflow nor lose the small terms.
#include "tinyopt/train/loss.h"

#include <cmath>
#include <string>

#include "tinyopt/core/error.h"

namespace tinyopt::train {
namespace {

// Log-softmax of one row (scaled by 1/temperature) into out[0..k), in double.
void log_softmax(const float* z, int64_t k, double inv_t, double* out) {
  double mx = z[0] * inv_t;
  for (int64_t j = 1; j < k; ++j) mx = std::max(mx, z[j] * inv_t);
  double s = 0.0;
  for (int64_t j = 0; j < k; ++j) s += std::exp(z[j] * inv_t - mx);
  const double lse = mx + std::log(s);
  for (int64_t j = 0; j < k; ++j) out[j] = z[j] * inv_t - lse;
}

void check_sizes(size_t logits, size_t labels, int64_t classes) {
  if (classes < 1 || logits != labels * static_cast<size_t>(classes))
    throw_internal("loss: " + std::to_string(logits) + " logits for " + std::to_string(labels) + " labels of " +
                   std::to_string(classes) + " classes");
}

int32_t checked_label(std::span<const int32_t> labels, size_t row, int64_t classes) {
  const int32_t y = labels[row];
  if (y < 0 || y >= classes)
    throw_bad_input("label " + std::to_string(y) + " of sample " + std::to_string(row) + " is outside [0, " +
                    std::to_string(classes) + "); the model has " + std::to_string(classes) + " outputs");
  return y;
}

constexpr int64_t kMaxClasses = 4096;  // per-row scratch lives on the stack

}  // namespace

double cross_entropy(std::span<const float> logits, std::span<const int32_t> labels, int64_t classes,
                     float label_smoothing, std::span<float> grad) {
  check_sizes(logits.size(), labels.size(), classes);
  if (classes > kMaxClasses) throw_bad_input("more than 4096 classes are not supported");
  const size_t n = labels.size();
  const double eps = label_smoothing, inv_n = 1.0 / static_cast<double>(n);
  double total = 0.0;
  double lp[kMaxClasses];
  for (size_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * classes;
    const int32_t y = checked_label(labels, i, classes);
    log_softmax(z, classes, 1.0, lp);
    double mean_nll = 0.0;
    for (int64_t j = 0; j < classes; ++j) mean_nll -= lp[j];
    mean_nll /= static_cast<double>(classes);
    total += (1.0 - eps) * -lp[y] + eps * mean_nll;
    if (grad.empty()) continue;
    float* g = grad.data() + i * classes;
    for (int64_t j = 0; j < classes; ++j) {
      const double q = (j == y ? 1.0 - eps : 0.0) + eps / static_cast<double>(classes);
      g[j] = static_cast<float>((std::exp(lp[j]) - q) * inv_n);
    }
  }
  return total * inv_n;
}

double distillation_loss(std::span<const float> student_logits, std::span<const float> teacher_logits,
                         std::span<const int32_t> labels, int64_t classes, const DistillationParams& params,
                         std::span<float> grad) {
  check_sizes(student_logits.size(), labels.size(), classes);
  if (teacher_logits.size() != student_logits.size())
    throw_bad_input("teacher has " + std::to_string(teacher_logits.size() / labels.size()) +
                    " outputs per sample, the student " + std::to_string(classes) + "; they must match");
  if (params.temperature <= 0.0f) throw_usage("distillation temperature must be positive");
  if (params.alpha < 0.0f || params.alpha > 1.0f) throw_usage("distillation alpha must be in [0, 1]");
  const double alpha = params.alpha, t = params.temperature;
  // The hard-label term writes its gradient first; the soft term adds to it.
  const double ce = cross_entropy(student_logits, labels, classes, params.label_smoothing, grad);
  if (!grad.empty())
    for (float& g : grad) g = static_cast<float>(g * (1.0 - alpha));
  const size_t n = labels.size();
  const double inv_n = 1.0 / static_cast<double>(n);
  double kl_total = 0.0;
  double ls[kMaxClasses], lt[kMaxClasses];
  for (size_t i = 0; i < n; ++i) {
    log_softmax(student_logits.data() + i * classes, classes, 1.0 / t, ls);
    log_softmax(teacher_logits.data() + i * classes, classes, 1.0 / t, lt);
    double kl = 0.0;
    for (int64_t j = 0; j < classes; ++j) kl += std::exp(lt[j]) * (lt[j] - ls[j]);
    kl_total += kl;
    if (grad.empty()) continue;
    float* g = grad.data() + i * classes;
    for (int64_t j = 0; j < classes; ++j)
      g[j] += static_cast<float>(alpha * t * (std::exp(ls[j]) - std::exp(lt[j])) * inv_n);
  }
  return alpha * t * t * kl_total * inv_n + (1.0 - alpha) * ce;
}

int64_t count_correct(std::span<const float> logits, std::span<const int32_t> labels, int64_t classes) {
  check_sizes(logits.size(), labels.size(), classes);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* z = logits.data() + i * classes;
    int64_t best = 0;
    for (int64_t j = 1; j < classes; ++j)
      if (z[j] > z[best]) best = j;
    correct += best == labels[i] ? 1 : 0;
  }
  return correct;
}

}  // namespace tinyopt::train
