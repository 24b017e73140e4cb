// The files an optimize run leaves in its output folder, and its JSON result (DESIGN.md section 4):
//   best.onnx     the chosen model (QDQ ONNX), only when a candidate meets the budgets
//   pareto.json   every candidate with its metrics, J, budget checks and whether it is on the front
//   report.html   rendered by src/report (passed in, so search does not depend on report)
// Each file is written atomically (temporary file + rename), the report last. It does not render anything.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tinyopt/search/optimize.h"

namespace tinyopt::search {

// The `--json` result and the content of pareto.json: keys `best` (accuracy, latency_ms, energy_uj,
// flash_bytes, ram_bytes, weight_bytes, id, label; null when infeasible), `pareto` (the front's candidates),
// `candidates` (all), `constraints_met`, `infeasible`, `teacher`, `plan`, `budgets`, `missing`, `report`,
// and `device` when the device stages ran (firmware folder; the emulated check: samples, identical,
// mismatches, host_accuracy, accuracy, measured and estimated flash / RAM, `budgets`: the flash / RAM
// budgets on the measured figures, `rejected`: earlier choices whose measurement violated one).
nlohmann::json optimize_result_json(const OptimizeResult& r, const std::string& out_dir);

void write_optimize_outputs(const OptimizeResult& r, const std::string& out_dir, const std::string& report_html);

}  // namespace tinyopt::search
