// `tinyopt run MODEL --input X.npy [--input Y.npy ...] [-o DIR]`: runs a model on .npy inputs (graph-input
// order) and writes `<output name>.npy` per graph output. Without -o it prints output shapes and values.
#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/npy.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt::cli {
namespace {

// Output names may contain characters that are not safe in file names ("/", ":").
std::string file_stem(const std::string& value_name) {
  std::string s = value_name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) c = '_';
  return s.empty() || s[0] == '.' ? "_" + s : s;
}

}  // namespace

void add_run_verb(CLI::App& app) {
  struct Args {
    std::string model, out_dir;
    std::vector<std::string> inputs;
    int threads = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("run", "run a model on .npy inputs, write one .npy per output");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_option("--input,-i", args->inputs, "input .npy, once per graph input in order")->required();
  cmd->add_option("-o,--output", args->out_dir, "folder for <output name>.npy files");
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "print a JSON object");
  cmd->callback([args] {
    const Graph graph = load_model(args->model);
    if (args->inputs.size() != graph.inputs.size())
      throw_usage(fmt::format("{} has {} inputs but {} --input files were given", args->model, graph.inputs.size(),
                              args->inputs.size()));
    std::vector<Tensor> inputs;
    for (const auto& path : args->inputs) inputs.push_back(read_npy(path));
    // quantized (QDQ) models run on the integer runtime, as on the device
    const bool integer = is_quantized(graph);
    const std::vector<Tensor> outputs = with_error_context(args->model, [&] {
      if (integer) return IntegerExecutor(graph, IntegerExecOptions{args->threads}).run(inputs);
      return FloatExecutor(graph, ExecOptions{args->threads}).run(inputs);
    });
    nlohmann::json j = {{"model", args->model},
                        {"executor", integer ? "integer" : "float"},
                        {"outputs", nlohmann::json::array()}};
    if (!args->out_dir.empty()) std::filesystem::create_directories(args->out_dir);
    for (size_t i = 0; i < outputs.size(); ++i) {
      nlohmann::json o = {{"name", graph.outputs[i]}, {"shape", outputs[i].shape()}};
      if (!args->out_dir.empty()) {
        const std::string path = (std::filesystem::path(args->out_dir) / (file_stem(graph.outputs[i]) + ".npy")).string();
        write_npy(path, outputs[i]);
        o["file"] = path;
      }
      j["outputs"].push_back(o);
      if (!args->json) {
        fmt::print("{} {}", graph.outputs[i], shape_str(outputs[i].shape()));
        if (o.contains("file")) fmt::print(" -> {}", o["file"].get<std::string>());
        if (args->out_dir.empty() && outputs[i].dtype() == DType::kF32 && outputs[i].numel() <= 64)
          fmt::print(" = [{:.6g}]", fmt::join(outputs[i].span<float>(), ", "));
        fmt::print("\n");
      }
    }
    if (args->json) fmt::print("{}\n", j.dump(2));
  });
}

}  // namespace tinyopt::cli
