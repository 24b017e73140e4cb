// Pareto dominance and the non-dominated set (pareto.h).
#include "tinyopt/search/pareto.h"

#include "tinyopt/core/error.h"

namespace tinyopt::search {

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strictly = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    strictly = strictly || a[i] < b[i];
  }
  return strictly;
}

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].size() != points[0].size()) throw_internal("pareto_front: points with different objective counts");
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

Objectives objectives_of(const std::vector<Metrics>& metrics) {
  bool latency = !metrics.empty(), energy = !metrics.empty(), flash = !metrics.empty();
  for (const Metrics& m : metrics) {
    latency = latency && m.latency_ms.has_value();
    energy = energy && m.energy_uj.has_value();
    flash = flash && m.flash_bytes.has_value();
  }
  Objectives o;
  o.names.push_back("accuracy");
  if (latency) o.names.push_back("latency_ms");
  o.names.push_back(flash ? "flash_bytes" : "weight_bytes");
  if (energy) o.names.push_back("energy_uj");
  for (const Metrics& m : metrics) {
    std::vector<double> p{-m.accuracy};
    if (latency) p.push_back(*m.latency_ms);
    p.push_back(flash ? static_cast<double>(*m.flash_bytes) : static_cast<double>(m.weight_bytes));
    if (energy) p.push_back(*m.energy_uj);
    o.points.push_back(std::move(p));
  }
  return o;
}

}  // namespace tinyopt::search
