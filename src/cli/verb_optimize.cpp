// `tinyopt optimize MODEL --data D --target T [--max-flash --max-ram --max-latency-ms --max-energy-uj
// --min-accuracy --weights acc,lat,size,energy --time-budget S --resume --device-samples N] [--json] -o DIR`:
// the staged search of search::run_optimize, the chosen model's firmware and its emulated-device check
// (search::run_device_stages), then best.onnx, pareto.json and report.html in DIR. Infeasible budgets exit 1
// naming the budget that cannot be met and the closest point; so does an emulated device whose outputs differ
// from the host's, and a run whose every measured firmware violates a flash or RAM budget (the report is
// written in all cases).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/progress.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/report/report_html.h"
#include "tinyopt/search/device_stage.h"
#include "tinyopt/search/optimize.h"
#include "tinyopt/search/optimize_outputs.h"
#include "tinyopt/target/target.h"

namespace tinyopt::cli {
namespace {

struct OptimizeArgs {
  std::string model, data, target, out, weights;
  uint64_t max_flash = 0, max_ram = 0;
  double max_latency_ms = 0, max_energy_uj = 0, min_accuracy = -1;
  search::OptimizeOptions options;
  int64_t device_samples = 100;
  bool json = false;
  bool round_to_given = false;
};

search::OptimizeOptions options_from(const OptimizeArgs& a) {
  search::OptimizeOptions o = a.options;
  o.model_name = a.model;
  o.data_name = a.data;
  o.target_name = a.target;
  if (a.max_flash > 0) o.budgets.max_flash_bytes = static_cast<int64_t>(a.max_flash);
  if (a.max_ram > 0) o.budgets.max_ram_bytes = static_cast<int64_t>(a.max_ram);
  if (a.max_latency_ms > 0) o.budgets.max_latency_ms = a.max_latency_ms;
  if (a.max_energy_uj > 0) o.budgets.max_energy_uj = a.max_energy_uj;
  if (a.min_accuracy >= 0) o.budgets.min_accuracy = a.min_accuracy > 1.0 ? a.min_accuracy / 100.0 : a.min_accuracy;
  if (!a.weights.empty()) o.weights = search::parse_cost_weights(a.weights);
  for (double k : o.keep_levels)
    if (!(k > 0 && k < 1)) throw_usage(fmt::format("--keep: {} is not a fraction in (0, 1)", k));
  return o;
}

std::string progress_text(const search::OptimizeProgress& p) {
  std::string s = fmt::format("optimize [{}/{}] {} | {} {}", p.candidate, p.candidates, p.label, p.stage, p.detail);
  if (!p.best.empty()) s += " | best " + p.best;
  if (p.eta_s >= 0) s += " | ETA " + format_duration(p.eta_s);
  return s;
}

void run_optimize_verb(const OptimizeArgs& a) {
  search::OptimizeOptions options = options_from(a);
  const Target target = load_target(a.target);
  options.target = &target;
  if (!a.round_to_given) options.round_to = std::max(1, target.channel_multiple);
  const Graph model = load_model(a.model);
  const Dataset train = load_dataset(a.data, Split::kTrain);
  const Dataset test = load_dataset(a.data, Split::kTest);
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) throw_bad_input(a.out + ": cannot create the output folder: " + ec.message());

  ProgressLine progress(5.0);
  const auto show = [&](const search::OptimizeProgress& p) {
    progress.update(progress_text(p), p.stage == "done" || p.stage == "codegen" || p.stage == "emulate");
  };
  search::OptimizeResult r = with_error_context(a.model, [&] {
    search::OptimizeResult res = search::run_optimize(model, train, test, options, a.out, show);
    search::DeviceStageOptions device;
    device.data = a.data;
    device.samples = a.device_samples;
    search::run_device_stages(res, test, a.out, device, show);
    return res;
  });
  progress.finish();
  search::write_optimize_outputs(r, a.out, report::render_report_html(r));
  const std::string report = (std::filesystem::path(a.out) / "report.html").string();
  if (a.json) fmt::print("{}\n", search::optimize_result_json(r, a.out).dump(2));
  if (!r.best) throw Error(ErrorKind::kInfeasible, r.infeasible + " (report: " + report + ")");
  const search::DeviceCheck& d = *r.device;
  if (!d.error.empty()) throw_bad_input("the emulated-device check failed: " + d.error + " (report: " + report + ")");
  if (d.emulated && d.identical != d.samples)
    throw_internal(fmt::format("the emulated {} firmware's outputs differ from the host integer executor's in {} of {} "
                               "samples (report: {})",
                               a.target, d.samples - d.identical, d.samples, report));
  if (a.json) return;
  const search::Candidate& c = r.candidates[static_cast<size_t>(*r.best)];
  fmt::print("chosen #{} ({}): test accuracy {:.2f}% ({:+.2f} pt vs the teacher's {:.2f}%), weights {} ({:.1f}x smaller "
             "than the fp32 teacher's {})\n",
             c.spec.id, c.spec.label(), 100 * c.metrics.accuracy, 100 * (c.metrics.accuracy - r.teacher.accuracy),
             100 * r.teacher.accuracy, search::format_bytes(static_cast<double>(c.metrics.weight_bytes)),
             static_cast<double>(r.teacher.fp32_weight_bytes) / static_cast<double>(c.metrics.weight_bytes),
             search::format_bytes(static_cast<double>(r.teacher.fp32_weight_bytes)));
  fmt::print("{} candidates ({} on the Pareto front) in {:.0f} s; wrote {}/best.onnx, pareto.json, report.html\n",
             r.candidates.size(), r.front.size(), r.seconds, a.out);
  if (c.metrics.flash_bytes && c.metrics.ram_bytes && c.metrics.latency_ms)
    fmt::print("on {} (cost model): flash {} ({:.1f}x smaller than the fp32 teacher's weights), RAM {}, latency {:.3g} ms\n",
               a.target, search::format_bytes(static_cast<double>(*c.metrics.flash_bytes)),
               static_cast<double>(r.teacher.fp32_weight_bytes) / static_cast<double>(*c.metrics.flash_bytes),
               search::format_bytes(static_cast<double>(*c.metrics.ram_bytes)), *c.metrics.latency_ms);
  fmt::print("firmware: {} ({} files)\n", d.firmware_dir, d.firmware_files);
  if (d.emulated) {
    const double device = d.device_accuracy.value_or(-1);
    fmt::print("emulated {}: {} test samples, outputs byte-identical to the host in {}/{}; accuracy host {:.2f}% {} device "
               "{:.2f}%; measured flash {}, RAM {}, {:.0f} instructions per inference\n",
               d.platform, d.samples, d.identical, d.samples, 100 * d.host_accuracy, device == d.host_accuracy ? "=" : "!=",
               100 * device, search::format_bytes(static_cast<double>(d.flash_bytes)),
               search::format_bytes(static_cast<double>(d.ram_bytes)), d.instructions_per_inference);
  }
  for (const search::BudgetCheck& k : d.budgets)
    fmt::print("budget {} on the emulated device: {} (measured {})\n", k.text, search::budget_status_name(k.status),
               k.value ? search::format_bytes(*k.value) : "nothing");
  for (const std::string& why : d.rejected) fmt::print("rejected on the device, next candidate tried: {}\n", why);
  if (!d.not_measured.empty()) fmt::print("not measured: {}\n", d.not_measured);
  for (const std::string& m : r.missing) fmt::print("not measured: {}\n", m);
}

}  // namespace

void add_optimize_verb(CLI::App& app) {
  auto a = std::make_shared<OptimizeArgs>();
  CLI::App* cmd = app.add_subcommand("optimize", "search prune x quantize candidates for a target under budgets");
  cmd->add_option("model", a->model, "float ONNX model (the teacher)")->required();
  cmd->add_option("--data", a->data, "fashion-mnist, a folder of IDX files, x.npy,y.npy or a .csv")->required();
  cmd->add_option("--target", a->target, "target device (tinyopt targets lists them)")->required();
  cmd->add_option("-o,--output", a->out, "output folder")->required();
  cmd->add_option("--max-flash", a->max_flash, "flash budget (64KiB, 1MiB, bytes)")->transform(CLI::AsSizeValue(true));
  cmd->add_option("--max-ram", a->max_ram, "RAM budget (32KiB, bytes)")->transform(CLI::AsSizeValue(true));
  cmd->add_option("--max-latency-ms", a->max_latency_ms, "latency budget per inference")->check(CLI::PositiveNumber);
  cmd->add_option("--max-energy-uj", a->max_energy_uj, "energy budget per inference")->check(CLI::PositiveNumber);
  cmd->add_option("--min-accuracy", a->min_accuracy, "least test accuracy (0.9 or 90)")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--weights", a->weights, "weights of J: acc,lat,size,energy (default 10,0.1,0.1,0.1)");
  cmd->add_option("--time-budget", a->options.time_budget_s, "seconds the search is sized for (default 300)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--resume", a->options.resume, "continue an interrupted run in the same output folder");
  cmd->add_option("--seed", a->options.seed, "seed of sampling and training");
  cmd->add_option("--threads", a->options.threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--limit", a->options.test_limit, "evaluate on the first N test images only (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--finetune-images", a->options.finetune_images,
                  "KD fine-tune images per pruning level (default: sized to --time-budget)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--keep", a->options.keep_levels, "pruning levels: fractions of the parameters to keep (e.g. 0.5,0.35)")
      ->delimiter(',');
  cmd->add_option("--round-to", a->options.round_to, "kept channels per layer a multiple of N (default: the target's)")
      ->check(CLI::Range(int64_t{1}, int64_t{64}))
      ->each([a](const std::string&) { a->round_to_given = true; });
  cmd->add_option("--device-samples", a->device_samples,
                  "test samples the emulated device runs to check the firmware (default 100; 0 skips it)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", a->json, "print the result as JSON");
  cmd->callback([a] { run_optimize_verb(*a); });
}

}  // namespace tinyopt::cli
