// The whole structured prune (prune.h): analysis, scores, selection and shrink, once or in several steps
// with a caller-supplied fine-tune between them (the CLI passes a KD training run). Step k of K aims at
// the k/K point of a geometric path from the model to the target (kept fraction, MACs or parameters), so
// each step removes a similar share of what is left. Minimum widths stay relative to the unpruned model.
#include <algorithm>
#include <cmath>

#include "passes/prune/prune_internal.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"

namespace tinyopt::prune {

Graph prune_structured(const Graph& graph, const PruneOptions& options, const FineTuneFn& fine_tune,
                       const StepFn& on_step) {
  if (options.steps < 1) throw_usage("--steps must be at least 1");
  const ModelSummary start = summarize_model(graph);
  PruneTarget base = options.target;
  for (const ChannelSpace& s : analyze_channels(graph).spaces)
    if (!base.original_width.count(s.node)) base.original_width[s.node] = s.width;

  Graph current = graph;
  for (int step = 1; step <= options.steps; ++step) {
    const double f = static_cast<double>(step) / options.steps;
    PruneTarget t = base;
    if (base.ratio >= 0) {
      // Remove the same share of what is left in every step: (1 - r)^K = 1 - ratio.
      t.ratio = 1.0 - std::pow(1.0 - base.ratio, 1.0 / options.steps);
    } else if (!base.widths.empty()) {
      // Each named layer follows its own geometric path to the asked width, rounded up to round_to on the way.
      for (auto& [node, final_width] : t.widths) {
        const double orig = static_cast<double>(base.original_width.count(node) ? base.original_width.at(node) : final_width);
        const double w = orig * std::pow(static_cast<double>(final_width) / orig, f);
        const int64_t up = (static_cast<int64_t>(std::ceil(w - 1e-9)) + base.round_to - 1) / base.round_to * base.round_to;
        if (step < options.steps) final_width = std::clamp(up, final_width, static_cast<int64_t>(orig));
      }
    } else if (base.target_macs >= 0) {
      const double m = static_cast<double>(start.macs) * std::pow(static_cast<double>(base.target_macs) /
                                                                   static_cast<double>(std::max<int64_t>(1, start.macs)), f);
      t.target_macs = step == options.steps ? base.target_macs : static_cast<int64_t>(std::ceil(m));
    } else {
      const double p = static_cast<double>(start.params) *
                       std::pow(static_cast<double>(base.target_params) /
                                static_cast<double>(std::max<int64_t>(1, start.params)), f);
      t.target_params = step == options.steps ? base.target_params : static_cast<int64_t>(std::ceil(p));
    }
    const ChannelAnalysis a = analyze_channels(current);
    const auto scores = channel_scores(current, a, options.criterion, options.taylor);
    const SelectionResult r = select_channels(current, a, scores, t);
    current = shrink_channels(current, a, r.selection);
    if (on_step) on_step({step, r.macs, r.params});
    if (fine_tune) current = fine_tune(current, step);
  }
  return current;
}

}  // namespace tinyopt::prune
