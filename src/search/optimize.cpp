// The optimize search loop: plan, run or reload each candidate, select (optimize.h).
#include "tinyopt/search/optimize.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/search/checkpoint_store.h"
#include "tinyopt/search/stages.h"

namespace tinyopt::search {

nlohmann::json resume_key(const OptimizeOptions& o) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"data", o.data_name},
          {"target", o.target_name},
          {"time_budget_s", o.time_budget_s},
          {"seed", o.seed},
          {"threads", o.threads},
          {"test_limit", o.test_limit},
          {"finetune_images", o.finetune_images},
          {"keep_levels", o.keep_levels},
          {"round_to", o.round_to},
          // The flash budget steers mixed precision; the other budgets and the weights only steer the choice,
          // but a resumed run is meant to be the same run, so they must match too.
          {"max_flash", opt(o.budgets.max_flash_bytes)},
          {"max_ram", opt(o.budgets.max_ram_bytes)},
          {"max_latency_ms", opt(o.budgets.max_latency_ms)},
          {"max_energy_uj", opt(o.budgets.max_energy_uj)},
          {"min_accuracy", opt(o.budgets.min_accuracy)},
          {"weights", {o.weights.accuracy, o.weights.latency, o.weights.size, o.weights.energy}}};
}

namespace {

std::string describe_point(const Candidate& c) {
  std::string s = fmt::format("#{} ({}): accuracy {:.2f}%, weights {}", c.spec.id, c.spec.label(), 100 * c.metrics.accuracy,
                              format_bytes(static_cast<double>(c.metrics.weight_bytes)));
  if (c.metrics.flash_bytes) s += ", flash " + format_bytes(static_cast<double>(*c.metrics.flash_bytes));
  if (c.metrics.ram_bytes) s += ", RAM " + format_bytes(static_cast<double>(*c.metrics.ram_bytes));
  if (c.metrics.latency_ms) s += fmt::format(", latency {:.3g} ms", *c.metrics.latency_ms);
  if (c.metrics.energy_uj) s += fmt::format(", energy {:.3g} uJ", *c.metrics.energy_uj);
  return s;
}

std::string format_value(const BudgetCheck& b, double v) {
  if (b.name == "flash" || b.name == "ram") return format_bytes(v);
  if (b.name == "accuracy") return fmt::format("{:.2f}%", 100 * v);
  if (b.name == "latency") return fmt::format("{:.3g} ms", v);
  return fmt::format("{:.3g} uJ", v);
}

// Why no candidate is feasible: the budgets no candidate meets on its own (with the best value reached), or
// the budgets that cannot be met together; then the closest candidate.
std::string infeasible_message(const OptimizeResult& r, int closest) {
  std::vector<std::string> alone;
  const size_t budgets = r.checks.empty() ? 0 : r.checks[0].size();
  for (size_t b = 0; b < budgets; ++b) {
    bool met = false;
    std::optional<double> best;
    int best_id = -1;
    for (const Candidate& c : r.candidates) {
      if (c.duplicate) continue;
      const BudgetCheck& k = r.checks[static_cast<size_t>(c.spec.id)][b];
      met = met || k.status != BudgetStatus::kViolated;
      if (!k.value) continue;
      const bool better = !best || (k.name == "accuracy" ? *k.value > *best : *k.value < *best);
      if (better) best = k.value, best_id = c.spec.id;
    }
    if (!met) {
      const BudgetCheck& k = r.checks[0][b];
      alone.push_back(fmt::format("{} cannot be met (best reached: {} by #{} {})", k.text, format_value(k, *best), best_id,
                                  r.candidates[static_cast<size_t>(best_id)].spec.label()));
    }
  }
  std::string msg = "no candidate meets the budgets: ";
  if (!alone.empty()) {
    for (size_t i = 0; i < alone.size(); ++i) msg += (i ? "; " : "") + alone[i];
  } else {
    msg += "each budget is met by some candidate, but no candidate meets them all together";
  }
  const Candidate& c = r.candidates[static_cast<size_t>(closest)];
  msg += "; closest achievable point: " + describe_point(c) + ", which misses";
  bool first = true;
  for (const BudgetCheck& k : r.checks[static_cast<size_t>(closest)]) {
    if (k.status != BudgetStatus::kViolated) continue;
    msg += fmt::format("{} {} ({})", first ? "" : ",", k.text, format_value(k, *k.value));
    first = false;
  }
  return msg;
}

}  // namespace

std::optional<int> least_j_feasible(const OptimizeResult& r, const std::vector<int>& excluded) {
  std::optional<int> best;
  for (int id : r.front_pool) {
    const auto i = static_cast<size_t>(id);
    if (std::find(excluded.begin(), excluded.end(), id) != excluded.end() || !meets_budgets(r.checks[i])) continue;
    if (!best || r.j[i] < r.j[static_cast<size_t>(*best)]) best = id;
  }
  return best;
}

void select_best(OptimizeResult& r) {
  const size_t n = r.candidates.size();
  r.j.assign(n, std::numeric_limits<double>::quiet_NaN());
  r.checks.assign(n, {});
  r.front_pool.clear();
  r.front.clear();
  r.best.reset();
  r.closest.reset();
  r.infeasible.clear();
  if (n == 0) return;
  const Metrics& ref = r.candidates[0].metrics;
  std::vector<Metrics> pool;
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = r.candidates[i];
    r.checks[i] = check_budgets(c.metrics, r.options.budgets);
    if (c.duplicate) continue;
    r.j[i] = cost_j(c.metrics, ref, r.options.weights);
    r.front_pool.push_back(static_cast<int>(i));
    pool.push_back(c.metrics);
  }
  r.objectives = objectives_of(pool);
  for (size_t k : pareto_front(r.objectives.points)) r.front.push_back(r.front_pool[k]);
  r.best = least_j_feasible(r);
  if (r.best) return;
  for (int id : r.front_pool) {
    const auto i = static_cast<size_t>(id);
    if (!r.closest) {
      r.closest = id;
      continue;
    }
    const auto c = static_cast<size_t>(*r.closest);
    const double d = budget_distance(r.checks[i]), dc = budget_distance(r.checks[c]);
    if (d < dc || (d == dc && r.j[i] < r.j[c])) r.closest = id;
  }
  if (r.closest) r.infeasible = infeasible_message(r, *r.closest);
}

namespace {

using Clock = std::chrono::steady_clock;

std::string candidate_name(const CandidateSpec& s) { return fmt::format("cand{:02d}", s.id); }

// The pruned + fine-tuned float model of a candidate: the teacher for keep = 1, else from the checkpoints
// when an earlier candidate (or an interrupted run) made it, else made now and saved.
Candidate with_float_model(Candidate c, const StageContext& ctx, double teacher_accuracy) {
  if (c.spec.keep >= 1.0) {
    c.float_model = *ctx.teacher;
    c.float_accuracy = teacher_accuracy;
    return c;
  }
  const std::string key = c.spec.pruned_key();
  if (!ctx.store->has(key + ".json")) {
    Candidate made = finetune_stage(prune_stage(c, ctx), ctx);
    ctx.store->save_graph(key + ".onnx", made.float_model);
    nlohmann::json stages = nlohmann::json::array();
    for (const StageRecord& s : made.stages)
      stages.push_back({{"stage", s.stage}, {"summary", s.summary}, {"seconds", s.seconds}});
    ctx.store->save_json(key + ".json", {{"float_accuracy", made.float_accuracy}, {"stages", stages}, {"by", c.spec.id}});
    // Continue from the saved file, exactly what a resumed run would load.
    c.stages = made.stages;
  } else {
    const nlohmann::json j = ctx.store->load_json(key + ".json");
    // Made for this very candidate by an interrupted earlier run: the summary stays the candidate's own (a
    // resumed run's record then says what an uninterrupted one says, but that the stage was reloaded).
    const int by = j.at("by").get<int>();
    const std::string made_for = by == c.spec.id ? "" : fmt::format(" (made for #{})", by);
    for (const auto& s : j.at("stages"))
      c.stages.push_back({s.at("stage"), s.at("summary").get<std::string>() + made_for, 0.0, true});
  }
  c.float_model = ctx.store->load_graph(key + ".onnx");
  c.float_accuracy = ctx.store->load_json(key + ".json").at("float_accuracy");
  return c;
}

}  // namespace

OptimizeResult run_optimize(const Graph& teacher, const Dataset& train, const Dataset& test_all,
                            const OptimizeOptions& options, const std::string& out_dir,
                            const OptimizeProgressFn& progress) {
  const auto start = Clock::now();
  OptimizeResult r;
  r.options = options;
  const Dataset test = options.test_limit > 0 ? take(test_all, options.test_limit) : test_all;
  check_dataset_fits_model(teacher, train);
  check_dataset_fits_model(teacher, test);
  if (!test.labeled() || !train.labeled()) throw_bad_input("optimize needs labelled training and test data");
  const ModelSummary summary = summarize_model(teacher);
  r.teacher.params = summary.params;
  r.teacher.macs = summary.macs;
  r.teacher.fp32_weight_bytes = summary.weight_bytes;

  PlanInputs in;
  in.teacher_params = summary.params;
  in.teacher_macs = summary.macs;
  in.train_samples = train.size();
  in.test_samples = test.size();
  in.time_budget_s = options.time_budget_s;
  in.finetune_images = options.finetune_images;
  in.keep_levels = options.keep_levels;
  in.seed = options.seed;
  in.threads = options.threads;

  CheckpointStore store(out_dir);
  nlohmann::json key = resume_key(options);
  key["teacher_params"] = summary.params;
  key["teacher_macs"] = summary.macs;
  if (options.resume) {
    if (!store.has("search.json"))
      throw_usage(fmt::format("--resume: nothing to resume in {} (no {}); run without --resume", out_dir,
                              store.path("search.json")));
    const nlohmann::json saved = store.load_json("search.json");
    if (saved.at("key") != key)
      throw_usage(fmt::format("--resume: the options differ from the interrupted run in {} (was {}, now {}); use the "
                              "same options or run without --resume",
                              out_dir, saved.at("key").dump(), key.dump()));
    r.plan = plan_from_json(saved.at("plan"));
    r.teacher.accuracy = saved.at("teacher_accuracy");
  } else {
    store.remove_all();
    r.plan = plan_search(in);
    r.teacher.accuracy = evaluate_classifier(teacher, test, 256, options.threads).accuracy;
    store.save_json("search.json", {{"key", key}, {"plan", plan_to_json(r.plan)}, {"teacher_accuracy", r.teacher.accuracy}});
  }
  const SearchData data = make_search_data(train, test, r.plan);
  const std::vector<double> nominal = nominal_candidate_seconds(r.plan, in);
  double nominal_total = 0;
  for (double s : nominal) nominal_total += s;

  OptimizeProgress p;
  p.candidates = static_cast<int>(r.plan.candidates.size());
  double nominal_done = 0, computed_seconds = 0;
  Clock::time_point cand_start = Clock::now(), stage_start = cand_start;
  double stage_fraction = 0;
  size_t current = 0;
  auto eta = [&] {
    RunPace pace;
    pace.nominal_total = nominal_total;
    pace.nominal_done = nominal_done;
    pace.nominal_current = current < nominal.size() ? nominal[current] : 0.0;
    pace.computed_seconds = computed_seconds;
    pace.in_current = std::chrono::duration<double>(Clock::now() - cand_start).count();
    pace.in_stage = std::chrono::duration<double>(Clock::now() - stage_start).count();
    pace.stage_fraction = stage_fraction;
    return eta_seconds(pace);
  };
  StageContext ctx;
  ctx.teacher = &teacher;
  ctx.data = &data;
  ctx.plan = &r.plan;
  ctx.store = &store;
  ctx.round_to = options.round_to;
  ctx.target = options.target;
  ctx.weight_budget = options.budgets.max_flash_bytes;
  ctx.progress = [&](const std::string& stage, double fraction, const std::string& detail) {
    if (!progress) return;
    if (stage != p.stage || fraction < stage_fraction) stage_start = Clock::now();  // a new stage or sub-run
    stage_fraction = fraction;
    p.stage = stage;
    p.detail = detail;
    p.eta_s = eta();
    progress(p);
  };

  for (const CandidateSpec& spec : r.plan.candidates) {
    p.candidate = spec.id + 1;
    p.label = spec.label();
    current = static_cast<size_t>(spec.id);
    stage_fraction = 0;
    const std::string name = candidate_name(spec);
    Candidate c;
    c.spec = spec;
    if (store.has(name + ".json")) {
      candidate_from_json(store.load_json(name + ".json"), c);
      if (!c.duplicate) c.qdq = store.load_graph(name + ".onnx");
      ++r.resumed_candidates;
    } else {
      cand_start = Clock::now();
      c = with_float_model(std::move(c), ctx, r.teacher.accuracy);
      c = quantize_stage(std::move(c), ctx);
      if (!c.duplicate) {
        c = evaluate_stage(std::move(c), ctx);
        if (ctx.target) c = estimate_stage(std::move(c), ctx);
        store.save_graph(name + ".onnx", c.qdq);
      }
      store.save_json(name + ".json", candidate_to_json(c));
      computed_seconds += std::chrono::duration<double>(Clock::now() - cand_start).count();
    }
    nominal_done += nominal[static_cast<size_t>(spec.id)];
    current = nominal.size();  // counted in nominal_done now
    // Mixed precision's weight budget: the flash budget minus what is not weights (runtime code) in #0.
    if (spec.id == 0 && options.budgets.max_flash_bytes && c.metrics.flash_bytes)
      ctx.weight_budget = *options.budgets.max_flash_bytes - (*c.metrics.flash_bytes - c.metrics.weight_bytes);
    r.candidates.push_back(std::move(c));
    if (progress) {
      select_best(r);
      p.stage = "done";
      p.detail = r.candidates.back().duplicate ? "duplicate" : fmt::format("{:.2f}%", 100 * r.candidates.back().metrics.accuracy);
      p.best = r.best ? describe_point(r.candidates[static_cast<size_t>(*r.best)]) : "";
      cand_start = Clock::now();
      p.eta_s = eta();
      progress(p);
    }
  }
  select_best(r);
  if (!options.target)
    r.missing.push_back("cost model (latency, energy, flash, RAM on the target): no target given; the size objective "
                        "is the stored weight bytes and budgets on flash, RAM, latency and energy are unchecked");
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

}  // namespace tinyopt::search
