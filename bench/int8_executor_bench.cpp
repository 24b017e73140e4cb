// Integer executor benchmark (bench/README.md): the shipped Fashion-MNIST teacher quantized to int8, run by
// our IntegerExecutor, against our FloatExecutor on the fp32 teacher in the same run: batch-1 latency with
// 1 thread and batch-256 throughput with 2 threads, the protocol of bench_timing.h (median of many runs).
//
//   int8_executor_bench [--qdq MODEL.onnx] [--json OUT.json] [--quick]
//   int8_executor_bench time MANIFEST.json OUT.json   (the per-tool step of bench_int8 in run.sh: times the
//       manifest's QDQ models with its protocol and writes the float benchmark's per-tool format)
//
// The int8 model is MODEL.onnx when given (a QDQ model, e.g. from `tinyopt quantize`), otherwise the
// teacher BN-folded and quantized with min/max scales on 64 Fashion-MNIST test images by the test-only
// builder tests/unit/exec_integer_qdq_builder.cpp (compiled into this program; the product's PTQ is
// src/passes/quantize/). The int8 peers (onnxruntime, PyTorch) are not run here: bench_int8 in run.sh times
// them in the same rounds as this program's `time` mode and writes the ratios to
// bench/results/int8_latency.json.
// Not a test: it checks nothing beyond "the two executors agree on most top-1 classes".
#include <cstdio>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../tests/unit/exec_integer_qdq_builder.cpp"  // test-only quantizer (see above)
#include "bench_io.h"
#include "bench_timing.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tb = tinyopt::bench;
using nlohmann::json;
using tinyopt::Tensor;

namespace {

Tensor batch_of(const Tensor& images, int64_t batch) {
  tinyopt::Shape s = images.shape();
  const int64_t n = s[0], per = images.numel() / n;
  s[0] = batch;
  Tensor t(tinyopt::DType::kF32, s);
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(t.data<float>() + b * per, images.data<float>() + (b % n) * per, static_cast<size_t>(per) * 4);
  return t;
}

template <class Exec>
json time_executor(Exec& make, const Tensor& images, bool quick) {
  tb::TimingProtocol latency{.batch = 1, .threads = 1, .warmup = 50, .min_runs = 200, .min_seconds = 1.5,
                             .max_runs = 20000};
  tb::TimingProtocol throughput{.batch = 256, .threads = 2, .warmup = 2, .min_runs = 10, .min_seconds = 2.0,
                                .max_runs = 500};
  if (quick) {
    latency = {.batch = 1, .threads = 1, .warmup = 3, .min_runs = 10, .min_seconds = 0, .max_runs = 10};
    throughput = {.batch = 256, .threads = 2, .warmup = 1, .min_runs = 2, .min_seconds = 0, .max_runs = 2};
  }
  json r;
  {
    auto ex = make(latency.threads);
    const std::vector<Tensor> in{batch_of(images, 1)};
    r["latency_ms"] = tb::time_runs([&] { ex.run(in); }, latency).median_seconds * 1e3;
  }
  {
    auto ex = make(throughput.threads);
    const std::vector<Tensor> in{batch_of(images, 256)};
    r["throughput_ips"] = 256.0 / tb::time_runs([&] { ex.run(in); }, throughput).median_seconds;
  }
  return r;
}

int64_t top1_agreement(const Tensor& a, const Tensor& b) {
  int64_t same = 0;
  const int64_t n = a.dim(0), c = a.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    const float* pa = a.data<float>() + i * c;
    const float* pb = b.data<float>() + i * c;
    same += std::max_element(pa, pa + c) - pa == std::max_element(pb, pb + c) - pb;
  }
  return same;
}

// `time MANIFEST OUT`: models[] {name, onnx, sample_shape, check_input, check_batch, ours_output}, protocol
// {latency, throughput}, as float_executor_bench writes them.
int time_manifest(const std::string& manifest_path, const std::string& out_path) {
  const json manifest = tb::read_json(manifest_path);
  json out = {{"peer", "tinyopt"}, {"executor", "integer"}, {"models", json::object()}};
  for (const json& model : manifest.at("models")) {
    const std::string name = model.at("name");
    const std::vector<int64_t> sample = model.at("sample_shape");
    const int64_t check_batch = model.value("check_batch", 4);
    tinyopt::Shape shape{check_batch};
    shape.insert(shape.end(), sample.begin(), sample.end());
    const std::vector<float> check = tb::read_f32(model.at("check_input"), tinyopt::shape_numel(shape));
    const Tensor images = Tensor::from_f32(shape, check);
    const tinyopt::Graph g = tinyopt::load_onnx(model.at("onnx"));
    json r;
    for (const char* kind : {"latency", "throughput"}) {
      const json& pj = manifest.at("protocol").at(kind);
      const tb::TimingProtocol p{.batch = pj.at("batch"), .threads = pj.at("threads"), .warmup = pj.at("warmup"),
                                 .min_runs = pj.at("min_runs"), .min_seconds = pj.at("min_seconds"),
                                 .max_runs = pj.at("max_runs")};
      tinyopt::IntegerExecutor ex(g, {.threads = p.threads});
      const std::vector<Tensor> in{batch_of(images, p.batch)};
      const tb::Timing t = tb::time_runs([&] { ex.run(in); }, p);
      r[std::string(kind) + "_batch_ms"] = t.median_seconds * 1e3;
      r[std::string(kind) + "_runs"] = t.runs;
    }
    r["latency_ms"] = r["latency_batch_ms"];
    r["throughput_ips"] = manifest.at("protocol").at("throughput").at("batch").get<double>() /
                          (r["throughput_batch_ms"].get<double>() / 1e3);
    double max_abs = 0;
    if (model.contains("ours_output") && std::filesystem::exists(model.at("ours_output").get<std::string>())) {
      const Tensor y = tinyopt::IntegerExecutor(g).run({images}).at(0);
      const std::vector<float> want = tb::read_f32(model.at("ours_output"), y.numel());
      for (int64_t i = 0; i < y.numel(); ++i)
        max_abs = std::max(max_abs, static_cast<double>(std::abs(y.data<float>()[i] - want[static_cast<size_t>(i)])));
    }
    r["max_abs_diff"] = max_abs;
    out["models"][name] = r;
    std::printf("  tinyopt int8 %-12s %8.3f ms  %9.0f img/s\n", name.c_str(), r["latency_ms"].get<double>(),
                r["throughput_ips"].get<double>());
  }
  tb::write_json(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "time") {
    try {
      return time_manifest(argv[2], argv[3]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "int8_executor_bench: %s\n", e.what());
      return 1;
    }
  }
  std::string qdq_path, json_path;
  bool quick = std::getenv("BENCH_QUICK") != nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--qdq" && i + 1 < argc) qdq_path = argv[++i];
    else if (a == "--json" && i + 1 < argc) json_path = argv[++i];
    else if (a == "--quick") quick = true;
    else {
      std::fprintf(stderr, "usage: int8_executor_bench [--qdq MODEL.onnx] [--json OUT.json] [--quick]\n");
      return 2;
    }
  }
  try {
    const std::string teacher = std::string(TINYOPT_SOURCE_DIR) + "/models/fmnist-cnn.onnx";
    const tinyopt::Graph fp32 = tinyopt::load_onnx(teacher);
    const tinyopt::Dataset test = tinyopt::load_dataset("fashion-mnist", tinyopt::Split::kTest);
    const Tensor calib = tinyopt::take(test, 64, 0).x, images = tinyopt::take(test, 256, 64).x;
    const tinyopt::Graph int8 =
        qdq_path.empty() ? tinyopt::testing::quantize_for_test(fp32, {calib}) : tinyopt::load_onnx(qdq_path);

    auto make_int8 = [&](int threads) { return tinyopt::IntegerExecutor(int8, {.threads = threads}); };
    auto make_fp32 = [&](int threads) { return tinyopt::FloatExecutor(fp32, tinyopt::ExecOptions{threads}); };
    const int64_t agree = top1_agreement(make_int8(2).run({images}).at(0), make_fp32(2).run({images}).at(0));

    const json ours_int8 = time_executor(make_int8, images, quick);
    const json ours_fp32 = time_executor(make_fp32, images, quick);
    const double lat = ours_int8["latency_ms"], ips = ours_int8["throughput_ips"];
    json out = {{"model", "fmnist-cnn"},
                {"int8_model", qdq_path.empty() ? "test builder (min/max, 64 calibration images)" : qdq_path},
                {"top1_agreement_int8_vs_fp32", {{"same", agree}, {"of", 256}}},
                {"ours_int8", ours_int8},
                {"ours_fp32", ours_fp32},
                {"speedup_latency", {{"vs_our_fp32", ours_fp32["latency_ms"].get<double>() / lat}}},
                {"speedup_throughput", {{"vs_our_fp32", ips / ours_fp32["throughput_ips"].get<double>()}}},
                {"peers", "measured in the same run by bench_int8 (bench/results/int8_latency.json)"},
                {"quick", quick}};
    std::printf("fmnist-cnn int8 (top-1 same as fp32 on %lld/256 images)\n", static_cast<long long>(agree));
    std::printf("  batch-1 latency, 1 thread:  int8 %.4f ms   fp32 %.4f ms\n", lat, ours_fp32["latency_ms"].get<double>());
    std::printf("  batch-256 throughput, 2 threads: int8 %.0f img/s   fp32 %.0f img/s\n", ips,
                ours_fp32["throughput_ips"].get<double>());
    std::printf("  int8 peers (onnxruntime, PyTorch): measured in the same run by bench_int8, "
                "bench/results/int8_latency.json\n");
    if (!json_path.empty()) tb::write_json(json_path, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "int8_executor_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
