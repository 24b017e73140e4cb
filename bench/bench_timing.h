// The timing protocol shared by tinyopt's benchmarks and their peers: `warmup` untimed runs, then timed
// runs until both `min_runs` and `min_seconds` are reached (at most `max_runs`); the median is reported.
// bench/peers/bench_common.py and bench/peers/onnxruntime_bench.js implement the same loop, and read the
// protocol from the manifest float_executor_bench writes, so every tool is timed the same way.
// This is not a statistics library: no outlier rejection beyond taking the median.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyopt::bench {

struct TimingProtocol {
  int batch = 1;           // images per run
  int threads = 1;         // intra-op threads every tool is given
  int warmup = 20;         // untimed runs first
  int min_runs = 50;       // at least this many timed runs ...
  double min_seconds = 1;  // ... and at least this much timed wall time
  int max_runs = 5000;     // but never more runs than this
};

struct Timing {
  double median_seconds = 0;
  int runs = 0;
};

inline nlohmann::json to_json(const TimingProtocol& p) {
  return {{"batch", p.batch},       {"threads", p.threads},         {"warmup", p.warmup},
          {"min_runs", p.min_runs}, {"min_seconds", p.min_seconds}, {"max_runs", p.max_runs}};
}

// The protocol of tinyopt's model benchmarks (float executor, int8), written into their manifests for the
// peers: latency = batch 1, 1 thread; throughput = batch 256, 2 threads. BENCH_QUICK=1 shortens every
// timing loop (for trying the pipeline, not for numbers).
inline nlohmann::json standard_protocol() {
  const bool quick = std::getenv("BENCH_QUICK") != nullptr;
  TimingProtocol latency{.batch = 1, .threads = 1, .warmup = 50, .min_runs = 200, .min_seconds = 1.5,
                         .max_runs = 20000};
  TimingProtocol throughput{.batch = 256, .threads = 2, .warmup = 2, .min_runs = 10, .min_seconds = 2.0,
                            .max_runs = 500};
  if (quick) {
    latency = {.batch = 1, .threads = 1, .warmup = 3, .min_runs = 10, .min_seconds = 0, .max_runs = 10};
    throughput = {.batch = 256, .threads = 2, .warmup = 1, .min_runs = 2, .min_seconds = 0, .max_runs = 2};
  }
  return {{"latency", to_json(latency)}, {"throughput", to_json(throughput)}};
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<long>(mid)) + hi) / 2;
}

template <typename Fn>
Timing time_runs(Fn&& fn, const TimingProtocol& p) {
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  for (int i = 0; i < p.warmup; ++i) fn();
  std::vector<double> times;
  const auto start = Clock::now();
  while (static_cast<int>(times.size()) < p.max_runs &&
         (static_cast<int>(times.size()) < p.min_runs || seconds_since(start) < p.min_seconds)) {
    const auto t0 = Clock::now();
    fn();
    times.push_back(seconds_since(t0));
  }
  return {median(times), static_cast<int>(times.size())};
}

}  // namespace tinyopt::bench
