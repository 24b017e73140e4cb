// int8 benchmark, tinyopt's side of the data (bench/README.md, "int8"). bench/run.sh first quantizes the
// float models with `tinyopt quantize` (500 calibration images), then calls:
//
//   int8_bench prepare DIR NAME=FLOAT.onnx=INT8.onnx ...
//       writes into DIR: the Fashion-MNIST test set (test_images.f32, test_labels.i32) and the calibration
//       images tinyopt's quantize used (calib_images.f32, quant::select_calibration_samples with its
//       default seed, so PyTorch's PTQ calibrates on the very same images); per model a seeded check
//       input (4 test images) with our int8 output on it, and our logits over the whole test set
//       (NAME.ours_test_logits.f32, for the onnxruntime agreement: the integer executor's logits, the
//       computation `tinyopt eval` and firmware run); our fp32 accuracy (float executor on the float
//       model) and int8 accuracy (the integer executor, as `tinyopt eval` runs it) in
//       DIR/ours.json; and DIR/manifest.json in the format of float_executor_bench's manifest (plus
//       float_onnx, test, calibration), so peers/onnxruntime_bench.js times the QDQ files unchanged and
//       peers/torch_int8_bench.py quantizes the float files with PyTorch.
//
// Timing our integer executor is the integer executor's own benchmark's job; run.sh merges its figures.
// This program is not a test: it checks nothing but prints what it measures.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_io.h"
#include "bench_timing.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/calibration.h"

namespace tb = tinyopt::bench;
using nlohmann::json;
using tinyopt::Tensor;

namespace {

constexpr int64_t kCalibrationSamples = 500;  // the PTQ acceptance: 500 calibration images
constexpr int64_t kCheckBatch = 4;
constexpr int kEvalBatch = 250;

struct ModelSpec {
  std::string name, float_onnx, int8_onnx;
};

ModelSpec parse_spec(const std::string& text) {
  const size_t a = text.find('='), b = text.find('=', a + 1);
  if (a == std::string::npos || b == std::string::npos) {
    tinyopt::throw_usage("model spec '" + text + "' is not NAME=FLOAT.onnx=INT8.onnx");
  }
  return {text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
}

std::string absolute(const std::string& path) { return std::filesystem::absolute(path).string(); }

void write_i32(const std::string& path, const std::vector<int32_t>& v) {
  tinyopt::detail::write_file_atomic(path, {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(int32_t)});
}

// Logits of `g` over `x` in batches, as one (N, classes) tensor, and the top-1 accuracy against `labels`.
struct Evaluated {
  std::vector<float> logits;
  int64_t classes = 0;
  double accuracy = 0;
};

// Quantized models run through the integer executor (runtime/'s C99 kernels), as `tinyopt eval` runs them.
constexpr const char* kInt8Executor = "integer";

// Logits of a float or quantized model over a batch: `Executor` is FloatExecutor or IntegerExecutor.
template <class Executor>
Evaluated evaluate_logits(Executor& ex, const tinyopt::Dataset& data) {
  Evaluated r;
  int64_t correct = 0;
  for (int64_t start = 0; start < data.size(); start += kEvalBatch) {
    const tinyopt::Dataset part = tinyopt::take(data, kEvalBatch, start);
    const Tensor y = ex.run({part.x}).at(0);
    r.classes = y.dim(1);
    const auto v = y.span<float>();
    r.logits.insert(r.logits.end(), v.begin(), v.end());
    for (int64_t i = 0; i < part.size(); ++i) {
      const float* row = v.data() + i * r.classes;
      correct += std::max_element(row, row + r.classes) - row == part.y[static_cast<size_t>(i)];
    }
  }
  r.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  return r;
}

int prepare(const std::string& dir, const std::vector<ModelSpec>& specs) {
  std::filesystem::create_directories(dir);
  const tinyopt::Dataset train = tinyopt::load_dataset("fashion-mnist", tinyopt::Split::kTrain);
  const tinyopt::Dataset test = tinyopt::load_dataset("fashion-mnist", tinyopt::Split::kTest);
  const tinyopt::Dataset calib = tinyopt::quant::select_calibration_samples(train, kCalibrationSamples, 0);
  tb::write_f32(dir + "/test_images.f32", test.x.span<float>());
  write_i32(dir + "/test_labels.i32", test.y);
  tb::write_f32(dir + "/calib_images.f32", calib.x.span<float>());

  const std::vector<int64_t> sample(test.x.shape().begin() + 1, test.x.shape().end());
  const tinyopt::Dataset check = tinyopt::take(test, kCheckBatch);
  json models = json::array(), ours = json::object();
  for (const ModelSpec& m : specs) {
    const tinyopt::Graph fp32 = tinyopt::load_onnx(m.float_onnx);
    const tinyopt::Graph int8 = tinyopt::load_onnx(m.int8_onnx);
    tinyopt::ExecOptions float_opts;
    float_opts.threads = 2;
    tinyopt::FloatExecutor float_exec(fp32, float_opts);
    tinyopt::IntegerExecOptions int_opts;
    int_opts.threads = 2;
    tinyopt::IntegerExecutor int_exec(int8, int_opts);
    const Evaluated f = evaluate_logits(float_exec, test);
    const Evaluated q = evaluate_logits(int_exec, test);
    const std::string prefix = dir + "/" + m.name;
    tb::write_f32(prefix + ".ours_test_logits.f32", q.logits);
    tb::write_f32(prefix + ".check_input.f32", check.x.span<float>());
    tb::write_f32(prefix + ".ours_output.f32",
                  std::span<const float>(q.logits.data(), static_cast<size_t>(kCheckBatch * q.classes)));
    models.push_back({{"name", m.name},
                      {"onnx", absolute(m.int8_onnx)},
                      {"float_onnx", absolute(m.float_onnx)},
                      {"input_name", int8.inputs.at(0)},
                      {"output_name", int8.outputs.at(0)},
                      {"sample_shape", sample},
                      {"check_batch", kCheckBatch},
                      {"check_input", absolute(prefix + ".check_input.f32")},
                      {"ours_output", absolute(prefix + ".ours_output.f32")},
                      {"output_shape", {kCheckBatch, q.classes}},
                      {"ours_test_logits", absolute(prefix + ".ours_test_logits.f32")}});
    ours[m.name] = {{"fp32_accuracy", f.accuracy},
                    {"int8_accuracy", q.accuracy},
                    {"executor", kInt8Executor},
                    {"quantized_model", std::filesystem::path(m.int8_onnx).filename().string()}};
    std::printf("  tinyopt      %-12s fp32 %.2f%%  int8 %.2f%% (%s)\n", m.name.c_str(), 100 * f.accuracy,
                100 * q.accuracy, kInt8Executor);
    std::fflush(stdout);
  }
  tb::write_json(dir + "/manifest.json",
                 {{"protocol", tb::standard_protocol()},
                  {"models", models},
                  {"test", {{"images", absolute(dir + "/test_images.f32")},
                            {"labels", absolute(dir + "/test_labels.i32")},
                            {"count", test.size()}}},
                  {"calibration", {{"images", absolute(dir + "/calib_images.f32")},
                                   {"count", calib.size()},
                                   {"selection", "quant::select_calibration_samples(train, 500, seed 0): the "
                                                 "images `tinyopt quantize --calib 500` calibrates on"}}}});
  tb::write_json(dir + "/ours.json", {{"models", ours}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string verb = argc > 1 ? argv[1] : "";
  try {
    if (verb == "prepare" && argc >= 4) {
      std::vector<ModelSpec> specs;
      for (int i = 3; i < argc; ++i) specs.push_back(parse_spec(argv[i]));
      return prepare(argv[2], specs);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "int8_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: int8_bench prepare DIR NAME=FLOAT.onnx=INT8.onnx ...\n");
  return 2;
}
