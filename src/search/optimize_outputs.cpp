// best.onnx, pareto.json and report.html of an optimize run, and its JSON result (optimize_outputs.h).
#include "tinyopt/search/optimize_outputs.h"

#include <filesystem>
#include <span>

#include "core/file_bytes.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/search/checkpoint_store.h"

namespace tinyopt::search {

namespace fs = std::filesystem;

namespace {

nlohmann::json checks_json(const std::vector<BudgetCheck>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const BudgetCheck& k : checks)
    out.push_back({{"budget", k.name}, {"text", k.text}, {"limit", k.limit},
                   {"value", k.value ? nlohmann::json(*k.value) : nlohmann::json(nullptr)},
                   {"status", budget_status_name(k.status)}});
  return out;
}

nlohmann::json candidate_json(const OptimizeResult& r, const Candidate& c) {
  nlohmann::json j = metrics_to_json(c.metrics);
  const auto i = static_cast<size_t>(c.spec.id);
  j["id"] = c.spec.id;
  j["label"] = c.spec.label();
  j["keep"] = c.spec.keep;
  j["weights"] = policy_name(c.spec.weights);
  j["float_accuracy"] = c.float_accuracy;
  j["duplicate"] = c.duplicate;
  j["j"] = c.duplicate ? nlohmann::json(nullptr) : nlohmann::json(r.j[i]);
  j["on_front"] = std::find(r.front.begin(), r.front.end(), c.spec.id) != r.front.end();
  j["meets_budgets"] = !c.duplicate && meets_budgets(r.checks[i]);
  j["budgets"] = checks_json(r.checks[i]);
  return j;
}

nlohmann::json device_json(const DeviceCheck& d) {
  const auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"firmware", d.firmware_dir.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.firmware_dir)},
                      {"kernels", d.kernels},
                      {"emulated", d.emulated},
                      {"not_measured", d.not_measured},
                      {"error", d.error},
                      {"candidate", d.candidate},
                      {"rejected", d.rejected}};
  if (!d.emulated) return j;
  j.update({{"platform", d.platform},
            {"same_project", d.same_project},
            {"samples", d.samples},
            {"identical", d.identical},
            {"mismatches", d.samples - d.identical},
            {"mismatched_bytes", d.mismatched_bytes},
            {"host_accuracy", d.host_accuracy},
            {"accuracy", opt(d.device_accuracy)},
            {"flash_bytes", d.flash_bytes},
            {"ram_bytes", d.ram_bytes},
            {"stack_bytes", d.stack_bytes},
            {"instructions_per_inference", d.instructions_per_inference},
            {"estimated_flash_bytes", opt(d.estimated_flash_bytes)},
            {"estimated_ram_bytes", opt(d.estimated_ram_bytes)},
            {"estimated_cycles", opt(d.estimated_cycles)},
            {"budgets", checks_json(d.budgets)}});
  return j;
}

void write_text_atomic(const std::string& path, const std::string& text) {
  detail::write_file_atomic(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

nlohmann::json optimize_result_json(const OptimizeResult& r, const std::string& out_dir) {
  nlohmann::json all = nlohmann::json::array(), front = nlohmann::json::array();
  for (const Candidate& c : r.candidates) all.push_back(candidate_json(r, c));
  for (int id : r.front) front.push_back(candidate_json(r, r.candidates[static_cast<size_t>(id)]));
  const auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  const Budgets& b = r.options.budgets;
  nlohmann::json j = {
      {"model", r.options.model_name},
      {"data", r.options.data_name},
      {"target", r.options.target_name},
      {"best", r.best ? candidate_json(r, r.candidates[static_cast<size_t>(*r.best)]) : nlohmann::json(nullptr)},
      {"closest", r.closest ? candidate_json(r, r.candidates[static_cast<size_t>(*r.closest)]) : nlohmann::json(nullptr)},
      {"pareto", front},
      {"pareto_objectives", r.objectives.names},
      {"candidates", all},
      {"constraints_met", r.best.has_value()},
      {"infeasible", r.infeasible},
      {"teacher", {{"params", r.teacher.params}, {"macs", r.teacher.macs},
                   {"fp32_weight_bytes", r.teacher.fp32_weight_bytes}, {"accuracy", r.teacher.accuracy}}},
      {"budgets", {{"max_flash", opt(b.max_flash_bytes)}, {"max_ram", opt(b.max_ram_bytes)},
                   {"max_latency_ms", opt(b.max_latency_ms)}, {"max_energy_uj", opt(b.max_energy_uj)},
                   {"min_accuracy", opt(b.min_accuracy)}}},
      {"cost_weights", {r.options.weights.accuracy, r.options.weights.latency, r.options.weights.size, r.options.weights.energy}},
      {"plan", plan_to_json(r.plan)},
      {"missing", r.missing},
      {"seconds", r.seconds},
      {"resumed_candidates", r.resumed_candidates},
      {"report", (fs::path(out_dir) / "report.html").string()}};
  if (r.best) j["output"] = (fs::path(out_dir) / "best.onnx").string();
  if (r.device) j["device"] = device_json(*r.device);
  return j;
}

void write_optimize_outputs(const OptimizeResult& r, const std::string& out_dir, const std::string& report_html) {
  if (r.best) {
    Graph best = r.candidates[static_cast<size_t>(*r.best)].qdq;
    best.metadata["tinyopt.optimize"] = r.candidates[static_cast<size_t>(*r.best)].spec.label() + ", target " +
                                        r.options.target_name;
    save_onnx(best, (fs::path(out_dir) / "best.onnx").string());
  } else {
    std::error_code ec;
    fs::remove(fs::path(out_dir) / "best.onnx", ec);  // a stale model from an earlier run would mislead
  }
  write_text_atomic((fs::path(out_dir) / "pareto.json").string(), optimize_result_json(r, out_dir).dump(2) + "\n");
  write_text_atomic((fs::path(out_dir) / "report.html").string(), report_html);
}

}  // namespace tinyopt::search
