// report.html of `tinyopt optimize`: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
// fetched from the network) with the evidence for the choice:
//   - the chosen model against the teacher (accuracy, size ratio) and the budgets, each met / violated /
//     unchecked, or why no candidate is feasible and the closest point;
//   - Pareto scatter plots of accuracy against latency, size (flash, or stored weight bytes before the
//     cost model) and energy, the front drawn as a line and the chosen point ringed; a chart whose metric
//     was not measured says so instead;
//   - every candidate with its metrics and J; the chosen model's per-layer table (weight bits, channels
//     kept, MACs, cycles, bytes); what each stage did to each candidate and how long it took;
//   - why the choice suits the target: its channel multiple, the kernel variants it runs, what the bit-width
//     alternatives of the chosen pruning level cost there;
//   - the firmware and the emulated-device check (host vs device accuracy on the same samples, identical
//     output bytes, measured flash / RAM / instructions beside the estimates), or why it was not measured;
//   - what this build could not measure.
// It renders; it does not write files (optimize_outputs.h does).
#pragma once

#include <string>

#include "tinyopt/search/optimize.h"

namespace tinyopt::report {

// r.options.target (when set) must still be alive: the why-this-target section reads it.
std::string render_report_html(const search::OptimizeResult& r);

}  // namespace tinyopt::report
