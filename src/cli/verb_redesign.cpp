// `tinyopt redesign MODEL (--width W | --depthwise-separable [LAYERS] | --resolution S|HxW)
// [--data D [--fine-tune-epochs N] [--teacher T | --no-kd] [training recipe flags]] [--json] -o OUT.onnx`:
// an architecture redesign transform (passes/redesign.h), then optionally a fine-tune that distills from
// the original model (or --teacher). Resolution scaling trains and evaluates on images resized to the new
// size; its default fine-tune uses the labels only, since the original reads the old size.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/model_file.h"
#include "cli/progress.h"
#include "cli/train_flags.h"
#include "cli/verbs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/data/resize.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/passes/redesign.h"

namespace tinyopt::cli {
namespace {

struct RedesignArgs {
  TrainArgs train;  // data (optional here), output, fine-tune recipe, --json
  std::string model;
  float width = 0;
  bool separable = false;
  std::string separable_layers;  // comma-separated; empty = every candidate
  std::string resolution;        // "S" or "HxW"
  int fine_tune_epochs = 0;
  bool no_kd = false;
};

std::pair<int64_t, int64_t> parse_resolution(const std::string& s) {
  int64_t h = 0, w = 0;
  char x = 0, extra = 0;
  std::istringstream in(s);
  if (s.find('x') == std::string::npos) {
    if (!(in >> h) || in >> extra) throw_usage("--resolution takes S or HxW, got '" + s + "'");
    return {h, h};
  }
  if (!(in >> h >> x >> w) || x != 'x' || in >> extra) throw_usage("--resolution takes S or HxW, got '" + s + "'");
  return {h, w};
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

void run_redesign(RedesignArgs& a) {
  const int transforms = (a.width > 0 ? 1 : 0) + (a.separable ? 1 : 0) + (a.resolution.empty() ? 0 : 1);
  if (transforms != 1) throw_usage("redesign needs exactly one of --width, --depthwise-separable or --resolution");
  if (a.fine_tune_epochs > 0 && a.train.data.empty()) throw_usage("--fine-tune-epochs needs --data");
  if (a.no_kd && !a.train.teacher.empty()) throw_usage("--no-kd and --teacher exclude each other");
  const Graph model = load_model(a.model);
  nlohmann::json j;
  Graph out;
  int64_t height = 0, width = 0;
  if (a.width > 0) {
    j["transform"] = "width";
    j["width"] = a.width;
    out = redesign::scale_width(model, a.width);
  } else if (a.separable) {
    j["transform"] = "depthwise-separable";
    redesign::SeparableResult r = redesign::to_depthwise_separable(model, split_commas(a.separable_layers));
    out = std::move(r.graph);
    j["layers"] = nlohmann::json::array();
    for (const redesign::SeparableLayer& l : r.layers)
      j["layers"].push_back({{"name", l.conv}, {"depthwise", l.depthwise}, {"pointwise", l.pointwise},
                             {"weight_residual", l.weight_residual}});
  } else {
    std::tie(height, width) = parse_resolution(a.resolution);
    j["transform"] = "resolution";
    j["resolution"] = {height, width};
    out = redesign::scale_resolution(model, height, width);
  }
  const ModelSummary before = summarize_model(model), after_transform = summarize_model(out);

  if (!a.train.data.empty()) {
    Dataset train_data = load_dataset(a.train.data, Split::kTrain);
    if (a.train.limit > 0 && a.train.limit < train_data.size()) train_data = take(train_data, a.train.limit);
    const Dataset test_data = load_dataset(a.train.data, Split::kTest);
    check_dataset_fits_model(model, test_data);
    const Dataset train_new = height > 0 ? resize_images(train_data, height, width) : train_data;
    const Dataset test_new = height > 0 ? resize_images(test_data, height, width) : test_data;
    const int threads = a.train.config.threads;
    j["accuracy_before"] = evaluate_classifier(model, test_data, 256, threads).accuracy;
    j["accuracy_after_transform"] = evaluate_classifier(out, test_new, 256, threads).accuracy;
    if (a.fine_tune_epochs > 0) {
      Graph teacher;
      if (!a.train.teacher.empty()) teacher = load_model(a.train.teacher);
      train::TrainConfig c = a.train.config;
      c.epochs = a.fine_tune_epochs;
      c.augment = !a.train.no_augment;
      const bool kd = !a.no_kd && (!a.train.teacher.empty() || height == 0);
      c.teacher = !kd ? nullptr : (a.train.teacher.empty() ? &model : &teacher);
      ProgressLine progress(5.0);
      auto on_progress = [&](const train::TrainProgress& p) {
        std::string line = fmt::format("fine-tune epoch {}/{} step {}/{} loss {:.4f} acc {:.2f}% {:.0f} img/s ETA {}",
                                       p.epoch + 1, p.epochs, p.step, p.steps_per_epoch, p.loss, 100 * p.accuracy,
                                       p.images_per_s, format_duration(p.eta_s));
        if (p.epoch_end && p.test_accuracy >= 0) line += fmt::format(" test {:.2f}%", 100 * p.test_accuracy);
        progress.update(line, p.epoch_end);
      };
      out = train::train(out, train_new, test_new, c, on_progress).model;
      progress.finish();
      j["distillation"] = kd;
    }
    j["fine_tune_epochs"] = a.fine_tune_epochs;
    j["accuracy"] = evaluate_classifier(out, test_new, 256, threads).accuracy;
  }
  save_onnx(out, a.train.out);
  j["output"] = a.train.out;
  j["macs_before"] = before.macs;
  j["macs_after"] = after_transform.macs;
  j["params_before"] = before.params;
  j["params_after"] = after_transform.params;
  if (a.train.json) {
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{}: {} redesign, MACs {} -> {} ({:.1f}%), params {} -> {} ({:.1f}%)", a.train.out,
             j["transform"].get<std::string>(), before.macs, after_transform.macs,
             100.0 * static_cast<double>(after_transform.macs) / static_cast<double>(before.macs), before.params,
             after_transform.params,
             100.0 * static_cast<double>(after_transform.params) / static_cast<double>(before.params));
  if (j.contains("accuracy"))
    fmt::print(", accuracy {:.2f}% -> {:.2f}%", 100 * j["accuracy_before"].get<double>(),
               100 * j["accuracy"].get<double>());
  fmt::print("\n");
}

}  // namespace

void add_redesign_verb(CLI::App& app) {
  auto a = std::make_shared<RedesignArgs>();
  a->train.config.lr = 0.01f;  // fine-tuning starts from (approximately) trained weights
  CLI::App* cmd = app.add_subcommand("redesign", "width multiplier, conv -> depthwise-separable, input resolution");
  cmd->add_option("model", a->model, "ONNX model")->required();
  cmd->add_option("--width", a->width, "rebuild the built-in architecture at this width multiplier")
      ->check(CLI::Range(0.01f, 4.0f));
  cmd->add_option("--depthwise-separable", a->separable_layers,
                  "replace standard convs (comma-separated names; none = all) by depthwise + pointwise")
      ->expected(0, 1);
  cmd->add_option("--resolution", a->resolution, "new input size S or HxW");
  cmd->add_option("--fine-tune-epochs", a->fine_tune_epochs, "fine-tune epochs after the transform (needs --data)")
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--teacher", a->train.teacher, "distill from this model (default: the original model)");
  cmd->add_flag("--no-kd", a->no_kd, "fine-tune on the labels only");
  add_train_flags(cmd, a->train);
  cmd->get_option("--data")->required(false);
  for (const char* unused : {"--epochs", "--checkpoint", "--resume"}) cmd->remove_option(cmd->get_option(unused));
  cmd->callback([a, cmd] {
    a->separable = cmd->get_option("--depthwise-separable")->count() > 0;
    run_redesign(*a);
  });
}

}  // namespace tinyopt::cli
