// generate_c_project (codegen.h): lower, retarget, plan, emit, package, write atomically.
#include "tinyopt/codegen/codegen.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "codegen/emit_example.h"
#include "codegen/emit_model.h"
#include "codegen/project_formats.h"
#include "codegen/runtime_files.h"
#include "tinyopt/target/kernel_choice.h"
#include "tinyopt/core/error.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kManifest = "manifest.json";

const std::vector<std::pair<CodegenFormat, std::string>> kFormats = {{CodegenFormat::kMake, "make"},
                                                                     {CodegenFormat::kCmake, "cmake"},
                                                                     {CodegenFormat::kEspIdf, "esp-idf"},
                                                                     {CodegenFormat::kArduino, "arduino"},
                                                                     {CodegenFormat::kZephyr, "zephyr"}};

// The example's input: the first sample of `x` (or all zero points), quantized like the model's input.
std::vector<int8_t> sample_values(const std::optional<Tensor>& x, const IntegerStep& quantize, int64_t size,
                                  std::string* what) {
  const auto& q = std::get<topt_quantize_params>(quantize.params);
  std::vector<int8_t> v(static_cast<size_t>(size), static_cast<int8_t>(q.zero_point));
  if (!x) {
    *what = "An all-zero input";
    return v;
  }
  if (x->dtype() != DType::kF32 || x->numel() < size || x->numel() % size != 0)
    throw_bad_input(fmt::format("the sample input has shape {} ({}); the model takes {} float values per sample",
                                shape_str(x->shape()), dtype_name(x->dtype()), size));
  topt_quantize_params p = q;
  p.count = static_cast<int32_t>(size);
  if (topt_quantize_s8__ref(&p, x->data<float>(), v.data(), nullptr) != TOPT_OK)
    throw_internal("quantizing the sample input failed");
  *what = "The first sample input";
  return v;
}

void check_order(const IntegerProgram& program, const ArenaPlan& plan) {
  std::vector<int> order = plan.order;
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<int>(i) || order.size() != program.steps.size())
      throw_internal("the arena plan's order is not a permutation of the program's steps");
}

nlohmann::json manifest(const CodegenResult& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (const CodegenStep& s : r.steps)
    steps.push_back({{"step", s.step},
                     {"kernel", s.kernel},
                     {"family", s.family},
                     {"nodes", s.nodes},
                     {"macs", s.macs},
                     {"weight_bytes", s.weight_bytes},
                     {"scratch_bytes", s.scratch_bytes}});
  return {{"generator", "tinyopt codegen"},
          {"target", r.target},
          {"format", codegen_format_name(r.format)},
          {"sources", r.sources},
          {"include_dirs", r.include_dirs},
          {"example", r.example},
          {"kernels", r.kernels},
          {"input", {{"size", r.input_size}, {"scale", r.input_scale}, {"zero_point", r.input_zero_point}}},
          {"output", {{"size", r.output_size}, {"scale", r.output_scale}, {"zero_point", r.output_zero_point}}},
          {"weight_bytes", r.weight_bytes},
          {"params_bytes", r.params_bytes},
          {"arena_bytes", r.arena_bytes},
          {"arena_naive_bytes", r.arena_naive_bytes},
          {"arena_lower_bound_bytes", r.arena_lower_bound_bytes},
          {"plan_strategy", r.plan_strategy},
          {"steps", steps}};
}

// A project folder may be replaced only if it is empty or one we generated (it has our manifest).
void check_replaceable(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec)) throw_bad_input(dir.string() + ": exists and is not a folder");
  if (fs::is_empty(dir, ec)) return;
  std::ifstream in(dir / kManifest);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("generator", "") != "tinyopt codegen")
    throw_bad_input(dir.string() + ": exists and is not a tinyopt codegen project; refusing to replace it");
}

// Writes every file into a temporary folder beside `dir`, then swaps it in: readers see the old project or
// the new one, never a partial one, and a failure leaves nothing behind.
void write_project(const fs::path& dir, const std::map<std::string, std::string>& files) {
  check_replaceable(dir);
  const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw_bad_input(parent.string() + ": cannot create folder: " + ec.message());
  std::mt19937_64 rng(std::random_device{}());
  const std::string stem = dir.filename().string();
  const fs::path tmp = parent / fmt::format(".{}.tmp-{:x}", stem, rng());
  const fs::path old = parent / fmt::format(".{}.old-{:x}", stem, rng());
  try {
    for (const auto& [rel, text] : files) {
      const fs::path p = tmp / rel;
      fs::create_directories(p.parent_path());
      std::ofstream out(p, std::ios::binary);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      out.close();
      if (!out) throw_bad_input(p.string() + ": cannot write");
    }
    const bool replace = fs::exists(dir);
    if (replace) fs::rename(dir, old);
    fs::rename(tmp, dir, ec);
    if (ec) {
      if (replace) fs::rename(old, dir);
      throw_bad_input(dir.string() + ": cannot create: " + ec.message());
    }
    if (replace) fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw_bad_input(dir.string() + ": cannot write the project: " + e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace

std::string codegen_format_name(CodegenFormat format) {
  for (const auto& [f, name] : kFormats)
    if (f == format) return name;
  return "?";
}

std::vector<std::string> codegen_format_names() {
  std::vector<std::string> names;
  for (const auto& f : kFormats) names.push_back(f.second);
  return names;
}

CodegenFormat parse_codegen_format(const std::string& name) {
  for (const auto& [f, n] : kFormats)
    if (n == name) return f;
  std::string list;
  for (const auto& n : codegen_format_names()) list += (list.empty() ? "" : ", ") + n;
  throw_usage("unknown codegen format '" + name + "'; formats: " + list);
}

Target host_target() {
  Target t;
  t.name = "host";
  t.description = "this machine, built with the system C compiler (no emulator)";
  t.core = "host";
  t.toolchain.cc = "cc";
  return t;
}

CodegenResult generate_c_project(const Graph& qdq, const Target& target, const std::string& out_dir,
                                 const CodegenOptions& options) {
  if (!is_quantized(qdq))
    throw_bad_input("the model is not quantized (float); run `tinyopt quantize` first, then codegen the result");
  if (out_dir.empty()) throw_usage("codegen needs an output folder (-o DIR)");
  IntegerProgram program = lower_qdq_graph(qdq);
  const codegen::ModelBoundary boundary = codegen::find_boundary(program);
  retarget_program(program, target);
  const ArenaPlan plan = plan_arena(program, options.plan);
  check_order(program, plan);
  if (const std::string bad = check_arena_plan(program, plan, options.plan.alignment); !bad.empty())
    throw_internal("arena plan: " + bad);

  const std::string model_name = qdq.name.empty() ? std::string("model") : qdq.name;
  const std::string title = model_name + " for " + target.name;
  codegen::ModelSources model = codegen::emit_model(program, plan, boundary, title);

  CodegenResult r;
  r.dir = out_dir;
  r.target = target.name;
  r.format = options.format;
  const codegen::ProjectLayout layout = codegen::layout_for(options.format);
  std::map<std::string, std::string> files;
  files[layout.place_model("model.h")] = model.header;
  files[layout.place_model("model.c")] = model.source;
  r.sources.push_back(layout.place_model("model.c"));
  const std::string runtime_dir = options.runtime_dir.empty() ? codegen::default_runtime_dir() : options.runtime_dir;
  for (const codegen::RuntimeFile& f : codegen::runtime_files_for(model.kernels, runtime_dir)) {
    const std::string placed = layout.place_runtime(f.path);
    if (files.count(placed)) throw_internal("two runtime files land on " + placed);
    files[placed] = f.text;
    if (placed.size() > 2 && placed.compare(placed.size() - 2, 2, ".c") == 0) r.sources.push_back(placed);
  }
  const IntTensor& in = program.tensors[static_cast<size_t>(boundary.int_input)];
  const IntTensor& out = program.tensors[static_cast<size_t>(boundary.int_output)];
  r.input_size = in.numel();
  r.output_size = out.numel();
  r.input_scale = in.scale;
  r.input_zero_point = in.zero_point;
  r.output_scale = out.scale;
  r.output_zero_point = out.zero_point;
  std::string what;
  const std::vector<int8_t> sample = sample_values(
      options.sample_input, program.steps[static_cast<size_t>(boundary.quantize_step)], r.input_size, &what);
  files[layout.example] = codegen::example_source(options.format, title, sample, what);
  for (auto& [path, text] : codegen::build_files({options.format, &target, title, r.sources, layout})) {
    if (files.count(path)) throw_internal("two generated files land on " + path);
    files[path] = text;
  }
  r.include_dirs = layout.include_dirs;
  r.example = layout.example;
  r.steps = model.steps;
  r.kernels = model.kernels;
  r.weight_bytes = model.weight_bytes;
  r.params_bytes = model.params_bytes;
  r.arena_bytes = plan.arena_bytes;
  r.arena_naive_bytes = plan.naive_bytes;
  r.arena_lower_bound_bytes = plan.lower_bound_bytes;
  r.plan_strategy = plan.strategy;
  files[kManifest] = "";  // listed in `files`; written below with the final list
  for (const auto& f : files) r.files.push_back(f.first);
  files[kManifest] = manifest(r).dump(2) + "\n";
  fs::path dir = fs::path(out_dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  write_project(dir, files);
  return r;
}

}  // namespace tinyopt
