// What the optimize search measures about a candidate and how it judges it (DESIGN.md section 1): the
// metrics (accuracy, latency, flash, RAM, energy), the hard budgets a chosen model must meet, and the
// multi-objective cost
//
//   J = w_acc * (1 - acc) + w_lat * lat / lat0 + w_size * size / size0 + w_energy * E / E0
//
// with lat0 / size0 / E0 taken from a reference candidate (the search uses the unpruned int8 model).
// A metric the pipeline could not measure (no cost model for the target yet, say) is absent, never guessed:
// its J term is left out and a budget on it is reported as unchecked. This file holds no search logic and
// no I/O; the pipeline (optimize.h) and the Pareto front (pareto.h) use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyopt::search {

struct Metrics {
  double accuracy = 0;                    // top-1 on the test set, integer executor, 0..1
  int64_t weight_bytes = 0;               // weights + biases as stored (inspect's weight_bytes)
  std::optional<double> latency_ms;       // cost model (estimate) on the target
  std::optional<double> energy_uj;        // cost model
  std::optional<int64_t> flash_bytes;     // cost model: weights + runtime code
  std::optional<int64_t> ram_bytes;       // memory plan / cost model: arena + stack

  // The size objective: flash when the cost model measured it, else the stored weight bytes.
  double size_bytes() const;
};

struct Budgets {
  std::optional<int64_t> max_flash_bytes;
  std::optional<int64_t> max_ram_bytes;
  std::optional<double> max_latency_ms;
  std::optional<double> max_energy_uj;
  std::optional<double> min_accuracy;  // 0..1

  bool any() const;
};

// The weights of J. Defaults: one accuracy point (0.01 -> 0.1) weighs as much as the whole reference size
// (or latency, or energy) would, so a model may shrink a lot for little accuracy (docs/optimize.md).
struct CostWeights {
  double accuracy = 10.0;
  double latency = 0.1;
  double size = 0.1;
  double energy = 0.1;
};

// Parses "acc,lat,size,energy" (four non-negative numbers, not all zero). Throws Error(kUsage) otherwise.
CostWeights parse_cost_weights(const std::string& text);

// J of `m` against the reference `ref`. A term whose metric is absent in either (or whose reference is 0)
// is left out, for every candidate alike since the same stages ran for all of them.
double cost_j(const Metrics& m, const Metrics& ref, const CostWeights& w);

enum class BudgetStatus { kMet, kViolated, kUnchecked };
const char* budget_status_name(BudgetStatus s);  // "met", "violated", "unchecked"

struct BudgetCheck {
  std::string name;                // "flash", "ram", "latency", "energy", "accuracy"
  std::string text;                // "flash <= 65536 B"
  double limit = 0;
  std::optional<double> value;     // the candidate's value (absent: not measured)
  BudgetStatus status = BudgetStatus::kUnchecked;
  double excess = 0;               // relative violation: value / limit - 1 (accuracy: (limit - value) / limit)
};

// One check per budget that is set, in the order flash, ram, latency, energy, accuracy.
std::vector<BudgetCheck> check_budgets(const Metrics& m, const Budgets& b);
// No budget violated (unchecked ones do not count against a candidate; the report lists them).
bool meets_budgets(const std::vector<BudgetCheck>& checks);
// Sum of the relative excesses of the violated budgets: how far a candidate is from feasible.
double budget_distance(const std::vector<BudgetCheck>& checks);

// "64.0 KiB", "812 B", "1.20 MiB" for messages and the report.
std::string format_bytes(double bytes);

}  // namespace tinyopt::search
