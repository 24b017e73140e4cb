// Metrics, budgets and the cost J of the optimize search (objectives.h): pure arithmetic on measured
// numbers, no search logic.
#include "tinyopt/search/objectives.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "tinyopt/core/error.h"

namespace tinyopt::search {

double Metrics::size_bytes() const {
  return flash_bytes ? static_cast<double>(*flash_bytes) : static_cast<double>(weight_bytes);
}

bool Budgets::any() const {
  return max_flash_bytes || max_ram_bytes || max_latency_ms || max_energy_uj || min_accuracy;
}

CostWeights parse_cost_weights(const std::string& text) {
  std::vector<double> v;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    double x = 0;
    try {
      x = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !std::isfinite(x) || x < 0)
      throw_usage(fmt::format("--weights: '{}' is not a non-negative number (expected acc,lat,size,energy, e.g. 10,0.1,0.1,0.1)",
                              item));
    v.push_back(x);
  }
  if (v.size() != 4)
    throw_usage(fmt::format("--weights needs four numbers acc,lat,size,energy, got {} in '{}'", v.size(), text));
  if (v[0] + v[1] + v[2] + v[3] <= 0) throw_usage("--weights: at least one weight must be positive");
  return CostWeights{v[0], v[1], v[2], v[3]};
}

namespace {

// w * value / ref, or 0 when either side is absent (the term is left out for every candidate alike).
template <typename T>
double ratio_term(double w, const std::optional<T>& value, const std::optional<T>& ref) {
  if (w == 0 || !value || !ref || *ref <= 0) return 0;
  return w * static_cast<double>(*value) / static_cast<double>(*ref);
}

}  // namespace

double cost_j(const Metrics& m, const Metrics& ref, const CostWeights& w) {
  double j = w.accuracy * (1.0 - m.accuracy);
  j += ratio_term(w.latency, m.latency_ms, ref.latency_ms);
  j += ratio_term(w.energy, m.energy_uj, ref.energy_uj);
  // Size compares like with like: flash when both have it, else stored weight bytes.
  if (m.flash_bytes && ref.flash_bytes) j += ratio_term(w.size, m.flash_bytes, ref.flash_bytes);
  else if (ref.weight_bytes > 0) j += w.size * static_cast<double>(m.weight_bytes) / static_cast<double>(ref.weight_bytes);
  return j;
}

const char* budget_status_name(BudgetStatus s) {
  switch (s) {
    case BudgetStatus::kMet: return "met";
    case BudgetStatus::kViolated: return "violated";
    case BudgetStatus::kUnchecked: return "unchecked";
  }
  return "?";
}

std::string format_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024.0) return fmt::format("{:.2f} MiB", bytes / (1024.0 * 1024.0));
  if (bytes >= 1024.0) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{:.0f} B", bytes);
}

namespace {

template <typename T>
BudgetCheck upper_bound(const std::string& name, const std::string& text, double limit, const std::optional<T>& value) {
  BudgetCheck c{name, text, limit, std::nullopt, BudgetStatus::kUnchecked, 0};
  if (!value) return c;
  c.value = static_cast<double>(*value);
  c.status = *c.value <= limit ? BudgetStatus::kMet : BudgetStatus::kViolated;
  if (c.status == BudgetStatus::kViolated) c.excess = limit > 0 ? *c.value / limit - 1.0 : *c.value;
  return c;
}

}  // namespace

std::vector<BudgetCheck> check_budgets(const Metrics& m, const Budgets& b) {
  std::vector<BudgetCheck> out;
  if (b.max_flash_bytes)
    out.push_back(upper_bound("flash", fmt::format("flash <= {}", format_bytes(static_cast<double>(*b.max_flash_bytes))),
                              static_cast<double>(*b.max_flash_bytes), m.flash_bytes));
  if (b.max_ram_bytes)
    out.push_back(upper_bound("ram", fmt::format("RAM <= {}", format_bytes(static_cast<double>(*b.max_ram_bytes))),
                              static_cast<double>(*b.max_ram_bytes), m.ram_bytes));
  if (b.max_latency_ms)
    out.push_back(upper_bound("latency", fmt::format("latency <= {:g} ms", *b.max_latency_ms), *b.max_latency_ms,
                              m.latency_ms));
  if (b.max_energy_uj)
    out.push_back(upper_bound("energy", fmt::format("energy <= {:g} uJ", *b.max_energy_uj), *b.max_energy_uj,
                              m.energy_uj));
  if (b.min_accuracy) {
    BudgetCheck c{"accuracy", fmt::format("accuracy >= {:.2f}%", 100 * *b.min_accuracy), *b.min_accuracy, m.accuracy,
                  BudgetStatus::kMet, 0};
    if (m.accuracy < *b.min_accuracy) {
      c.status = BudgetStatus::kViolated;
      c.excess = *b.min_accuracy > 0 ? (*b.min_accuracy - m.accuracy) / *b.min_accuracy : 0;
    }
    out.push_back(c);
  }
  return out;
}

bool meets_budgets(const std::vector<BudgetCheck>& checks) {
  for (const BudgetCheck& c : checks)
    if (c.status == BudgetStatus::kViolated) return false;
  return true;
}

double budget_distance(const std::vector<BudgetCheck>& checks) {
  double d = 0;
  for (const BudgetCheck& c : checks) d += c.status == BudgetStatus::kViolated ? c.excess : 0;
  return d;
}

}  // namespace tinyopt::search
