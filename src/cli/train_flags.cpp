#include "cli/train_flags.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/model_file.h"
#include "cli/progress.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt::cli {

void add_train_flags(CLI::App* cmd, TrainArgs& a) {
  auto& c = a.config;
  cmd->add_option("--data", a.data, "fashion-mnist, a folder of IDX files, x.npy,y.npy or a .csv")->required();
  cmd->add_option("-o,--output", a.out, "output .onnx file")->required();
  cmd->add_option("--epochs", c.epochs, "epochs")->check(CLI::Range(1, 100000));
  cmd->add_option("--batch", c.batch, "batch size")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--lr", c.lr, "peak learning rate")->check(CLI::PositiveNumber);
  cmd->add_option("--optimizer", c.optimizer, "sgd, adam or adamw")->check(CLI::IsMember({"sgd", "adam", "adamw"}));
  cmd->add_option("--momentum", c.momentum, "SGD momentum")->check(CLI::Range(0.0f, 1.0f));
  cmd->add_flag("--nesterov", c.nesterov, "Nesterov momentum");
  cmd->add_option("--weight-decay", c.weight_decay, "weight decay")->check(CLI::NonNegativeNumber);
  cmd->add_option("--schedule", c.schedule, "cosine, step or constant")->check(CLI::IsMember({"cosine", "step", "constant"}));
  cmd->add_option("--warmup-epochs", c.warmup_epochs, "linear warm-up epochs")->check(CLI::NonNegativeNumber);
  cmd->add_option("--step-epochs", c.step_epochs, "step schedule: decay every N epochs")->check(CLI::PositiveNumber);
  cmd->add_option("--step-gamma", c.step_gamma, "step schedule: decay factor")->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--label-smoothing", c.label_smoothing, "label smoothing")->check(CLI::Range(0.0f, 0.99f));
  cmd->add_flag("--no-augment", a.no_augment, "no random crop / flip");
  cmd->add_option("--crop-pad", c.crop_pad, "random crop padding (pixels)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", c.seed, "seed for initialization, shuffling and augmentation");
  cmd->add_option("--threads", c.threads, "threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--kd-temp", c.kd_temp, "distillation temperature T")->check(CLI::PositiveNumber);
  cmd->add_option("--kd-alpha", c.kd_alpha, "weight of the distillation term")->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--slimming-l1", c.slimming_l1, "network slimming: L1 weight on BN gammas (e.g. 1e-4)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--checkpoint", a.checkpoint, "checkpoint file (default: OUTPUT.ckpt)");
  cmd->add_flag("--resume", c.resume, "continue from the checkpoint");
  cmd->add_option("--limit", a.limit, "train on the first N samples only")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", a.json, "print a JSON summary at the end");
}

Graph model_from_file_or_arch(const std::string& spec, uint64_t seed) {
  if (std::filesystem::exists(spec)) return load_model(spec);
  if (spec.size() > 5 && spec.substr(spec.size() - 5) == ".onnx") throw_bad_input(spec + ": no such file");
  return build_architecture(spec, ArchOptions{1.0f, 0, seed});
}

void run_training(const Graph& model, TrainArgs& a, const std::string& what) {
  auto& c = a.config;
  c.augment = !a.no_augment;
  c.checkpoint_path = a.checkpoint.empty() ? a.out + ".ckpt" : a.checkpoint;
  Graph teacher;
  if (!a.teacher.empty()) {
    teacher = load_model(a.teacher);
    c.teacher = &teacher;
  }
  Dataset train_data = load_dataset(a.data, Split::kTrain);
  if (a.limit > 0 && a.limit < train_data.size()) train_data = take(train_data, a.limit);
  const Dataset test_data = load_dataset(a.data, Split::kTest);

  ProgressLine progress;
  auto on_progress = [&](const train::TrainProgress& p) {
    std::string line = fmt::format("{} epoch {}/{} step {}/{} loss {:.4f} acc {:.2f}% lr {:.4g} {:.0f} img/s ETA {}",
                                   what, p.epoch + 1, p.epochs, p.step, p.steps_per_epoch, p.loss, 100 * p.accuracy,
                                   p.lr, p.images_per_s, format_duration(p.eta_s));
    if (p.epoch_end && p.test_accuracy >= 0) line += fmt::format(" test {:.2f}%", 100 * p.test_accuracy);
    progress.update(line, p.epoch_end);
  };
  const train::TrainResult r = train::train(model, train_data, test_data, c, on_progress);
  progress.finish();
  save_onnx(r.model, a.out);
  if (a.json) {
    nlohmann::json j = {{"accuracy", r.test_accuracy}, {"epochs", r.epochs_run}, {"images_per_s", r.train_images_per_s},
                        {"output", a.out}, {"final_loss", r.final_loss}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}: test accuracy {:.2f}% after {} epochs ({:.0f} training images/s)\n", a.out, 100 * r.test_accuracy,
               r.epochs_run, r.train_images_per_s);
  }
}

}  // namespace tinyopt::cli
