// `tinyopt train --arch NAME | MODEL --data D [recipe flags] [--teacher T] -o OUT.onnx` and
// `tinyopt distill --teacher T --student S --data D [...] -o OUT.onnx`.
#include "cli/train_flags.h"
#include "cli/verbs.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"

namespace tinyopt::cli {

void add_train_verb(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto arch = std::make_shared<std::string>();
  auto model = std::make_shared<std::string>();
  auto width = std::make_shared<float>(1.0f);
  CLI::App* cmd = app.add_subcommand("train", "train a built-in architecture or an ONNX model");
  cmd->add_option("model", *model, "ONNX model to train (or use --arch)");
  cmd->add_option("--arch", *arch, "built-in architecture (tinyopt new --help lists them)");
  cmd->add_option("--width", *width, "width multiplier for --arch")->check(CLI::Range(0.01f, 4.0f));
  cmd->add_option("--teacher", args->teacher, "distill from this ONNX teacher while training");
  add_train_flags(cmd, *args);
  cmd->callback([args, arch, model, width] {
    if (arch->empty() == model->empty()) throw_usage("train needs exactly one of MODEL or --arch NAME");
    const Graph g = arch->empty() ? model_from_file_or_arch(*model, args->config.seed)
                                  : build_architecture(*arch, ArchOptions{*width, 0, args->config.seed});
    run_training(g, *args, "train");
  });
}

void add_distill_verb(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto student = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("distill", "train a student against a teacher's soft targets");
  cmd->add_option("--teacher", args->teacher, "teacher ONNX model")->required();
  cmd->add_option("--student", *student, "student ONNX model or built-in architecture name")->required();
  add_train_flags(cmd, *args);
  cmd->callback([args, student] {
    run_training(model_from_file_or_arch(*student, args->config.seed), *args, "distill");
  });
}

}  // namespace tinyopt::cli
