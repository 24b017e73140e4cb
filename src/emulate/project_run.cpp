// Building, running and summarizing a generated project on an emulated platform (see project_run.h).
#include "emulate/project_run.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "emulate/emulator_run.h"
#include "emulate/program_build.h"
#include "tinyopt/core/error.h"
#include "tinyopt_rt.h"

namespace tinyopt::emulate {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_all(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw_bad_input("cannot write " + path.string());
}

}  // namespace

ProjectManifest read_manifest(const std::string& dir) {
  const fs::path root = fs::absolute(dir);
  const fs::path file = root / "manifest.json";
  if (!fs::exists(file))
    throw_bad_input(dir + ": no manifest.json (not a folder written by `tinyopt codegen`; give the model instead)");
  return with_error_context(file.string(), [&] {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_all(file));
    } catch (const nlohmann::json::exception& e) {
      throw_bad_input(std::string("not valid JSON: ") + e.what());
    }
    try {
      ProjectManifest m;
      m.dir = root.string();
      for (const auto& s : j.at("sources")) m.sources.push_back((root / s.get<std::string>()).string());
      for (const auto& s : j.at("include_dirs")) m.include_dirs.push_back((root / s.get<std::string>()).string());
      for (const auto& s : j.at("steps")) {
        EmulatedLayer l;
        l.step = s.at("step").get<int>();
        l.kernel = s.at("kernel").get<std::string>();
        l.family = s.at("family").get<std::string>();
        l.nodes = s.at("nodes").get<std::vector<std::string>>();
        l.macs = s.at("macs").get<int64_t>();
        m.steps.push_back(std::move(l));
      }
      m.input_size = j.at("input").at("size").get<int64_t>();
      m.output_size = j.at("output").at("size").get<int64_t>();
      m.input_scale = j.at("input").at("scale").get<float>();
      m.input_zero_point = j.at("input").at("zero_point").get<int32_t>();
      m.weight_bytes = j.at("weight_bytes").get<int64_t>();
      m.arena_bytes = j.at("arena_bytes").get<int64_t>();
      m.kernels = j.at("kernels").get<std::vector<std::string>>();
      if (m.input_size < 1 || m.output_size < 1) throw_bad_input("input / output size must be positive");
      return m;
    } catch (const nlohmann::json::exception& e) {
      throw_bad_input(std::string("not a tinyopt codegen manifest: ") + e.what());
    }
  });
}

std::string quantize_samples(const Tensor& x, float scale, int32_t zero_point, int64_t input_size) {
  if (x.numel() % input_size != 0 || x.numel() == 0)
    throw_bad_input("samples of " + std::to_string(x.numel() / std::max<int64_t>(x.dim(0), 1)) +
                    " values do not match the model's input of " + std::to_string(input_size));
  std::string bytes(static_cast<size_t>(x.numel()), '\0');
  topt_quantize_params p{};
  p.count = static_cast<int32_t>(x.numel());
  p.scale = scale;
  p.zero_point = zero_point;
  if (topt_quantize_s8__ref(&p, x.data<float>(), reinterpret_cast<int8_t*>(bytes.data()), nullptr) != TOPT_OK)
    throw_bad_input("the model's input quantization parameters are invalid");
  return bytes;
}

ProjectRun run_project(const EmuPlatform& platform, const ProjectManifest& project, const std::string& inputs,
                       const std::string& work_dir) {
  const fs::path work = fs::absolute(work_dir);
  fs::create_directories(work);
  ProgramSpec spec;
  spec.sources = project.sources;
  spec.sources.push_back((fs::path(TINYOPT_SOURCE_DIR) / "firmware" / "drivers" / "model_main.c").string());
  spec.include_dirs = project.include_dirs;
  // the hooks make each kernel call a counted region; an empty storage class makes the arena visible to
  // model_main.c, which measures its high-water mark
  spec.defines = {"TINYOPT_HOOKS_HEADER=\"emu_harness.h\"", "TINYOPT_ARENA_STORAGE="};
  spec.work_dir = work.string();
  spec.name = "model";
  const BuiltProgram built = build_program(platform, spec);
  write_all(work / "inputs.bin", inputs);
  const bool count = platform.kind != EmuKind::kHost;
  const EmulatorRun run = run_on_emulator(platform, built.executable, work.string(), count);
  if (run.process.exit_code != 0)
    throw_bad_input("the model on " + platform.name + " exited with " + std::to_string(run.process.exit_code) +
                    (run.process.signal ? " (signal " + std::to_string(run.process.signal) + ")" : "") + ": " +
                    run.process.out + run.process.err);
  ProjectRun r;
  r.outputs = read_all(work / "outputs.bin");
  const size_t samples = inputs.size() / static_cast<size_t>(project.input_size);
  if (r.outputs.size() != samples * static_cast<size_t>(project.output_size))
    throw_internal("the model on " + platform.name + " wrote " + std::to_string(r.outputs.size()) +
                   " output bytes for " + std::to_string(samples) + " samples");
  std::istringstream lines(run.process.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string tag, stack_tag, arena_tag;
    long index = 0, stack = 0, arena = 0;
    if (words >> tag >> index >> stack_tag >> stack >> arena_tag >> arena && tag == "sample" &&
        stack_tag == "stack" && arena_tag == "arena") {
      r.stack_bytes = std::max<int64_t>(r.stack_bytes, stack);
      r.arena_used_bytes = std::max<int64_t>(r.arena_used_bytes, arena);
    }
  }
  if (count) {
    // per sample: the step regions (depth 1) close first, then the inference (depth 0)
    std::vector<uint64_t> layers;
    for (const InsnRegion& region : run.insns.regions) {
      if (region.depth == 1) {
        layers.push_back(region.instructions);
      } else if (region.depth == 0) {
        if (layers.size() != project.steps.size())
          throw_internal("counted " + std::to_string(layers.size()) + " kernel calls in an inference, the manifest lists " +
                         std::to_string(project.steps.size()));
        r.inference_instructions.push_back(region.instructions);
        r.layer_instructions.push_back(std::move(layers));
        layers.clear();
      }
    }
    if (r.inference_instructions.size() != samples)
      throw_internal("counted " + std::to_string(r.inference_instructions.size()) + " inferences for " +
                     std::to_string(samples) + " samples");
  }
  if (!built.map.empty()) {
    std::set<std::string> objects;
    for (const std::string& src : project.sources) objects.insert(fs::path(src).stem().string() + ".o");
    for (const auto& [object, sizes] : sizes_by_object(read_all(built.map))) {
      if (!objects.count(object)) continue;
      r.model.text += sizes.text;
      r.model.rodata += sizes.rodata;
      r.model.data += sizes.data;
      r.model.bss += sizes.bss;
      r.model.requant += sizes.requant;
    }
  }
  return r;
}

void summarize(const ProjectManifest& project, const ProjectRun& device, const std::string& reference_outputs,
               const std::vector<int32_t>& labels, EmulateResult& result) {
  const auto out_size = static_cast<size_t>(project.output_size);
  const size_t samples = device.outputs.size() / out_size;
  result.samples = static_cast<int64_t>(samples);
  result.mismatches = result.mismatched_bytes = 0;
  result.identical.assign(samples, 0);
  int64_t correct = 0;
  for (size_t s = 0; s < samples; ++s) {
    const char* got = device.outputs.data() + s * out_size;
    const char* want = reference_outputs.data() + s * out_size;
    int64_t diff = 0;
    for (size_t i = 0; i < out_size; ++i) diff += got[i] != want[i];
    result.mismatched_bytes += diff;
    result.mismatches += diff > 0;
    result.identical[s] = diff == 0;
    if (s < labels.size()) {
      const auto* q = reinterpret_cast<const int8_t*>(got);
      correct += std::max_element(q, q + out_size) - q == labels[s];  // argmax of int8 == of dequantized
    }
  }
  if (!labels.empty() && samples > 0) result.accuracy = static_cast<double>(correct) / static_cast<double>(samples);
  result.layers = project.steps;
  result.macs = 0;
  for (const EmulatedLayer& l : result.layers) result.macs += l.macs;
  if (!device.inference_instructions.empty()) {
    const auto& inf = device.inference_instructions;
    double sum = 0;
    for (uint64_t n : inf) sum += static_cast<double>(n);
    result.instructions_per_inference = sum / static_cast<double>(inf.size());
    result.instructions_min = *std::min_element(inf.begin(), inf.end());
    result.instructions_max = *std::max_element(inf.begin(), inf.end());
    for (size_t l = 0; l < result.layers.size(); ++l) {
      double layer_sum = 0;
      for (const auto& per_sample : device.layer_instructions) layer_sum += static_cast<double>(per_sample[l]);
      result.layers[l].instructions = layer_sum / static_cast<double>(device.layer_instructions.size());
    }
  }
  result.text_bytes = device.model.text;
  result.rodata_bytes = device.model.rodata;
  result.data_bytes = device.model.data;
  result.bss_bytes = device.model.bss;
  result.stack_bytes = device.stack_bytes;
  result.flash_bytes = device.model.flash();
  result.ram_bytes = device.model.ram() + device.stack_bytes;
  result.arena_bytes = project.arena_bytes;
  result.arena_used_bytes = device.arena_used_bytes;
  result.weight_bytes = project.weight_bytes;
  result.requant_bytes = device.model.requant;
  result.code_overhead_bytes = result.flash_bytes - result.weight_bytes - result.requant_bytes;
  result.kernels = project.kernels;
}

}  // namespace tinyopt::emulate
