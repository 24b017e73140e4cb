// Arena sizes of the memory planner on the MLPerf Tiny reference architectures and the Fashion-MNIST CNN:
// naive (every tensor and scratch side by side), the greedy-by-size first-fit baseline (TFLite Micro's
// GreedyMemoryPlanner algorithm, program order, no in-place), ours (order search, in-place, placement
// search) and the lower bound of our plan's order (max over steps of the live bytes), with the percent
// over it. Writes bench/results/arena.json (`bench/run.sh BUILD_DIR` with BENCH_ONLY=arena). Sizes depend
// only on shapes, so the models are the untrained built-ins quantized int8 on random calibration data.
// Not a timing benchmark.
#include <cstdio>
#include <string>
#include <vector>

#include "bench_io.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/exec/integer_program.h"
#include "tinyopt/plan/arena_plan.h"
#include "tinyopt/target/cost_model.h"

namespace {

using namespace tinyopt;

Graph quantized(const std::string& name, float width) {
  ArchOptions a;
  a.width = width;
  a.seed = 1;
  return int8_version(build_architecture(name, a));
}

double over(size_t bytes, size_t lb) { return lb ? 100.0 * (static_cast<double>(bytes) / static_cast<double>(lb) - 1.0) : 0.0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: arena_bench OUT.json\n");
    return 2;
  }
  struct Model {
    const char* name;
    float width;
  };
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-14s %-19s %10s %10s %10s %10s %8s %8s\n", "model", "scratch", "naive", "greedy", "ours", "lower b.", "greedy%", "ours%");
  for (const Model& m : {Model{"fmnist-cnn", 1.0f}, Model{"ds-cnn", 1.0f}, Model{"resnet8", 1.0f},
                         Model{"mobilenetv1", 0.25f}, Model{"fc-ae", 1.0f}})
   for (const bool host_scratch : {false, true}) {
    // Without scratch = the reference kernels (no scratch), what a device without the x86 kernels needs;
    // with the host's x86 kernels, whose scratch caches packed weights per layer.
    IntegerProgram program = lower_qdq_graph(quantized(m.name, m.width));
    if (!host_scratch)
      for (IntegerStep& s : program.steps) s.scratch_bytes = 0;
    const char* scratch = host_scratch ? "host x86 kernels" : "none (ref kernels)";
    ArenaPlanOptions baseline;
    baseline.in_place = baseline.search_order = baseline.search_placement = false;
    const ArenaPlan greedy = plan_arena(program, baseline);
    const ArenaPlan ours = plan_arena(program);
    for (const ArenaPlan* p : {&greedy, &ours}) {
      const std::string err = check_arena_plan(program, *p, baseline.alignment);
      if (!err.empty()) {
        std::fprintf(stderr, "arena_bench: %s: invalid plan: %s\n", m.name, err.c_str());
        return 1;
      }
    }
    std::printf("%-14s %-19s %10zu %10zu %10zu %10zu %7.1f%% %7.1f%%\n", m.name, scratch, ours.naive_bytes, greedy.arena_bytes,
                ours.arena_bytes, ours.lower_bound_bytes, over(greedy.arena_bytes, ours.lower_bound_bytes),
                over(ours.arena_bytes, ours.lower_bound_bytes));
    rows.push_back({{"model", m.name},
                    {"width", m.width},
                    {"scratch", scratch},
                    {"steps", program.steps.size()},
                    {"naive_bytes", ours.naive_bytes},
                    {"greedy_bytes", greedy.arena_bytes},
                    {"greedy_lower_bound_bytes", greedy.lower_bound_bytes},
                    {"arena_bytes", ours.arena_bytes},
                    {"lower_bound_bytes", ours.lower_bound_bytes},
                    {"greedy_over_lower_bound_pct", over(greedy.arena_bytes, ours.lower_bound_bytes)},
                    {"over_lower_bound_pct", over(ours.arena_bytes, ours.lower_bound_bytes)},
                    {"saved_vs_greedy_pct", -over(ours.arena_bytes, greedy.arena_bytes)},
                    {"strategy", ours.strategy}});
  }
  nlohmann::json out;
  out["generator"] = "bench/arena_bench.cpp (bench/run.sh, BENCH_ONLY=arena)";
  out["alignment"] = ArenaPlanOptions{}.alignment;
  out["what"] =
      "int8 activations (+ the kernels' scratch: none for the reference kernels, or the host x86 kernels' "
      "packed-weight caches), float graph input/output outside the arena. greedy = greedy-by-size first-fit (TFLite Micro GreedyMemoryPlanner algorithm) in program "
      "order without in-place; ours = plan_arena defaults; lower bound = max over steps of live bytes in our order "
      "(with in-place merges); greedy_lower_bound_bytes = the same bound for the baseline's buffers.";
  out["models"] = rows;
  bench::write_json(argv[1], out);
  std::printf("wrote %s\n", argv[1]);
  return 0;
}
