// Channel selection (prune.h, step 3): how many channels each dependency group keeps and which. Per group
// the kept count k is clamped to the minimum width and rounded so every space keeps a multiple of round_to
// channels (or all of them); the lowest-scored channels go. A ratio sets k per group (uniform) or through
// one global score threshold; a MAC or parameter target searches that threshold (MACs and parameters fall
// monotonically as it rises) for the least pruning that meets the target.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "passes/prune/prune_internal.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"

namespace tinyopt::prune {
namespace {

struct GroupPlan {
  size_t group = 0;
  int64_t width = 0;  // channels (units of removal)
  int64_t min_keep = 1;
  int64_t step = 1;   // kept counts are multiples of step (or width)
  std::vector<size_t> order;  // channels by ascending score
  int64_t elements_per_channel = 1;
};

int64_t round_up_keep(const GroupPlan& p, int64_t k) {
  k = std::max(k, p.min_keep);
  if (k >= p.width) return p.width;
  k = (k + p.step - 1) / p.step * p.step;
  return std::min(k, p.width);
}

std::vector<GroupPlan> plan_groups(const ChannelAnalysis& a, const std::vector<std::vector<double>>& scores,
                                   const PruneTarget& t) {
  std::vector<GroupPlan> plans;
  for (size_t gi = 0; gi < a.groups.size(); ++gi) {
    const DependencyGroup& g = a.groups[gi];
    if (!g.prunable) continue;
    GroupPlan p;
    p.group = gi;
    p.width = static_cast<int64_t>(g.channels.size());
    p.elements_per_channel = static_cast<int64_t>(g.channels[0].elements.size());
    for (int s : g.spaces) {
      const ChannelSpace& sp = a.spaces[static_cast<size_t>(s)];
      const int64_t per = std::max<int64_t>(1, (sp.width + p.width - 1) / p.width);  // space channels per unit
      auto orig = t.original_width.find(sp.node);
      const int64_t original = orig == t.original_width.end() ? sp.width : orig->second;
      int64_t min_width = t.min_channels > 0 ? t.min_channels
                                             : std::max<int64_t>(4, (original + 9) / 10);
      min_width = std::min(min_width, sp.width);
      p.min_keep = std::max(p.min_keep, (min_width + per - 1) / per);
      const int64_t q = t.round_to / std::gcd(t.round_to, per);
      p.step = std::lcm(p.step, q);
    }
    p.min_keep = round_up_keep(p, p.min_keep);
    p.order.resize(g.channels.size());
    std::iota(p.order.begin(), p.order.end(), size_t{0});
    const std::vector<double>& s = scores[gi];
    std::stable_sort(p.order.begin(), p.order.end(), [&](size_t x, size_t y) { return s[x] < s[y]; });
    plans.push_back(std::move(p));
  }
  return plans;
}

ChannelSelection select_with_keep(const ChannelAnalysis& a, const std::vector<GroupPlan>& plans,
                                  const std::vector<int64_t>& keep) {
  ChannelSelection sel = empty_selection(a);
  for (size_t i = 0; i < plans.size(); ++i) {
    const int64_t drop = plans[i].width - keep[i];
    for (int64_t r = 0; r < drop; ++r) sel.removed[plans[i].group][plans[i].order[static_cast<size_t>(r)]] = true;
  }
  return sel;
}

// Kept counts when every channel scoring <= threshold goes (subject to minimum width and rounding).
std::vector<int64_t> keep_at_threshold(const std::vector<GroupPlan>& plans,
                                       const std::vector<std::vector<double>>& scores, double threshold) {
  std::vector<int64_t> keep;
  for (const GroupPlan& p : plans) {
    int64_t above = 0;
    for (double s : scores[p.group]) above += s > threshold ? 1 : 0;
    keep.push_back(round_up_keep(p, above));
  }
  return keep;
}

// Kept counts for explicit widths (PruneTarget::widths), in units of each group's channels. Members of one
// group (a residual add, a depthwise conv and its producer) share channels, so they must ask the same count.
std::vector<int64_t> keep_for_widths(const ChannelAnalysis& a, const std::vector<GroupPlan>& plans,
                                     const std::map<std::string, int64_t>& widths) {
  std::map<std::string, int64_t> unmatched = widths;
  std::vector<int64_t> keep;
  for (const GroupPlan& p : plans) {
    int64_t k = p.width;
    std::string asked_by;
    for (int s : a.groups[p.group].spaces) {
      const ChannelSpace& sp = a.spaces[static_cast<size_t>(s)];
      const auto w = widths.find(sp.node);
      if (w == widths.end()) continue;
      unmatched.erase(sp.node);
      const int64_t per = std::max<int64_t>(1, (sp.width + p.width - 1) / p.width);
      if (w->second < per || w->second > sp.width || w->second % per != 0)
        throw_usage("--widths " + sp.node + "=" + std::to_string(w->second) + ": " + sp.node + " has " +
                    std::to_string(sp.width) + " channels; ask for a multiple of " + std::to_string(per) +
                    " from " + std::to_string(per) + " to " + std::to_string(sp.width));
      if (!asked_by.empty() && w->second / per != k)
        throw_usage("--widths: " + asked_by + " and " + sp.node + " share their channels (one dependency group) "
                    "and must keep the same number");
      k = w->second / per;
      asked_by = sp.node;
    }
    keep.push_back(k);
  }
  if (!unmatched.empty()) {
    const std::string& name = unmatched.begin()->first;
    std::string why = "no layer of that name produces channels";
    for (const DependencyGroup& g : a.groups)
      for (int s : g.spaces)
        if (a.spaces[static_cast<size_t>(s)].node == name && !g.prunable) why = "not prunable: " + g.reason;
    throw_usage("--widths " + name + ": " + why);
  }
  return keep;
}

struct Cost {
  int64_t macs = 0, params = 0;
};
Cost cost_of(const Graph& g, const ChannelAnalysis& a, const ChannelSelection& sel) {
  const ModelSummary s = summarize_model(shrink_channels(g, a, sel));
  return {s.macs, s.params};
}

SelectionResult finish_selection(const Graph& graph, const ChannelAnalysis& analysis,
                                 const std::vector<GroupPlan>& plans, const std::vector<int64_t>& keep) {
  SelectionResult r;
  r.selection = select_with_keep(analysis, plans, keep);
  const Cost c = cost_of(graph, analysis, r.selection);
  r.macs = c.macs;
  r.params = c.params;
  return r;
}

}  // namespace

SelectionResult select_channels(const Graph& graph, const ChannelAnalysis& analysis,
                                const std::vector<std::vector<double>>& scores, const PruneTarget& t) {
  const int targets = (t.ratio >= 0 ? 1 : 0) + (t.target_macs >= 0 ? 1 : 0) + (t.target_params >= 0 ? 1 : 0) +
                      (t.widths.empty() ? 0 : 1);
  if (targets != 1) throw_usage("give exactly one of --ratio, --target-macs, --target-params or --widths");
  if (t.ratio >= 0 && !(t.ratio < 1.0)) throw_usage("--ratio must be in [0, 1), got " + std::to_string(t.ratio));
  if (t.round_to < 1) throw_usage("--round-to must be at least 1");
  const std::vector<GroupPlan> plans = plan_groups(analysis, scores, t);
  if (!t.widths.empty()) return finish_selection(graph, analysis, plans, keep_for_widths(analysis, plans, t.widths));
  bool any = false;
  for (const GroupPlan& p : plans) any = any || p.min_keep < p.width;
  if (!any) {
    std::string why;
    for (const DependencyGroup& g : analysis.groups)
      if (!g.prunable && why.find(g.reason) == std::string::npos && std::count(why.begin(), why.end(), ';') < 3)
        why += (why.empty() ? "" : "; ") + g.reason;
    throw Error(ErrorKind::kInfeasible,
                plans.empty() ? "nothing is prunable: " + (why.empty() ? std::string("no conv or FC channels") : why)
                              : "nothing is prunable: every prunable layer is already at its minimum width "
                                "(--min-channels, --round-to)");
  }

  std::vector<double> thresholds = {-INFINITY};
  for (const GroupPlan& p : plans)
    for (double s : scores[p.group]) thresholds.push_back(s);
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());

  std::vector<int64_t> keep;
  if (t.ratio >= 0 && !t.global) {
    for (const GroupPlan& p : plans)
      keep.push_back(round_up_keep(p, std::llround(static_cast<double>(p.width) * (1.0 - t.ratio))));
  } else {
    // Smallest threshold whose pruning reaches the target (removed share, MACs or params).
    auto meets = [&](const std::vector<int64_t>& k) {
      if (t.ratio >= 0) {
        double removed = 0, total = 0;
        for (size_t i = 0; i < plans.size(); ++i) {
          const double per = static_cast<double>(plans[i].elements_per_channel);
          removed += per * static_cast<double>(plans[i].width - k[i]);
          total += per * static_cast<double>(plans[i].width);
        }
        return removed >= t.ratio * total - 1e-9;
      }
      const Cost c = cost_of(graph, analysis, select_with_keep(analysis, plans, k));
      return t.target_macs >= 0 ? c.macs <= t.target_macs : c.params <= t.target_params;
    };
    size_t lo = 0, hi = thresholds.size() - 1;
    if (!meets(keep_at_threshold(plans, scores, thresholds[hi]))) {
      if (t.ratio >= 0) {
        lo = hi;  // the ratio is a request, not a budget: prune as far as the minimum widths allow
      } else {
        const Cost c = cost_of(graph, analysis, select_with_keep(analysis, plans,
                                                                  keep_at_threshold(plans, scores, thresholds[hi])));
        throw Error(ErrorKind::kInfeasible,
                    t.target_macs >= 0
                        ? "target of " + std::to_string(t.target_macs) + " MACs is below what --min-channels allows; "
                              "the smallest achievable is " + std::to_string(c.macs) + " MACs"
                        : "target of " + std::to_string(t.target_params) + " parameters is below what --min-channels "
                              "allows; the smallest achievable is " + std::to_string(c.params) + " parameters");
      }
    }
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (meets(keep_at_threshold(plans, scores, thresholds[mid]))) hi = mid;
      else lo = mid + 1;
    }
    keep = keep_at_threshold(plans, scores, thresholds[lo]);
  }
  return finish_selection(graph, analysis, plans, keep);
}

std::map<std::string, std::pair<int64_t, int64_t>> space_widths(const ChannelAnalysis& a,
                                                                const ChannelSelection& sel) {
  const std::vector<char> removed = detail::removed_elements(a, sel);
  std::map<std::string, std::pair<int64_t, int64_t>> widths;
  for (const ChannelSpace& s : a.spaces) {
    int64_t kept = 0;
    for (int64_t e = s.first_element; e < s.first_element + s.width; ++e) kept += removed[static_cast<size_t>(e)] ? 0 : 1;
    if (s.op != OpType::kIdentity) widths[s.node] = {s.width, kept};
  }
  return widths;
}

}  // namespace tinyopt::prune
