// Float executor benchmark, tinyopt's side (bench/README.md). Two steps, driven by bench/run.sh:
//
//   float_executor_bench prepare DIR   builds each benchmark architecture with tinyopt's own builders,
//       exports it with save_onnx to DIR/models/NAME.onnx, re-imports that file (so we run exactly what
//       the peers run), draws a seeded check input, runs our float executor on it and writes
//       DIR/manifest.json: models, input/output names and shapes, the check input and our output as raw
//       float32 files, and the timing protocol every tool follows (bench_timing.h).
//   float_executor_bench time DIR OUT.json   times our FloatExecutor on the manifest's models: batch-1
//       latency with 1 thread, batch-256 throughput with 2 threads, median of many runs after warm-up.
//
// The peers (bench/peers/onnxruntime_bench.js, torch_bench.py) time the same files with the same protocol;
// bench/peers/combine_float_executor.py turns all results into bench/results/float_executor.json.
// This program is not a test: it checks nothing but prints what it measures.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_io.h"
#include "bench_timing.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tb = tinyopt::bench;
using nlohmann::json;
using tinyopt::Tensor;

namespace {

struct BenchModel {
  const char* name;   // built-in architecture name (architectures.h)
  float width;        // ArchOptions::width
};

// The models: the Fashion-MNIST teacher and student, and the MLPerf Tiny shapes.
constexpr BenchModel kModels[] = {
    {"fmnist-cnn", 1.0f}, {"fmnist-ds", 1.0f}, {"ds-cnn", 1.0f}, {"resnet8", 1.0f},
    {"mobilenetv1", 0.25f},
};
constexpr int kCheckBatch = 4;  // images in the check input; timing inputs cycle through them

tb::TimingProtocol protocol_from_json(const json& j) {
  return {.batch = j.at("batch"), .threads = j.at("threads"), .warmup = j.at("warmup"),
          .min_runs = j.at("min_runs"), .min_seconds = j.at("min_seconds"), .max_runs = j.at("max_runs")};
}

tinyopt::Shape with_batch(int64_t batch, const std::vector<int64_t>& sample) {
  tinyopt::Shape s{batch};
  s.insert(s.end(), sample.begin(), sample.end());
  return s;
}

// `batch` images cycled from the check input (kCheckBatch images), as the peers' batch_of() does.
Tensor batch_of(const std::vector<float>& check, const std::vector<int64_t>& sample, int64_t batch) {
  Tensor t(tinyopt::DType::kF32, with_batch(batch, sample));
  const int64_t per = tinyopt::shape_numel(sample);
  float* dst = t.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    std::copy_n(check.data() + (b % kCheckBatch) * per, per, dst + b * per);
  }
  return t;
}

tinyopt::FloatExecutor make_executor(const tinyopt::Graph& g, int threads) {
  tinyopt::ExecOptions opts;
  opts.threads = threads;
  return tinyopt::FloatExecutor(g, opts);
}

json prepare_model(const BenchModel& m, const std::string& dir) {
  const std::string onnx_path = dir + "/models/" + m.name + ".onnx";
  tinyopt::ArchOptions opts;
  opts.width = m.width;
  tinyopt::save_onnx(tinyopt::build_architecture(m.name, opts), onnx_path);
  const tinyopt::Graph g = tinyopt::load_onnx(onnx_path);

  const std::string& input = g.inputs.at(0);
  const tinyopt::Shape& in_shape = g.value(input).shape;  // [-1, C, H, W] (or [-1, F])
  const std::vector<int64_t> sample(in_shape.begin() + 1, in_shape.end());

  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> check(static_cast<size_t>(kCheckBatch * tinyopt::shape_numel(sample)));
  for (float& v : check) v = uniform(rng);
  const std::vector<Tensor> out = make_executor(g, 1).run({batch_of(check, sample, kCheckBatch)});

  const std::string check_path = dir + "/" + m.name + ".check_input.f32";
  const std::string out_path = dir + "/" + m.name + ".ours_output.f32";
  tb::write_f32(check_path, check);
  tb::write_f32(out_path, out.at(0).span<float>());
  float max_abs = 0;
  for (float v : out.at(0).span<float>()) max_abs = std::max(max_abs, std::abs(v));
  return {{"name", m.name},
          {"width", m.width},
          {"onnx", std::filesystem::absolute(onnx_path).string()},
          {"input_name", input},
          {"output_name", g.outputs.at(0)},
          {"sample_shape", sample},
          {"check_batch", kCheckBatch},
          {"check_input", std::filesystem::absolute(check_path).string()},
          {"ours_output", std::filesystem::absolute(out_path).string()},
          {"output_shape", out.at(0).shape()},
          {"ours_output_max_abs", max_abs}};
}

int prepare(const std::string& dir) {
  std::filesystem::create_directories(dir + "/models");
  json models = json::array();
  for (const BenchModel& m : kModels) {
    models.push_back(tinyopt::with_error_context(m.name, [&] { return prepare_model(m, dir); }));
    std::printf("  prepared     %s\n", m.name);
  }
  tb::write_json(dir + "/manifest.json", {{"protocol", tb::standard_protocol()}, {"models", models}});
  return 0;
}

json time_model(const json& model, const json& proto) {
  const std::vector<int64_t> sample = model.at("sample_shape");
  const tinyopt::Graph g = tinyopt::load_onnx(model.at("onnx"));
  const std::vector<float> check =
      tb::read_f32(model.at("check_input"), kCheckBatch * tinyopt::shape_numel(sample));
  json res;
  for (const char* kind : {"latency", "throughput"}) {
    const tb::TimingProtocol p = protocol_from_json(proto.at(kind));
    tinyopt::FloatExecutor ex = make_executor(g, p.threads);
    const std::vector<Tensor> inputs{batch_of(check, sample, p.batch)};
    const tb::Timing t = tb::time_runs([&] { ex.run(inputs); }, p);
    res[std::string(kind) + "_batch_ms"] = t.median_seconds * 1e3;
    res[std::string(kind) + "_runs"] = t.runs;
  }
  res["latency_ms"] = res["latency_batch_ms"];
  res["throughput_ips"] = proto.at("throughput").at("batch").get<double>() /
                          (res["throughput_batch_ms"].get<double>() / 1e3);
  res["max_abs_diff"] = 0.0;  // the reference the peers are compared with
  return res;
}

int time_all(const std::string& dir, const std::string& out_path) {
  const json manifest = tb::read_json(dir + "/manifest.json");
  json out = {{"peer", "tinyopt"}, {"models", json::object()}};
  for (const json& model : manifest.at("models")) {
    const std::string name = model.at("name");
    const json r = time_model(model, manifest.at("protocol"));
    out["models"][name] = r;
    std::printf("  tinyopt      %-12s %8.3f ms  %9.0f img/s\n", name.c_str(),
                r["latency_ms"].get<double>(), r["throughput_ips"].get<double>());
    std::fflush(stdout);
  }
  tb::write_json(out_path, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string verb = argc > 1 ? argv[1] : "";
  try {
    if (verb == "prepare" && argc == 3) return prepare(argv[2]);
    if (verb == "time" && argc == 4) return time_all(argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "float_executor_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: float_executor_bench prepare DIR | time DIR OUT.json\n");
  return 2;
}
