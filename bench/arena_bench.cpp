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
#include "tinyopt/target/kernel_choice.h"

namespace {

using namespace tinyopt;

Graph quantized(const std::string& name, float width, int weight_bits) {
  ArchOptions a;
  a.width = width;
  a.seed = 1;
  return int8_version(build_architecture(name, a), weight_bits);
}

// The program with the scratch of one kernel choice: "none (ref kernels)" (no scratch), "host x86 kernels"
// (the lowering's own choice: their scratch caches packed weights per layer) or a device's, as codegen and
// `tinyopt estimate` choose them (retarget_program): what the firmware's arena holds.
IntegerProgram with_scratch(const Graph& qdq, const std::string& scratch) {
  IntegerProgram program = lower_qdq_graph(qdq);
  if (scratch == "none (ref kernels)") {
    for (IntegerStep& s : program.steps) s.scratch_bytes = 0;
  } else if (scratch != "host x86 kernels") {
    retarget_program(program, load_target(scratch.substr(0, scratch.find(' '))));
  }
  return program;
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
    int weight_bits;
  };
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-14s %-2s %-19s %10s %10s %10s %10s %8s %8s\n", "model", "w", "scratch", "naive", "greedy", "ours",
              "lower b.", "greedy%", "ours%");
  for (const Model& m : {Model{"fmnist-cnn", 1.0f, 8}, Model{"fmnist-cnn", 1.0f, 4}, Model{"ds-cnn", 1.0f, 8},
                         Model{"resnet8", 1.0f, 8}, Model{"mobilenetv1", 0.25f, 8}, Model{"fc-ae", 1.0f, 8}}) {
   const Graph qdq = quantized(m.name, m.width, m.weight_bits);
   for (const char* scratch : {"none (ref kernels)", "host x86 kernels", "cortex-m4 kernels (dsp)", "rpi4 kernels (neon)"}) {
    const IntegerProgram program = with_scratch(qdq, scratch);
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
    std::printf("%-14s %-2d %-19s %10zu %10zu %10zu %10zu %7.1f%% %7.1f%%\n", m.name, m.weight_bits, scratch,
                ours.naive_bytes, greedy.arena_bytes,
                ours.arena_bytes, ours.lower_bound_bytes, over(greedy.arena_bytes, ours.lower_bound_bytes),
                over(ours.arena_bytes, ours.lower_bound_bytes));
    rows.push_back({{"model", m.name},
                    {"width", m.width},
                    {"weight_bits", m.weight_bits},
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
  }
  nlohmann::json out;
  out["generator"] = "bench/arena_bench.cpp (bench/run.sh, BENCH_ONLY=arena)";
  out["alignment"] = ArenaPlanOptions{}.alignment;
  out["what"] =
      "int8 activations (weights int8, or int4 where weight_bits is 4) + the kernels' scratch: none for the "
      "reference kernels, the host x86 kernels' packed-weight caches, or the kernels codegen and `tinyopt "
      "estimate` choose for the Cortex-M4 (dsp) and the Pi 4 (neon), i.e. the firmware's arena; float graph input/output outside the arena. greedy = greedy-by-size first-fit (TFLite Micro GreedyMemoryPlanner algorithm) in program "
      "order without in-place; ours = plan_arena defaults; lower bound = max over steps of live bytes in our order "
      "(with in-place merges); greedy_lower_bound_bytes = the same bound for the baseline's buffers.";
  out["models"] = rows;
  bench::write_json(argv[1], out);
  std::printf("wrote %s\n", argv[1]);
  return 0;
}
