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
  s += fmt::format("<p>Checked on the {} candidate #{}.</p>\n<table><tr><th class=\"l\">budget</th><th>value</th><th "
                   "class=\"l\">status</th></tr>\n",
                   r.best ? "chosen" : "closest", *shown);
  for (const BudgetCheck& k : r.checks[static_cast<size_t>(*shown)]) {
    const std::string value = !k.value ? "not measured"
                              : k.name == "accuracy" ? pct(*k.value)
                              : (k.name == "flash" || k.name == "ram") ? format_bytes(*k.value)
                                                                        : fmt::format("{:.4g}", *k.value);
    s += fmt::format("<tr>{}{}<td class=\"l {}\">{}</td></tr>\n", td(html_escape(k.text), true), td(value),
                     search::budget_status_name(k.status), search::budget_status_name(k.status));
  }
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
                              "class=\"l\">op</th><th>weight bits</th><th>channels kept</th><th>MACs</th><th>cycles</th>"
                              "<th>weight bytes</th></tr>\n",
                              c.spec.id, html_escape(c.spec.label()));
  int64_t macs = 0, bytes = 0;
  for (const search::LayerRow& l : c.layers) {
    const std::string kept = l.channels_before > 0 ? fmt::format("{} / {}", l.channels_after, l.channels_before) : "—";
    s += fmt::format("<tr>{}{}{}{}{}{}{}</tr>\n", td(html_escape(l.name), true), td(html_escape(l.op), true),
                     td(l.weight_bits ? std::to_string(l.weight_bits) : "—"), td(kept), td(std::to_string(l.macs)),
                     td(l.cycles ? fmt::format("{:.0f}", *l.cycles) : "—"), td(std::to_string(l.weight_bytes)));
    macs += l.macs;
    bytes += l.weight_bytes;
  }
  s += fmt::format("<tr><th class=\"l\">total</th><th></th><th></th><th></th><th>{}</th><th></th><th>{}</th></tr>\n", macs, bytes);
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

}  // namespace

std::string render_report_html(const OptimizeResult& r, const DeviceCheck& device) {
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
  s += "<h2>Emulated device check</h2>\n";
  s += device.ran ? "<p id=\"device-check\">" + html_escape(device.summary) + "</p>\n"
                  : "<p id=\"device-check\" class=\"note\">Not run: " +
                        html_escape(device.summary.empty() ? "this build has no firmware emulation" : device.summary) + "</p>\n";
  if (!r.missing.empty()) {
    s += "<h2>Not measured</h2>\n<ul id=\"missing\">\n";
    for (const std::string& m : r.missing) s += "<li>" + html_escape(m) + "</li>\n";
    s += "</ul>\n";
  }
  return s + "</body></html>\n";
}

}  // namespace tinyopt::report
