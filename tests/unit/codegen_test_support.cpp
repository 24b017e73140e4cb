// Support of the codegen tests (codegen_test_support.h).
#include "unit/codegen_test_support.h"

#include <filesystem>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>

#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/quantize.h"

namespace tinyopt::testing {
namespace {

namespace fs = std::filesystem;

quant::QuantizeOptions fast_ptq(int weight_bits) {
  quant::QuantizeOptions o;
  o.calibrator = quant::Calibrator::kMinMax;
  o.weight_bits = weight_bits;
  o.bias_correction = false;
  o.calibration.histograms = false;
  o.calibration.threads = 2;
  return o;
}

// Reads the driver's outputs, feeds it the samples: the driver loops over float samples from argv[1] and
// writes the int8 outputs of tinyopt_model_invoke to argv[2] and the floats of _invoke_f32 to argv[3].
constexpr const char* kDriver = R"(/* codegen test driver: samples from a file through the generated model */
#include <stdio.h>

#include "model.h"

int main(int argc, char **argv) {
  static float x[TINYOPT_MODEL_INPUT_SIZE], y[TINYOPT_MODEL_OUTPUT_SIZE];
  static int8_t xq[TINYOPT_MODEL_INPUT_SIZE], yq[TINYOPT_MODEL_OUTPUT_SIZE];
  FILE *in, *out_q, *out_f;
  int n = 0;
  if (argc != 4) return 2;
  in = fopen(argv[1], "rb");
  out_q = fopen(argv[2], "wb");
  out_f = fopen(argv[3], "wb");
  if (in == NULL || out_q == NULL || out_f == NULL) return 2;
  while (fread(x, sizeof(float), TINYOPT_MODEL_INPUT_SIZE, in) == TINYOPT_MODEL_INPUT_SIZE) {
    if (tinyopt_model_quantize_input(x, xq) != 0) return 3;
    if (tinyopt_model_invoke(xq, yq) != 0) return 4;
    if (tinyopt_model_invoke_f32(x, y) != 0) return 5;
    if (fwrite(yq, 1, TINYOPT_MODEL_OUTPUT_SIZE, out_q) != TINYOPT_MODEL_OUTPUT_SIZE) return 6;
    if (fwrite(y, sizeof(float), TINYOPT_MODEL_OUTPUT_SIZE, out_f) != TINYOPT_MODEL_OUTPUT_SIZE) return 6;
    ++n;
  }
  fclose(in);
  fclose(out_q);
  fclose(out_f);
  printf("%d\n", n);
  return 0;
}
)";

std::string include_flags(const CodegenResult& p) {
  std::string s;
  for (const std::string& d : p.include_dirs) s += " -I" + (fs::path(p.dir) / d).string();
  return s;
}

}  // namespace

bool have_tool(const std::string& tool) {
  return run_command("command -v " + tool + " >/dev/null 2>&1").exit_code == 0;
}

std::optional<Dataset> fmnist_test(int64_t count, int64_t offset) {
  try {
    return take(load_dataset("fashion-mnist", Split::kTest), count, offset);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<Graph> quantized_teacher(int weight_bits) {
  static std::mutex mu;
  static std::map<int, Graph> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(weight_bits); it != cache.end()) return it->second;
  const std::string model = source_dir() + "/models/fmnist-cnn.onnx";
  const std::optional<Dataset> calib = fmnist_test(64, 0);
  if (!fs::exists(model) || !calib) return std::nullopt;
  Graph q = quant::quantize_model(load_onnx(model), *calib, fast_ptq(weight_bits)).qdq;
  cache.emplace(weight_bits, q);
  return q;
}

Tensor random_inputs(const Graph& g, int64_t count, uint32_t seed) {
  Shape s = g.value(g.inputs.at(0)).shape;
  s[0] = count;
  Tensor x(DType::kF32, s);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (float& v : x.span<float>()) v = u(rng);
  return x;
}

Graph quantized_architecture(const std::string& name, float width) {
  static std::mutex mu;
  static std::map<std::pair<std::string, float>, Graph> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find({name, width}); it != cache.end()) return it->second;
  ArchOptions a;
  a.width = width;
  a.seed = 1;
  const Graph f = build_architecture(name, a);
  Dataset calib;
  calib.x = random_inputs(f, 16, 7);
  calib.name = "random";
  Graph q = quant::quantize_model(f, calib, fast_ptq(8)).qdq;
  cache.emplace(std::make_pair(name, width), q);
  return q;
}

Target cortex_m4_target() {
  Target t;
  t.name = "cortex-m4";
  t.core = "cortex-m4";
  t.features = {"dsp", "fpu"};
  t.toolchain.cc = "arm-none-eabi-gcc";
  t.toolchain.cflags = {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"};
  return t;
}

Target aarch64_target() {
  Target t;
  t.name = "rpi4";
  t.core = "cortex-a72";
  t.features = {"neon"};
  t.toolchain.cc = "aarch64-linux-gnu-gcc";
  t.toolchain.cflags = {"-mcpu=cortex-a72"};
  return t;
}

std::string compile_project(const CodegenResult& p, const std::string& cc, const std::string& flags,
                            bool with_example) {
  TempDir objs;
  std::ostringstream cmd;
  cmd << "cd " << objs.path() << " && " << cc << " " << flags
      << " -std=c99 -O2 -ffp-contract=off -Wall -Wextra -Werror" << include_flags(p) << " -c";
  for (const std::string& s : p.sources) cmd << " " << (fs::path(p.dir) / s).string();
  if (with_example) cmd << " " << (fs::path(p.dir) / p.example).string();
  const CommandResult r = run_command(cmd.str() + " 2>&1");
  return r.exit_code == 0 ? "" : cmd.str() + "\n" + r.out + r.err;
}

DriverRun run_generated_model(const CodegenResult& p, const Tensor& x) {
  DriverRun out;
  TempDir work;
  write_file(work.file("driver.c"), kDriver);
  std::ostringstream cmd;
  cmd << "cc -std=c99 -O2 -ffp-contract=off -Wall -Wextra -Werror" << include_flags(p) << " -o "
      << work.file("driver") << " " << work.file("driver.c");
  for (const std::string& s : p.sources) cmd << " " << (fs::path(p.dir) / s).string();
  const CommandResult c = run_command(cmd.str() + " 2>&1");
  if (c.exit_code != 0) {
    out.error = "compile failed: " + cmd.str() + "\n" + c.out + c.err;
    return out;
  }
  write_file(work.file("in.bin"), std::string(reinterpret_cast<const char*>(x.bytes()), x.numel() * sizeof(float)));
  const CommandResult r = run_command(work.file("driver") + " " + work.file("in.bin") + " " + work.file("out_q.bin") +
                                      " " + work.file("out_f.bin"));
  if (r.exit_code != 0) {
    out.error = "driver exited with " + std::to_string(r.exit_code) + ": " + r.err;
    return out;
  }
  const std::string q = read_file(work.file("out_q.bin")), f = read_file(work.file("out_f.bin"));
  out.int8.assign(q.begin(), q.end());
  out.f32.resize(f.size() / sizeof(float));
  std::memcpy(out.f32.data(), f.data(), out.f32.size() * sizeof(float));
  return out;
}

}  // namespace tinyopt::testing
