// Finite-difference gradient checks for the training engine (see train_test_util.h).
#include "train_test_util.h"

#include <cmath>

namespace tinyopt::testing {

std::vector<float> random_vector(size_t n, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = u(rng);
  return v;
}

std::vector<float> random_away_from_zero(size_t n, float gap, float hi, uint64_t seed) {
  std::vector<float> v = random_vector(n, gap - hi, hi - gap, seed);
  for (float& f : v) f = f >= 0.0f ? f + gap : f - gap;
  return v;
}

namespace {

double weighted_sum(std::span<const float> y, const std::vector<float>& r) {
  double s = 0.0;
  for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[i];
  return s;
}

void check_tensor(const std::string& what, std::span<float> values, std::span<const float> analytic,
                  const std::function<double()>& loss, const GradCheckOptions& opt) {
  ASSERT_EQ(values.size(), analytic.size()) << what;
  const size_t n = values.size();
  const size_t step = std::max<size_t>(1, n / static_cast<size_t>(opt.max_checks_per_tensor));
  for (size_t i = 0; i < n; i += step) {
    const float saved = values[i];
    values[i] = saved + opt.eps;
    const double up = loss();
    values[i] = saved - opt.eps;
    const double down = loss();
    values[i] = saved;
    const double numeric = (up - down) / (2.0 * opt.eps);
    const double a = analytic[i];
    const double tol = opt.atol + opt.rtol * std::max(std::abs(a), std::abs(numeric));
    EXPECT_NEAR(a, numeric, tol) << what << " element " << i << " of " << n;
  }
}

}  // namespace

void expect_gradients_match(const Graph& graph, std::vector<float> input, const GradCheckOptions& opt) {
  train::TrainGraph tg(graph, opt.batch, 1, /*input_gradient=*/true);
  ASSERT_EQ(static_cast<int64_t>(input.size()), opt.batch * tg.input_numel());
  auto y = tg.forward(input, opt.batch, opt.mode, opt.seed);
  const std::vector<float> r = random_vector(y.size(), -1.0f, 1.0f, 99);
  tg.backward(r);
  const std::vector<float> dx(tg.input_gradient().begin(), tg.input_gradient().end());
  std::vector<std::vector<float>> dparams;
  for (const auto& p : tg.parameters()) dparams.emplace_back(p.grad.begin(), p.grad.end());

  // Parameters may be perturbed in place; BN running stats change on each train-mode pass but do not
  // affect train-mode outputs.
  auto loss = [&] { return weighted_sum(tg.forward(input, opt.batch, opt.mode, opt.seed), r); };
  check_tensor("input", input, dx, loss, opt);
  for (size_t i = 0; i < tg.parameters().size(); ++i)
    check_tensor("parameter " + tg.parameters()[i].name, tg.parameters()[i].value, dparams[i], loss, opt);
}

}  // namespace tinyopt::testing
