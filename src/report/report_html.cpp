// The optimize report (report_html.h): HTML text assembled from the search result, charts from svg_scatter.
#include "tinyopt/report/report_html.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "tinyopt/report/svg_scatter.h"
#include "tinyopt/target/cost_model.h"
#include "tinyopt/target/target.h"

namespace tinyopt::report {

using search::BudgetCheck;
using search::BudgetStatus;
using search::Candidate;
using search::format_bytes;
using search::OptimizeResult;

namespace {

const char* kStyle = R"(body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.met{color:#2a7a2a;font-weight:bold}
.violated{color:#c62828;font-weight:bold}.unchecked{color:#8a6d00}.chosen-row{background:#fff3e0}
.charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#555;font-style:italic}.box{border:1px solid #ccc;padding:8px 12px;margin:8px 0}
)";

std::string pct(double v) { return fmt::format("{:.2f}%", 100 * v); }

std::string opt_bytes(const std::optional<int64_t>& v) { return v ? format_bytes(static_cast<double>(*v)) : "—"; }
std::string opt_num(const std::optional<double>& v, const char* unit) {
  return v ? fmt::format("{:.4g} {}", *v, unit) : "—";
}

std::string td(const std::string& s, bool left = false) { return (left ? "<td class=\"l\">" : "<td>") + s + "</td>"; }

std::string point_label(const Candidate& c) {
  return fmt::format("#{} {}: {:.2f}%, {} weights", c.spec.id, c.spec.label(), 100 * c.metrics.accuracy,
                     format_bytes(static_cast<double>(c.metrics.weight_bytes)));
}

// One accuracy-vs-metric chart, or a note when the metric was not measured for every candidate.
std::string chart(const OptimizeResult& r, const std::string& id, const std::string& what,
                  const std::function<std::optional<double>(const Candidate&)>& metric) {
  ScatterChart ch;
  ch.id = id;
  ch.title = "accuracy vs " + what;
  ch.x_label = what;
  ch.y_label = "test accuracy (%)";
  for (int cid : r.front_pool) {
    const Candidate& c = r.candidates[static_cast<size_t>(cid)];
    const std::optional<double> x = metric(c);
    if (!x) return fmt::format("<div class=\"box note\" id=\"{}\">accuracy vs {}: not available — {} was not measured "
                               "(see “Not measured” below)</div>\n", id, html_escape(what), html_escape(what));
    ScatterPoint p;
    p.x = *x;
    p.y = 100 * c.metrics.accuracy;
    p.label = point_label(c);
    p.on_front = std::find(r.front.begin(), r.front.end(), cid) != r.front.end();
    p.chosen = r.best && *r.best == cid;
    p.feasible = search::meets_budgets(r.checks[static_cast<size_t>(cid)]);
    ch.points.push_back(p);
  }
  return render_scatter_svg(ch);
}

std::string budgets_section(const OptimizeResult& r) {
  std::string s = "<h2>Budgets</h2>\n";
  const std::optional<int> shown = r.best ? r.best : r.closest;
  if (!r.options.budgets.any()) return s + "<p>No hard budgets were given; the choice is the least J.</p>\n";
  if (!shown) return s + "<p>No candidate was evaluated.</p>\n";
  const search::DeviceCheck* device = r.device && r.device->candidate == *shown ? &*r.device : nullptr;
  const bool measured = device && !device->budgets.empty();
  s += fmt::format("<p>Checked on the {} candidate #{}{}.</p>\n<table id=\"budgets\"><tr><th class=\"l\">budget</th>"
                   "<th class=\"l\">checked on</th><th>value</th><th class=\"l\">status</th></tr>\n",
                   r.best ? "chosen" : "closest", *shown,
                   measured ? ": every budget on the cost model's estimate, flash and RAM also on the emulated device" : "");
  const auto row = [&s](const BudgetCheck& k, const char* where) {
    const std::string value = !k.value ? "not measured"
                              : k.name == "accuracy" ? pct(*k.value)
                              : (k.name == "flash" || k.name == "ram") ? format_bytes(*k.value)
                                                                        : fmt::format("{:.4g}", *k.value);
    s += fmt::format("<tr>{}{}{}<td class=\"l {}\">{}</td></tr>\n", td(html_escape(k.text), true), td(where, true),
                     td(value), search::budget_status_name(k.status), search::budget_status_name(k.status));
  };
  for (const BudgetCheck& k : r.checks[static_cast<size_t>(*shown)])
    row(k, k.name == "accuracy" ? "integer executor" : r.options.target ? "cost model" : "—");
  if (measured)
    for (const BudgetCheck& k : device->budgets) row(k, "emulated device");
  return s + "</table>\n";
}

std::string summary_section(const OptimizeResult& r) {
  std::string s = fmt::format(
      "<h1>tinyopt optimize report</h1>\n<p>Model <b>{}</b> ({} parameters, {} MACs, fp32 weights {}, test accuracy "
      "{}), data <b>{}</b>, target <b>{}</b>. {} candidates in {:.0f} s{}.</p>\n",
      html_escape(r.options.model_name), r.teacher.params, r.teacher.macs,
      format_bytes(static_cast<double>(r.teacher.fp32_weight_bytes)), pct(r.teacher.accuracy),
      html_escape(r.options.data_name), html_escape(r.options.target_name), r.candidates.size(), r.seconds,
      r.resumed_candidates ? fmt::format(" ({} reloaded from checkpoints)", r.resumed_candidates) : "");
  if (r.best) {
    const Candidate& c = r.candidates[static_cast<size_t>(*r.best)];
    const double ratio = static_cast<double>(r.teacher.fp32_weight_bytes) / static_cast<double>(c.metrics.weight_bytes);
    s += fmt::format("<div class=\"box\" id=\"chosen\"><b>Chosen: #{} {}</b> — test accuracy {} ({:+.2f} pt vs the "
                     "teacher), weights {} ({:.1f}× smaller than the fp32 teacher)",
                     c.spec.id, html_escape(c.spec.label()), pct(c.metrics.accuracy),
                     100 * (c.metrics.accuracy - r.teacher.accuracy), format_bytes(static_cast<double>(c.metrics.weight_bytes)),
                     ratio);
    if (c.metrics.flash_bytes)
      s += fmt::format(", flash {} ({:.1f}× smaller)", format_bytes(static_cast<double>(*c.metrics.flash_bytes)),
                       static_cast<double>(r.teacher.fp32_weight_bytes) / static_cast<double>(*c.metrics.flash_bytes));
    if (c.metrics.ram_bytes) s += ", RAM " + format_bytes(static_cast<double>(*c.metrics.ram_bytes));
    if (c.metrics.latency_ms) s += fmt::format(", latency {:.4g} ms", *c.metrics.latency_ms);
    if (c.metrics.energy_uj) s += fmt::format(", energy {:.4g} µJ", *c.metrics.energy_uj);
    s += fmt::format(", J = {:.4f}. Written to best.onnx.</div>\n", r.j[static_cast<size_t>(*r.best)]);
  } else {
    s += "<div class=\"box violated\" id=\"infeasible\">" + html_escape(r.infeasible.empty() ? "no candidate" : r.infeasible) +
         "</div>\n";
  }
  return s;
}

std::string candidates_section(const OptimizeResult& r) {
  std::string s =
      "<h2>Candidates</h2>\n<p>J = w_acc·(1−acc) + w_lat·lat/lat0 + w_size·size/size0 + w_energy·E/E0 against "
      "candidate #0 (the unpruned int8 model); weights " +
      fmt::format("{:g}, {:g}, {:g}, {:g}", r.options.weights.accuracy, r.options.weights.latency, r.options.weights.size,
                  r.options.weights.energy) +
      ". Size is " + (r.objectives.names.size() > 1 && r.objectives.names[1] == "flash_bytes" ? "flash" : "the stored weight bytes") +
      ".</p>\n<table id=\"candidates\"><tr><th>#</th><th class=\"l\">candidate</th><th>accuracy</th><th>float acc.</th>"
      "<th>weights</th><th>flash</th><th>RAM</th><th>latency</th><th>energy</th><th>J</th><th>front</th><th>budgets</th></tr>\n";
  for (const Candidate& c : r.candidates) {
    const auto i = static_cast<size_t>(c.spec.id);
    const bool front = std::find(r.front.begin(), r.front.end(), c.spec.id) != r.front.end();
    const bool chosen = r.best && *r.best == c.spec.id;
    if (c.duplicate) {
      s += fmt::format("<tr>{}{}<td class=\"l\" colspan=\"10\">{}</td></tr>\n", td(std::to_string(c.spec.id)),
                       td(html_escape(c.spec.label()), true), html_escape(c.notes.empty() ? "duplicate" : c.notes[0]));
      continue;
    }
    s += fmt::format("<tr{}>{}{}{}{}{}{}{}{}{}{}{}{}</tr>\n", chosen ? " class=\"chosen-row\"" : "",
                     td(std::to_string(c.spec.id)), td(html_escape(c.spec.label()) + (chosen ? " (chosen)" : ""), true),
                     td(pct(c.metrics.accuracy)), td(c.float_accuracy >= 0 ? pct(c.float_accuracy) : "—"),
                     td(format_bytes(static_cast<double>(c.metrics.weight_bytes))), td(opt_bytes(c.metrics.flash_bytes)),
                     td(opt_bytes(c.metrics.ram_bytes)), td(opt_num(c.metrics.latency_ms, "ms")),
                     td(opt_num(c.metrics.energy_uj, "µJ")), td(fmt::format("{:.4f}", r.j[i])), td(front ? "●" : ""),
                     td(search::meets_budgets(r.checks[i]) ? "met" : "violated"));
  }
  return s + "</table>\n";
}

std::string layers_section(const OptimizeResult& r) {
  const std::optional<int> shown = r.best ? r.best : r.closest;
  if (!shown) return "";
  const Candidate& c = r.candidates[static_cast<size_t>(*shown)];
  std::string s = fmt::format("<h2>Layers of #{} ({})</h2>\n<table id=\"layers\"><tr><th class=\"l\">layer</th><th "
                              "class=\"l\">op</th><th class=\"l\">kernel</th><th>weight bits</th><th>channels kept</th><th>MACs</th>"
                              "<th>cycles</th><th>weight bytes</th></tr>\n",
                              c.spec.id, html_escape(c.spec.label()));
  int64_t macs = 0, bytes = 0;
  for (const search::LayerRow& l : c.layers) {
    const std::string kept = l.channels_before > 0 ? fmt::format("{} / {}", l.channels_after, l.channels_before) : "—";
    s += fmt::format("<tr>{}{}{}{}{}{}{}{}</tr>\n", td(html_escape(l.name), true), td(html_escape(l.op), true),
                     td(l.kernel.empty() ? "—" : html_escape(l.kernel), true), td(l.weight_bits ? std::to_string(l.weight_bits) : "—"), td(kept), td(std::to_string(l.macs)),
                     td(l.cycles ? fmt::format("{:.0f}", *l.cycles) : "—"), td(std::to_string(l.weight_bytes)));
    macs += l.macs;
    bytes += l.weight_bytes;
  }
  s += fmt::format("<tr><th class=\"l\">total</th><th></th><th></th><th></th><th></th><th>{}</th><th></th><th>{}</th></tr>\n",
                   macs, bytes);
  return s + "</table>\n";
}

std::string stages_section(const OptimizeResult& r) {
  std::map<std::string, double> totals;
  std::string rows;
  for (const Candidate& c : r.candidates)
    for (const search::StageRecord& st : c.stages) {
      totals[st.stage] += st.seconds;
      rows += fmt::format("<tr>{}{}{}{}</tr>\n", td(std::to_string(c.spec.id)), td(html_escape(st.stage), true),
                          td(html_escape(st.summary), true), td(st.reused ? "reused" : fmt::format("{:.1f} s", st.seconds)));
    }
  std::string s = "<h2>Stages</h2>\n<p>Time per stage over all candidates: ";
  bool first = true;
  for (const auto& [stage, sec] : totals) {
    s += fmt::format("{}{} {:.1f} s", first ? "" : ", ", html_escape(stage), sec);
    first = false;
  }
  const search::SearchPlan& p = r.plan;
  s += fmt::format(
      ".</p>\n<p>Plan for a time budget of {:.0f} s (predicted {:.0f} s at nominal speed): KD fine-tune {} epoch(s) × {} "
      "images per pruning level, QAT {} epoch(s) × {} images for int4 / mixed weights, {} calibration and {} held-out "
      "images, seed {}.</p>\n",
      r.options.time_budget_s, p.predicted_seconds, p.finetune_epochs, p.finetune_per_epoch, p.qat_epochs, p.qat_per_epoch,
      p.calib_samples, p.heldout_samples, p.seed);
  s += "<table id=\"stages\"><tr><th>#</th><th class=\"l\">stage</th><th class=\"l\">what it did</th><th>time</th></tr>\n" + rows +
       "</table>\n";
  return s;
}

// Cycles per MAC of a candidate on the target (cost model), when every layer was estimated.
std::optional<double> cycles_per_mac(const Candidate& c) {
  double cycles = 0;
  int64_t macs = 0;
  for (const search::LayerRow& l : c.layers) {
    if (!l.cycles) return std::nullopt;
    cycles += *l.cycles;
    macs += l.macs;
  }
  return macs > 0 ? std::optional<double>(cycles / static_cast<double>(macs)) : std::nullopt;
}

std::string variant_reason(const std::string& variant) {
  if (variant == "dsp") return "the Cortex-M DSP extension: SMLAD multiplies two int16 pairs per instruction";
  if (variant == "neon") return "128-bit NEON: 16 int8 lanes per instruction";
  return "tinyopt has no SIMD kernels for this core yet, so the portable C reference kernels run";
}

// Why the choice suits this target: its channel multiple, the kernel variants it runs, and what the bit-width
// alternatives at the chosen pruning level cost here (the same model trades differently on another target).
std::string why_target_section(const OptimizeResult& r) {
  std::string s = "<h2>Why this target chose this</h2>\n<ul id=\"why-target\">\n";
  const Target* t = r.options.target;
  if (!t) return s + "<li>No target was given: the choice weighs accuracy against the stored weight bytes only.</li></ul>\n";
  s += fmt::format("<li>Target <b>{}</b>: {}; {:.0f} MHz, flash {}, RAM {}, features {}.</li>\n", html_escape(t->name),
                   html_escape(t->description), static_cast<double>(t->clock_hz) / 1e6,
                   format_bytes(static_cast<double>(t->flash_bytes)), format_bytes(static_cast<double>(t->ram_bytes)),
                   html_escape(fmt::format("{}", fmt::join(t->features, ", "))));
  const auto source = t->sources.find("channel_multiple");
  s += r.options.round_to == t->channel_multiple
           ? fmt::format("<li>Channel rounding: pruned layers keep a multiple of <b>{}</b> channels — {}.</li>\n",
                         r.options.round_to, html_escape(source != t->sources.end() ? source->second : "the target's SIMD width"))
           : fmt::format("<li>Channel rounding: a multiple of <b>{}</b> channels (--round-to; the target's own multiple is "
                         "{}).</li>\n", r.options.round_to, t->channel_multiple);
  const std::optional<int> shown = r.best ? r.best : r.closest;
  if (!shown) return s + "</ul>\n";
  const Candidate& c = r.candidates[static_cast<size_t>(*shown)];
  struct Use {
    int layers = 0;
    double cycles = 0;
    int64_t macs = 0;
  };
  std::map<std::string, Use> uses;
  for (const search::LayerRow& l : c.layers)
    if (!l.kernel.empty() && l.cycles) {
      Use& u = uses[l.kernel];
      ++u.layers;
      u.cycles += *l.cycles;
      u.macs += l.macs;
    }
  const std::string variant = preferred_variant(*t);
  s += fmt::format("<li>Kernels: this target runs the <b>{}</b> variants ({}). The {} model calls", variant,
                   html_escape(variant_reason(variant)), r.best ? "chosen" : "closest");
  bool first = true;
  for (const auto& [kernel, u] : uses) {
    s += fmt::format("{} <code>{}</code> on {} layer{} ({:.2f} cycles/MAC)", first ? "" : ";", html_escape(kernel), u.layers,
                     u.layers == 1 ? "" : "s", u.macs > 0 ? u.cycles / static_cast<double>(u.macs) : 0.0);
    first = false;
  }
  s += (first ? " no estimated kernels" : "") + std::string(".</li>\n");

  // The bit-width alternatives of the same pruned model, as this target prices them.
  std::string rows;
  std::optional<double> int8_cpm, int4_cpm;
  for (const Candidate& o : r.candidates) {
    if (o.duplicate || o.spec.keep != c.spec.keep) continue;
    const auto i = static_cast<size_t>(o.spec.id);
    const std::optional<double> cpm = cycles_per_mac(o);
    if (o.spec.weights == search::WeightPolicy::kInt8) int8_cpm = cpm;
    if (o.spec.weights == search::WeightPolicy::kInt4) int4_cpm = cpm;
    rows += fmt::format("<tr{}>{}{}{}{}{}{}{}{}</tr>\n", o.spec.id == c.spec.id ? " class=\"chosen-row\"" : "",
                        td("#" + std::to_string(o.spec.id)), td(search::policy_name(o.spec.weights), true),
                        td(pct(o.metrics.accuracy)), td(cpm ? fmt::format("{:.2f}", *cpm) : "—"),
                        td(opt_num(o.metrics.latency_ms, "ms")), td(opt_bytes(o.metrics.flash_bytes)),
                        td(fmt::format("{:.4f}", r.j[i])), td(search::meets_budgets(r.checks[i]) ? "met" : "violated"));
  }
  s += fmt::format("<li>Weight bits: <b>{}</b>, the least J among the candidates meeting the budgets. At the same pruning "
                   "level (keep {:.0f}%) the alternatives cost, on this target:",
                   search::policy_name(c.spec.weights), 100 * c.spec.keep);
  if (int8_cpm && int4_cpm)
    s += fmt::format(" int4 weights run at {:.2f} cycles/MAC against {:.2f} for int8 ({} here), so halving the weight "
                     "bytes {}.",
                     *int4_cpm, *int8_cpm, *int4_cpm > *int8_cpm ? "slower" : "no slower",
                     *int4_cpm > *int8_cpm ? fmt::format("costs {:.1f}× the latency", *int4_cpm / *int8_cpm)
                                           : "costs no latency");
  s += "</li>\n</ul>\n<table id=\"bits\"><tr><th>#</th><th class=\"l\">weights</th><th>accuracy</th><th>cycles/MAC</th>"
       "<th>latency</th><th>flash</th><th>J</th><th>budgets</th></tr>\n" + rows + "</table>\n";
  return s;
}

std::string device_section(const OptimizeResult& r) {
  std::string s = "<h2>Emulated-device check</h2>\n<div id=\"device-check\">\n";
  if (!r.device) return s + "<p class=\"note\">Not run: the firmware and device stages did not run.</p>\n</div>\n";
  const search::DeviceCheck& d = *r.device;
  if (!d.firmware_dir.empty())
    s += fmt::format("<p>Firmware of #{}: <code>{}</code> ({} files; kernels {}; tensor arena {}), generated in {:.1f} s.</p>\n",
                     d.candidate, html_escape(d.firmware_dir), d.firmware_files, html_escape(fmt::format("{}", fmt::join(d.kernels, ", "))),
                     format_bytes(static_cast<double>(d.arena_bytes)), d.codegen_seconds);
  if (!d.error.empty()) s += "<p class=\"violated\">Emulation failed: " + html_escape(d.error) + "</p>\n";
  if (!d.not_measured.empty()) s += "<p class=\"note\">Not measured: " + html_escape(d.not_measured) + "</p>\n";
  if (!d.rejected.empty()) {
    s += "<p>Rejected on the device (the estimate met the budget, the measurement did not):</p>\n<ul id=\"device-rejected\">\n";
    for (const std::string& why : d.rejected) s += "<li class=\"violated\">" + html_escape(why) + "</li>\n";
    s += "</ul>\n";
  }
  if (!d.emulated) return s + "</div>\n";
  const bool exact = d.identical == d.samples;
  s += fmt::format("<p>The first {} test samples on <b>{}</b> ({:.0f} s): outputs byte-identical to the host integer "
                   "executor in <b class=\"{}\">{} of {}</b> samples{}. {}</p>\n",
                   d.samples, html_escape(d.platform), d.emulate_seconds, exact ? "met" : "violated", d.identical, d.samples,
                   d.mismatched_bytes ? fmt::format(" ({} bytes differ)", d.mismatched_bytes) : "",
                   d.same_project ? "The emulated build compiled firmware/'s own model sources, byte for byte."
                                  : "The emulated project's model sources differ from firmware/'s (emulate generated "
                                    "its own project for the platform).");
  s += fmt::format("<table id=\"device-accuracy\"><tr><th class=\"l\">on these samples</th><th>host (integer executor)</th>"
                   "<th>device (emulated)</th></tr>\n<tr>{}{}{}</tr>\n</table>\n",
                   td("top-1 accuracy", true), td(pct(d.host_accuracy)), td(d.device_accuracy ? pct(*d.device_accuracy) : "—"));
  s += fmt::format("<table id=\"device-measured\"><tr><th class=\"l\"></th><th>estimated (cost model)</th><th>measured "
                   "(emulator)</th></tr>\n<tr>{}{}{}</tr>\n<tr>{}{}{}</tr>\n<tr>{}{}{}</tr>\n</table>\n",
                   td("flash (weights + runtime code)", true), td(opt_bytes(d.estimated_flash_bytes)),
                   td(format_bytes(static_cast<double>(d.flash_bytes))), td("RAM (arena + data + stack)", true),
                   td(opt_bytes(d.estimated_ram_bytes)),
                   td(format_bytes(static_cast<double>(d.ram_bytes)) + " (stack " +
                      format_bytes(static_cast<double>(d.stack_bytes)) + ")"),
                   td("per inference", true), td(d.estimated_cycles ? fmt::format("{:.0f} cycles", *d.estimated_cycles) : "—"),
                   td(fmt::format("{:.0f} instructions (qemu counts instructions, not cycles)", d.instructions_per_inference)));
  return s + "</div>\n";
}

}  // namespace

std::string render_report_html(const OptimizeResult& r) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tinyopt optimize: " +
                  html_escape(r.options.model_name) + " on " + html_escape(r.options.target_name) + "</title><style>" +
                  kStyle + "</style></head><body>\n";
  s += summary_section(r);
  s += budgets_section(r);
  s += "<h2>Pareto front</h2>\n<p>Filled points are on the front over (" + html_escape(fmt::format("{}", fmt::join(r.objectives.names, ", "))) +
       "); hollow points miss a budget; the ringed point is the chosen one.</p>\n<div class=\"charts\">\n";
  s += chart(r, "chart-acc-latency", "latency (ms)", [](const Candidate& c) { return c.metrics.latency_ms; });
  const bool flash = r.objectives.names.size() > 1 && std::find(r.objectives.names.begin(), r.objectives.names.end(),
                                                                 "flash_bytes") != r.objectives.names.end();
  s += chart(r, "chart-acc-flash", flash ? "flash (bytes)" : "weight bytes (flash without runtime code)",
             [flash](const Candidate& c) -> std::optional<double> {
               return flash ? static_cast<double>(*c.metrics.flash_bytes) : static_cast<double>(c.metrics.weight_bytes);
             });
  s += chart(r, "chart-acc-energy", "energy (µJ)", [](const Candidate& c) { return c.metrics.energy_uj; });
  s += "</div>\n";
  s += candidates_section(r);
  s += layers_section(r);
  s += stages_section(r);
  s += why_target_section(r);
  s += device_section(r);
  if (!r.missing.empty()) {
    s += "<h2>Not measured</h2>\n<ul id=\"missing\">\n";
    for (const std::string& m : r.missing) s += "<li>" + html_escape(m) + "</li>\n";
    s += "</ul>\n";
  }
  return s + "</body></html>\n";
}

}  // namespace tinyopt::report
