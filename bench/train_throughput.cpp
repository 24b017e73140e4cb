// Training throughput of the built-in architectures: images per second of full training steps
// (forward in training mode, cross-entropy, backward, SGD momentum update) on random data, after a
// short warm-up. bench/train_throughput_torch.py measures PyTorch on the same model, batch, optimizer
// and thread count; bench/run.sh runs both and writes bench/results/*.json.
//   train_throughput [--arch fmnist-cnn] [--batch 128] [--threads 2] [--seconds 5] [--profile]
// Prints one JSON object: images_per_s (wall clock) and images_per_cpu_s (process CPU time: the fair
// figure on a busy machine with --threads 1). --profile adds per-node CPU milliseconds per step
// (forward, backward) from a few extra steps; profile with --threads 1.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/train/loss.h"
#include "tinyopt/train/optimizer.h"
#include "tinyopt/train/train_graph.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string arch = "fmnist-cnn";
  int batch = 128;
  int threads = 2;
  double seconds = 5.0;
  bool profile = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "train_throughput: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--arch")) a.arch = next();
    else if (!std::strcmp(argv[i], "--batch")) a.batch = std::atoi(next());
    else if (!std::strcmp(argv[i], "--threads")) a.threads = std::atoi(next());
    else if (!std::strcmp(argv[i], "--seconds")) a.seconds = std::atof(next());
    else if (!std::strcmp(argv[i], "--profile")) a.profile = true;
    else {
      std::fprintf(stderr, "usage: train_throughput [--arch NAME] [--batch N] [--threads N] [--seconds S]\n");
      std::exit(2);
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    using namespace tinyopt;
    const Graph model = build_architecture(args.arch, {.width = 1.0f, .num_classes = 0, .seed = 1});
    train::TrainGraph tg(model, args.batch, args.threads);
    train::Optimizer opt({"sgd", 0.9f, false, 5e-4f}, tg.parameters());
    const int64_t classes = tg.output_numel();
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(args.batch * tg.input_numel()));
    for (float& v : x) v = pixel(rng);
    std::vector<int32_t> y(static_cast<size_t>(args.batch));
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>(i % static_cast<size_t>(classes));
    std::vector<float> grad(static_cast<size_t>(args.batch * classes));
    auto step = [&] {
      const auto logits = tg.forward(x, args.batch, train::Mode::kTrain);
      train::cross_entropy(logits, y, classes, 0.0f, grad);
      tg.backward(grad);
      opt.step(0.01f);
    };
    for (int i = 0; i < 3; ++i) step();  // warm-up
    int64_t steps = 0;
    const double cpu0 = std::clock() / static_cast<double>(CLOCKS_PER_SEC);
    const auto t0 = Clock::now();
    double elapsed = 0.0;
    while (elapsed < args.seconds) {
      step();
      ++steps;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    std::printf("{\"engine\": \"tinyopt\", \"arch\": \"%s\", \"batch\": %d, \"threads\": %d, \"steps\": %lld, "
                "\"images_per_s\": %.1f, \"images_per_cpu_s\": %.1f",
                args.arch.c_str(), args.batch, args.threads, static_cast<long long>(steps),
                static_cast<double>(steps) * args.batch / elapsed,
                static_cast<double>(steps) * args.batch / (std::clock() / static_cast<double>(CLOCKS_PER_SEC) - cpu0));
    if (args.profile) {
      // A few more steps with per-node timers; printed as ms per step, slowest first.
      tg.set_profiling(true);
      const int profiled = 5;
      for (int i = 0; i < profiled; ++i) step();
      auto rows = tg.profile();
      std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.forward_s + a.backward_s > b.forward_s + b.backward_s;
      });
      std::printf(", \"profile_ms_per_step\": [");
      for (size_t i = 0; i < rows.size(); ++i)
        std::printf("%s\n  {\"node\": \"%s\", \"op\": \"%s\", \"forward\": %.3f, \"backward\": %.3f}", i ? "," : "",
                    rows[i].node.c_str(), std::string(op_name(rows[i].op)).c_str(), 1e3 * rows[i].forward_s / profiled,
                    1e3 * rows[i].backward_s / profiled);
      std::printf("]");
    }
    std::printf("}\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_throughput: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
