// The Pareto front of the optimize search: the candidates no other candidate beats on every objective at
// once. Objectives are plain vectors of numbers to minimise (the search negates accuracy), so the front is
// independent of what the numbers mean; objectives_of() builds them from Metrics for the four the search
// trades (accuracy, latency, size, energy), leaving out any that a candidate set lacks.
//
// Dominance: a dominates b when a <= b in every objective and a < b in at least one. Points that are equal
// in every objective do not dominate each other, so duplicates are all on the front.
// O(n^2 * d): candidate sets are small (tens), and simplicity beats a sweep here.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tinyopt/search/objectives.h"

namespace tinyopt::search {

bool dominates(const std::vector<double>& a, const std::vector<double>& b);

// Indices of the non-dominated points, ascending. All points must have the same number of objectives
// (Error kInternal otherwise).
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points);

struct Objectives {
  std::vector<std::string> names;               // e.g. {"accuracy", "latency_ms", "flash_bytes", "energy_uj"}
  std::vector<std::vector<double>> points;      // per candidate, to minimise (accuracy negated)
};

// Accuracy always; latency and energy when every candidate has them; size as flash when every candidate
// has flash, else as weight bytes ("weight_bytes").
Objectives objectives_of(const std::vector<Metrics>& metrics);

}  // namespace tinyopt::search
