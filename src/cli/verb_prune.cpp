// `tinyopt prune MODEL --data D --method l1|l2|slimming|taylor|magnitude (--ratio R | --target-macs N |
// --target-params N | --widths LAYER=N,...) [--global] [--steps K] [--fine-tune-epochs E] [--teacher T | --no-kd] [--round-to N]
// [--min-channels N] [training recipe flags] [--json] -o OUT.onnx`: structured pruning with fine-tuning
// (knowledge distillation from the unpruned model by default), or unstructured magnitude pruning.
#include <charconv>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/progress.h"
#include "cli/train_flags.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/prune.h"

namespace tinyopt::cli {
namespace {

struct PruneArgs {
  TrainArgs train;  // data, output, fine-tune recipe, --json
  std::string model, method = "l1";
  prune::PruneTarget target;
  int steps = 1;
  int fine_tune_epochs = 0;
  bool no_kd = false;
  int taylor_batches = 8;
  std::vector<std::string> widths;  // --widths node=N,...
};

// --widths node=N,... into the target's map; a malformed pair names itself.
void parse_widths(PruneArgs& a) {
  for (const std::string& item : a.widths) {
    const size_t eq = item.find('=');
    int64_t n = 0;
    const char* first = item.data() + eq + 1;
    const char* last = item.data() + item.size();
    if (eq == std::string::npos || eq == 0 || std::from_chars(first, last, n).ptr != last || first == last)
      throw_usage(fmt::format("--widths: '{}' is not LAYER=CHANNELS (e.g. conv1=16)", item));
    a.target.widths[item.substr(0, eq)] = n;
  }
}

void validate(PruneArgs& a) {
  parse_widths(a);
  const int targets = (a.target.ratio >= 0 ? 1 : 0) + (a.target.target_macs >= 0 ? 1 : 0) +
                      (a.target.target_params >= 0 ? 1 : 0) + (a.target.widths.empty() ? 0 : 1);
  if (targets != 1) throw_usage("prune needs exactly one of --ratio, --target-macs, --target-params or --widths");
  if (a.target.ratio >= 0 && !(a.target.ratio < 1.0))
    throw_usage(fmt::format("--ratio must be in [0, 1), got {}", a.target.ratio));
  if (a.method == "magnitude" && a.target.ratio < 0)
    throw_usage("--method magnitude takes --ratio (the fraction of weights set to zero)");
  if (a.method == "magnitude" && a.fine_tune_epochs > 0)
    throw_usage("--method magnitude does not fine-tune (training would refill the zeroed weights)");
  if (a.no_kd && !a.train.teacher.empty()) throw_usage("--no-kd and --teacher exclude each other");
}

nlohmann::json layer_widths(const Graph& before, const Graph& after) {
  std::map<std::string, int64_t> widths_after;
  for (const prune::ChannelSpace& s : prune::analyze_channels(after).spaces) widths_after[s.node] = s.width;
  nlohmann::json layers = nlohmann::json::array();
  for (const prune::ChannelSpace& s : prune::analyze_channels(before).spaces) {
    if (s.op == OpType::kIdentity || !widths_after.count(s.node)) continue;
    layers.push_back({{"name", s.node}, {"channels_before", s.width}, {"channels_after", widths_after[s.node]}});
  }
  return layers;
}

void run_prune(PruneArgs& a) {
  validate(a);
  const Graph model = load_model(a.model);
  const ModelSummary before = summarize_model(model);
  Dataset train_data = load_dataset(a.train.data, Split::kTrain);
  if (a.train.limit > 0 && a.train.limit < train_data.size()) train_data = take(train_data, a.train.limit);
  const Dataset test_data = load_dataset(a.train.data, Split::kTest);
  check_dataset_fits_model(model, test_data);

  nlohmann::json j = {{"method", a.method}, {"macs_before", before.macs}, {"params_before", before.params}};
  ProgressLine progress(5.0);
  Graph pruned;
  if (a.method == "magnitude") {
    const prune::MagnitudeResult r = prune::magnitude_prune(model, a.target.ratio, a.target.global);
    pruned = r.graph;
    nlohmann::json layers = nlohmann::json::array();
    for (const prune::LayerSparsity& l : r.layers)
      layers.push_back({{"name", l.node}, {"weights", l.weights}, {"zeros", l.zeros},
                        {"sparsity", static_cast<double>(l.zeros) / static_cast<double>(std::max<int64_t>(1, l.weights))}});
    j["layers"] = layers;
    j["sparsity"] = static_cast<double>(r.zeros) / static_cast<double>(std::max<int64_t>(1, r.weights));
  } else {
    prune::PruneOptions o;
    o.criterion = prune::criterion_from_name(a.method);
    o.target = a.target;
    o.steps = a.steps;
    o.taylor = {&train_data, a.taylor_batches, 64, a.train.config.threads, a.train.config.seed};
    // Fail before any fine-tuning when the final target cannot be met (or nothing is prunable).
    {
      const prune::ChannelAnalysis an = prune::analyze_channels(model);
      std::vector<std::vector<double>> flat;
      for (const prune::DependencyGroup& g : an.groups) flat.emplace_back(g.channels.size(), 0.0);
      (void)prune::select_channels(model, an, flat, a.target);
    }
    Graph teacher;
    if (!a.train.teacher.empty()) teacher = load_model(a.train.teacher);
    train::TrainConfig c = a.train.config;
    c.epochs = a.fine_tune_epochs;
    c.augment = !a.train.no_augment;
    c.teacher = a.no_kd ? nullptr : (a.train.teacher.empty() ? &model : &teacher);
    nlohmann::json steps = nlohmann::json::array();
    auto on_step = [&](const prune::PruneStep& s) {
      progress.update(fmt::format("prune step {}/{}: {} MACs ({:.1f}% of the original), {} params", s.step, a.steps,
                                  s.macs, 100.0 * static_cast<double>(s.macs) / static_cast<double>(before.macs),
                                  s.params), true);
      steps.push_back({{"step", s.step}, {"macs", s.macs}, {"params", s.params}});
    };
    auto fine_tune = [&](const Graph& g, int step) {
      if (c.epochs <= 0) return g;
      auto on_progress = [&](const train::TrainProgress& p) {
        std::string line = fmt::format("fine-tune {}/{} epoch {}/{} step {}/{} loss {:.4f} acc {:.2f}% {:.0f} img/s ETA {}",
                                       step, a.steps, p.epoch + 1, p.epochs, p.step, p.steps_per_epoch, p.loss,
                                       100 * p.accuracy, p.images_per_s, format_duration(p.eta_s));
        if (p.epoch_end && p.test_accuracy >= 0) line += fmt::format(" test {:.2f}%", 100 * p.test_accuracy);
        progress.update(line, p.epoch_end);
      };
      train::TrainConfig step_config = c;
      step_config.seed = c.seed + static_cast<uint64_t>(step);
      return train::train(g, train_data, test_data, step_config, on_progress).model;
    };
    pruned = prune::prune_structured(model, o, fine_tune, on_step);
    j["steps"] = steps;
    j["layers"] = layer_widths(model, pruned);
    j["fine_tune_epochs"] = a.fine_tune_epochs;
    j["distillation"] = c.epochs > 0 && c.teacher != nullptr;
  }
  progress.finish();
  const ModelSummary after = summarize_model(pruned);
  const double acc_before = evaluate_classifier(model, test_data, 256, a.train.config.threads).accuracy;
  const double acc_after = evaluate_classifier(pruned, test_data, 256, a.train.config.threads).accuracy;
  save_onnx(pruned, a.train.out);
  j["output"] = a.train.out;
  j["macs_after"] = after.macs;
  j["params_after"] = after.params;
  j["accuracy_before"] = acc_before;
  j["accuracy"] = acc_after;
  if (a.train.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{}: {} pruning, MACs {} -> {} ({:.1f}%), params {} -> {} ({:.1f}%), accuracy {:.2f}% -> {:.2f}%\n",
             a.train.out, a.method, before.macs, after.macs,
             100.0 * static_cast<double>(after.macs) / static_cast<double>(before.macs), before.params, after.params,
             100.0 * static_cast<double>(after.params) / static_cast<double>(before.params), 100 * acc_before,
             100 * acc_after);
}

}  // namespace

void add_prune_verb(CLI::App& app) {
  auto a = std::make_shared<PruneArgs>();
  a->train.config.lr = 0.01f;  // fine-tuning starts from trained weights
  CLI::App* cmd = app.add_subcommand("prune", "structured channel pruning (or unstructured magnitude pruning)");
  cmd->add_option("model", a->model, "ONNX model")->required();
  cmd->add_option("--method", a->method, "l1, l2, slimming, taylor or magnitude")
      ->check(CLI::IsMember({"l1", "l2", "slimming", "taylor", "magnitude"}));
  cmd->add_option("--ratio", a->target.ratio, "fraction of channels (magnitude: weights) to remove, in [0, 1)");
  cmd->add_option("--target-macs", a->target.target_macs, "prune until the model has at most N MACs")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--target-params", a->target.target_params, "prune until the model has at most N parameters")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--widths", a->widths,
                  "keep exactly N channels of each named layer, e.g. conv1=16,conv5=56 (others keep all)")
      ->delimiter(',');
  cmd->add_flag("--global", a->target.global, "--ratio: rank channels across layers (default: the same ratio per layer)");
  cmd->add_option("--steps", a->steps, "iterative pruning: prune a step, fine-tune, repeat")->check(CLI::Range(1, 100));
  cmd->add_option("--fine-tune-epochs", a->fine_tune_epochs, "fine-tune epochs after each step (0 = none)")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--teacher", a->train.teacher, "distill from this model while fine-tuning (default: the unpruned model)");
  cmd->add_flag("--no-kd", a->no_kd, "fine-tune on the labels only");
  cmd->add_option("--round-to", a->target.round_to, "kept channels per layer a multiple of N (4, 8 or 16)")
      ->check(CLI::Range(int64_t{1}, int64_t{64}));
  cmd->add_option("--min-channels", a->target.min_channels, "never fewer channels per layer (default max(4, 10%))")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--taylor-batches", a->taylor_batches, "batches of 64 for the taylor criterion")
      ->check(CLI::Range(1, 10000));
  add_train_flags(cmd, a->train);
  // --fine-tune-epochs replaces --epochs; fine-tunes are short and write no checkpoint.
  for (const char* unused : {"--epochs", "--checkpoint", "--resume"}) cmd->remove_option(cmd->get_option(unused));
  cmd->callback([a] { run_prune(*a); });
}

}  // namespace tinyopt::cli
