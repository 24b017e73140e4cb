// codegen of the chosen candidate into DIR/firmware and its emulated-device check (device_stage.h).
#include "tinyopt/search/device_stage.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/file_bytes.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/core/error.h"
#include "tinyopt/emulate/emu_platform.h"
#include "tinyopt/emulate/emulate.h"
#include "tinyopt/exec/evaluate.h"

namespace tinyopt::search {

namespace fs = std::filesystem;

bool emulatable_target(const std::string& target_name) {
  const std::vector<std::string> names = emulate::emu_platform_names();
  return target_name != "host" && std::find(names.begin(), names.end(), target_name) != names.end();
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string file_text(const fs::path& p) {
  const detail::FileBytes f = detail::read_file_bytes(p.string(), 256u << 20);
  return std::string(f.bytes.begin(), f.bytes.end());
}

// True when every model source of firmware/ has a byte-identical twin in the emulated project: then the
// device check is about the very code handed to the user, not merely the same model.
bool same_sources(const CodegenResult& firmware, const fs::path& emulated) {
  for (const std::string& rel : firmware.sources) {
    const fs::path a = fs::path(firmware.dir) / rel, b = emulated / rel;
    if (!fs::exists(b) || file_text(a) != file_text(b)) return false;
  }
  return !firmware.sources.empty();
}

std::string platform_text(const emulate::EmuPlatform& p) {
  std::string s = p.name + ": " + p.emulator;
  for (const std::string& a : p.emulator_args) {
    if (a.rfind("-semihosting", 0) == 0) break;  // the harness's plumbing, not what the board is
    s += " " + a;
  }
  return s;
}

void emulate_on_device(const Candidate& c, const OptimizeResult& r, const Dataset& test, const CodegenResult& fw,
                       const DeviceStageOptions& options, DeviceCheck& d) {
  const emulate::EmuPlatform platform = emulate::emu_platform(r.options.target_name);
  d.platform = platform_text(platform);
  if (const std::vector<std::string> missing = emulate::missing_tools(platform); !missing.empty()) {
    d.not_measured = fmt::format("{} cannot be emulated on this machine: {} not installed "
                                 "(scripts/install-deps.sh installs them)",
                                 r.options.target_name, fmt::join(missing, ", "));
    return;
  }
  const auto start = Clock::now();
  EmulateOptions eo;
  eo.target = r.options.target_name;
  eo.data = options.data;
  eo.samples = std::min<int64_t>(options.samples, test.size());
  // Kept (then removed) so its sources can be compared with firmware/.
  const fs::path work = fs::path(fw.dir).parent_path() / ".emulate-work";
  std::error_code ec;
  fs::remove_all(work, ec);
  eo.keep_dir = work.string();
  try {
    const EmulateResult e = emulate_model(c.qdq, r.options.model_name, eo);
    d.same_project = same_sources(fw, work / "project");
    d.emulated = true;
    d.samples = e.samples;
    d.identical = e.samples - e.mismatches;
    d.mismatched_bytes = e.mismatched_bytes;
    d.device_accuracy = e.accuracy;
    d.flash_bytes = e.flash_bytes;
    d.ram_bytes = e.ram_bytes;
    d.stack_bytes = e.stack_bytes;
    d.instructions_per_inference = e.instructions_per_inference;
    d.host_accuracy = evaluate_classifier(c.qdq, take(test, e.samples), 256, r.options.threads).accuracy;
  } catch (const Error& e) {
    d.error = e.what();
  }
  fs::remove_all(work, ec);
  d.emulate_seconds = seconds_since(start);
}

// Codegen of candidate `id` into DIR/firmware, then its emulated check and the budgets on the measurement.
DeviceCheck check_candidate(const OptimizeResult& r, int id, const Dataset& test, const std::string& out_dir,
                            const DeviceStageOptions& options, const OptimizeProgressFn& progress) {
  const Target& target = *r.options.target;
  const Candidate& c = r.candidates[static_cast<size_t>(id)];
  DeviceCheck d;
  d.candidate = id;
  OptimizeProgress p;
  p.candidate = p.candidates = static_cast<int>(r.candidates.size());
  p.label = c.spec.label();
  p.best = fmt::format("#{} {}", c.spec.id, c.spec.label());
  auto report = [&](const std::string& stage, const std::string& detail) {
    if (!progress) return;
    p.stage = stage;
    p.detail = detail;
    progress(p);
  };
  report("codegen", fmt::format("C99 project for {} into {}/firmware", target.name, out_dir));
  const auto start = Clock::now();
  CodegenOptions co;
  if (test.size() > 0) co.sample_input = take(test, 1).x;  // main.c's example input: a real test image
  const CodegenResult fw = generate_c_project(c.qdq, target, (fs::path(out_dir) / "firmware").string(), co);
  d.firmware_dir = fw.dir;
  d.firmware_files = static_cast<int64_t>(fw.files.size());
  d.kernels = fw.kernels;
  d.arena_bytes = static_cast<int64_t>(fw.arena_bytes);
  d.codegen_seconds = seconds_since(start);
  d.estimated_flash_bytes = c.metrics.flash_bytes;
  d.estimated_ram_bytes = c.metrics.ram_bytes;
  if (c.metrics.latency_ms) d.estimated_cycles = *c.metrics.latency_ms * 1e-3 * static_cast<double>(target.clock_hz);

  if (!emulatable_target(target.name)) {
    d.not_measured = fmt::format("{} has no emulator in tinyopt (emulated targets: cortex-m4, cortex-m7, rpi4): its "
                                 "flash, RAM and latency are the cost model's estimates, not measured",
                                 target.name);
    return d;
  }
  if (options.samples <= 0) {
    d.not_measured = "the emulated-device check was skipped (--device-samples 0)";
    return d;
  }
  report("emulate", fmt::format("{} test samples on {} under qemu", std::min<int64_t>(options.samples, test.size()),
                                target.name));
  if (options.measure) options.measure(c, d);
  else emulate_on_device(c, r, test, fw, options, d);
  d.budgets = device_budget_checks(d, r.options.budgets);
  return d;
}

// "#2 (keep 35%, int4 weights): RAM <= 32.0 KiB violated on the device: measured 32.8 KiB, estimated 29.6 KiB"
std::string rejection(const Candidate& c, const DeviceCheck& d) {
  std::string s = fmt::format("#{} ({}):", c.spec.id, c.spec.label());
  bool first = true;
  for (const BudgetCheck& k : d.budgets) {
    if (k.status != BudgetStatus::kViolated) continue;
    const std::optional<int64_t>& estimate = k.name == "flash" ? d.estimated_flash_bytes : d.estimated_ram_bytes;
    s += fmt::format("{} {} violated on the device: measured {}, estimated {}", first ? "" : ",", k.text,
                     format_bytes(*k.value), estimate ? format_bytes(static_cast<double>(*estimate)) : "none");
    first = false;
  }
  return s;
}

}  // namespace

std::vector<BudgetCheck> device_budget_checks(const DeviceCheck& d, const Budgets& b) {
  if (!d.emulated) return {};
  Budgets memory;
  memory.max_flash_bytes = b.max_flash_bytes;
  memory.max_ram_bytes = b.max_ram_bytes;
  Metrics measured;
  if (d.flash_bytes > 0) measured.flash_bytes = d.flash_bytes;
  if (d.ram_bytes > 0) measured.ram_bytes = d.ram_bytes;
  return check_budgets(measured, memory);
}

void run_device_stages(OptimizeResult& r, const Dataset& test, const std::string& out_dir,
                       const DeviceStageOptions& options, const OptimizeProgressFn& progress) {
  if (!r.best) {
    DeviceCheck d;
    d.not_measured = "no candidate meets the budgets: no firmware was generated";
    r.device = d;
    return;
  }
  if (!r.options.target) throw_internal("the device stages need the loaded target");
  std::vector<int> tried;
  std::vector<std::string> rejected;
  for (std::optional<int> id = r.best; id; id = least_j_feasible(r, tried)) {
    DeviceCheck d = check_candidate(r, *id, test, out_dir, options, progress);
    tried.push_back(*id);
    d.rejected = rejected;
    if (meets_budgets(d.budgets)) {
      r.best = id;
      r.device = d;
      return;
    }
    rejected.push_back(rejection(r.candidates[static_cast<size_t>(*id)], d));
    d.rejected = rejected;
    r.device = d;
    if (static_cast<int>(tried.size()) >= options.max_attempts) break;
  }
  // No candidate fits on the device: no model and no firmware are handed over, as for infeasible estimates.
  const bool more = least_j_feasible(r, tried).has_value();
  r.best.reset();
  r.closest = tried.back();
  r.infeasible = fmt::format("no candidate meets the budgets on the emulated device: {}; {}", fmt::join(rejected, "; "),
                             more ? fmt::format("gave up after measuring {} candidates", tried.size())
                                  : "no other candidate meets the budgets in the cost model's estimate");
  std::error_code ec;
  fs::remove_all(r.device->firmware_dir, ec);
  r.device->firmware_dir.clear();
}

}  // namespace tinyopt::search
