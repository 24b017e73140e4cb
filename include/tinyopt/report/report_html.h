// report.html of `tinyopt optimize`: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
// fetched from the network) with the evidence for the choice:
//   - the chosen model against the teacher (accuracy, size ratio) and the budgets, each met / violated /
//     unchecked, or why no candidate is feasible and the closest point;
//   - Pareto scatter plots of accuracy against latency, size (flash, or stored weight bytes before the
//     cost model) and energy, the front drawn as a line and the chosen point ringed; a chart whose metric
//     was not measured says so instead;
//   - every candidate with its metrics and J; the chosen model's per-layer table (weight bits, channels
//     kept, MACs, cycles, bytes); what each stage did to each candidate and how long it took;
//   - the emulated-device check when the run made one, else a line saying it was not run;
//   - what this build could not measure.
// It renders; it does not write files (optimize_outputs.h does).
#pragma once

#include <string>

#include "tinyopt/search/optimize.h"

namespace tinyopt::report {

// Optional evidence gathered after the search (firmware build, emulation) for the report.
struct DeviceCheck {
  bool ran = false;
  std::string summary;  // "qemu mps2-an386: 200 samples, 0 mismatches, device accuracy 92.5% = host"
};

std::string render_report_html(const search::OptimizeResult& r, const DeviceCheck& device = {});

}  // namespace tinyopt::report
