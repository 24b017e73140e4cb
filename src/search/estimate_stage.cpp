// The estimate stage of the optimize pipeline (stages.h): the target cost model on a candidate's QDQ model.
#include <fmt/format.h>

#include <chrono>
#include <map>

#include "tinyopt/exec/integer_program.h"
#include "tinyopt/search/stages.h"
#include "tinyopt/target/cost_model.h"

namespace tinyopt::search {

Candidate estimate_stage(Candidate c, const StageContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  if (ctx.progress) ctx.progress("estimate", 0, ctx.target->name);
  const Estimate e = estimate_program(lower_qdq_graph(c.qdq), *ctx.target);
  c.metrics.latency_ms = e.latency_ms;
  c.metrics.energy_uj = e.energy_uj;
  c.metrics.flash_bytes = e.flash_bytes;
  c.metrics.ram_bytes = e.ram_bytes;
  // Cycles per layer row: the steps implementing each IR node.
  std::map<std::string, double> cycles;
  std::map<std::string, std::string> kernel;
  for (const LayerEstimate& l : e.layers) {
    cycles[l.name] += l.cycles;
    kernel.emplace(l.name, l.kernel);  // a row's main kernel: the first step implementing the node
  }
  for (LayerRow& row : c.layers)
    if (const auto it = cycles.find(row.name); it != cycles.end()) {
      row.cycles = it->second;
      row.kernel = kernel[row.name];
    }
  c.stages.push_back({"estimate",
                      fmt::format("{}: {:.3g} ms, {:.3g} uJ, flash {} (weights {} + code {}), RAM {} (arena {} + stack {})",
                                  e.target, e.latency_ms, e.energy_uj, format_bytes(static_cast<double>(e.flash_bytes)),
                                  format_bytes(static_cast<double>(e.weight_bytes)), format_bytes(static_cast<double>(e.code_bytes)),
                                  format_bytes(static_cast<double>(e.ram_bytes)), format_bytes(static_cast<double>(e.arena_bytes)),
                                  format_bytes(static_cast<double>(e.stack_bytes))),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), false});
  return c;
}

}  // namespace tinyopt::search
