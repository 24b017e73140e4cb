// `tinyopt eval MODEL --data D [--split test] [--json]`: top-1 accuracy and throughput.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/exec/evaluate.h"

namespace tinyopt::cli {

void add_eval_verb(CLI::App& app) {
  struct Args {
    std::string model, data, split = "test";
    int64_t batch = 256;
    int64_t limit = 0;
    int threads = 0;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("eval", "top-1 accuracy and throughput on a dataset");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_option("--data", args->data, "fashion-mnist, a folder of IDX files, x.npy,y.npy or a .csv")->required();
  cmd->add_option("--split", args->split, "train or test")->check(CLI::IsMember({"train", "test"}));
  cmd->add_option("--batch", args->batch, "batch size")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--limit", args->limit, "evaluate only the first N samples (0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "print a JSON object");
  cmd->callback([args] {
    const Graph graph = load_model(args->model);
    Dataset data = load_dataset(args->data, args->split == "train" ? Split::kTrain : Split::kTest);
    if (args->limit > 0 && args->limit < data.x.dim(0)) data = take(data, args->limit);
    const EvalResult r = with_error_context(args->model, [&] {
      return evaluate_classifier(graph, data, args->batch, args->threads);
    });
    if (args->json) {
      nlohmann::json j = {{"accuracy", r.accuracy}, {"samples", r.samples}, {"images_per_s", r.images_per_s},
                          {"model", args->model}, {"data", data.name},
                          {"executor", r.executor}};
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{} on {}: top-1 accuracy {:.2f}% ({} samples, {:.0f} images/s, {} executor)\n", args->model,
                 data.name, 100.0 * r.accuracy, r.samples, r.images_per_s, r.executor);
    }
  });
}

}  // namespace tinyopt::cli
