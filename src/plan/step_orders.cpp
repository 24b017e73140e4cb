// Topological orders of a program's steps for the planner to try (step_orders.h).
#include "plan/step_orders.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <random>
#include <set>

namespace tinyopt::detail {
namespace {

// A list schedule: repeatedly runs one of the ready steps, picked by `choose(ready, position)`.
class Scheduler {
 public:
  Scheduler(const IntegerProgram& program, const std::vector<std::vector<int>>& deps) : program_(program), deps_(deps) {
    const size_t n = program.steps.size();
    users_.resize(n);
    for (size_t s = 0; s < n; ++s)
      for (int d : deps[s]) users_[static_cast<size_t>(d)].push_back(static_cast<int>(s));
    readers_.assign(program.tensors.size(), 0);
    for (const IntegerStep& step : program.steps) {
      std::vector<int> seen;
      for (int in : step.inputs) {
        const int t = program.storage_of(in);
        if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
        seen.push_back(t);
        ++readers_[static_cast<size_t>(t)];
      }
    }
    pinned_.assign(program.tensors.size(), false);
    for (int t : program.outputs) pinned_[static_cast<size_t>(program.storage_of(t))] = true;
    for (int t : program.integer_outputs) pinned_[static_cast<size_t>(program.storage_of(t))] = true;
  }

  using Chooser = std::function<int(const std::vector<int>& ready, const Scheduler& state)>;

  std::vector<int> run(const Chooser& choose) {
    const size_t n = program_.steps.size();
    pending_.assign(n, 0);
    for (size_t s = 0; s < n; ++s) pending_[s] = static_cast<int>(deps_[s].size());
    remaining_readers_ = readers_;
    order_.clear();
    std::vector<int> ready;
    for (size_t s = 0; s < n; ++s)
      if (pending_[s] == 0) ready.push_back(static_cast<int>(s));
    while (!ready.empty()) {
      const int pick = choose(ready, *this);
      ready.erase(std::find(ready.begin(), ready.end(), pick));
      order_.push_back(pick);
      for (int t : reads(pick)) --remaining_readers_[static_cast<size_t>(t)];
      for (int u : users_[static_cast<size_t>(pick)])
        if (--pending_[static_cast<size_t>(u)] == 0) ready.insert(std::upper_bound(ready.begin(), ready.end(), u), u);
    }
    return order_;
  }

  // Bytes the step's outputs add minus the bytes of inputs it reads last.
  int64_t live_delta(int s) const {
    int64_t delta = 0;
    const IntegerStep& step = program_.steps[static_cast<size_t>(s)];
    for (int out : step.outputs) delta += bytes(program_.storage_of(out));
    for (int t : reads(s))
      if (remaining_readers_[static_cast<size_t>(t)] == 1 && !pinned_[static_cast<size_t>(t)]) delta -= bytes(t);
    return delta;
  }

  // Position in the order so far of the latest step `s` depends on (-1 when none).
  int latest_dependency(int s) const {
    int latest = -1;
    for (int d : deps_[static_cast<size_t>(s)]) {
      const auto it = std::find(order_.begin(), order_.end(), d);
      latest = std::max(latest, static_cast<int>(it - order_.begin()));
    }
    return latest;
  }

 private:
  std::vector<int> reads(int s) const {
    std::vector<int> out;
    for (int in : program_.steps[static_cast<size_t>(s)].inputs) {
      const int t = program_.storage_of(in);
      if (program_.tensors[static_cast<size_t>(t)].kind != IntTensorKind::kConstant &&
          std::find(out.begin(), out.end(), t) == out.end())
        out.push_back(t);
    }
    return out;
  }
  int64_t bytes(int t) const { return static_cast<int64_t>(program_.tensors[static_cast<size_t>(t)].bytes()); }

  const IntegerProgram& program_;
  const std::vector<std::vector<int>>& deps_;
  std::vector<std::vector<int>> users_;
  std::vector<int> readers_, remaining_readers_, pending_, order_;
  std::vector<bool> pinned_;
};

}  // namespace

std::vector<StepOrder> candidate_orders(const IntegerProgram& program, const std::vector<std::vector<int>>& deps,
                                        size_t max_orders) {
  std::vector<StepOrder> orders;
  std::set<std::vector<int>> seen;
  auto add = [&](std::vector<int> steps, std::string how) {
    if (orders.size() < max_orders && seen.insert(steps).second) orders.push_back({std::move(steps), std::move(how)});
  };
  std::vector<int> program_order(program.steps.size());
  std::iota(program_order.begin(), program_order.end(), 0);
  add(program_order, "program order");
  Scheduler sched(program, deps);
  add(sched.run([](const std::vector<int>& ready, const Scheduler& st) {
        int best = ready.front();
        for (int s : ready)
          if (st.live_delta(s) < st.live_delta(best)) best = s;
        return best;
      }),
      "memory-greedy");
  add(sched.run([](const std::vector<int>& ready, const Scheduler& st) {
        int best = ready.front();
        for (int s : ready)
          if (st.latest_dependency(s) > st.latest_dependency(best)) best = s;
        return best;
      }),
      "depth-first");
  // Sampled orders; a chain has one ready step at a time, so stop once samples stop finding new orders.
  std::mt19937 rng(20261126u);
  for (size_t k = 0, misses = 0; orders.size() < max_orders && misses < 8; ++k) {
    const size_t before = orders.size();
    add(sched.run([&](const std::vector<int>& ready, const Scheduler&) {
          return ready[rng() % ready.size()];  // not a distribution: the same on every standard library
        }),
        "sampled " + std::to_string(k));
    misses = orders.size() == before ? misses + 1 : 0;
  }
  return orders;
}

}  // namespace tinyopt::detail
