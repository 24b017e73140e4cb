// Flags and rendering shared by `train` and `distill`: the training recipe, the teacher, checkpoints,
// the progress line and the final summary.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "tinyopt/core/graph.h"
#include "tinyopt/train/trainer.h"

namespace tinyopt::cli {

struct TrainArgs {
  train::TrainConfig config;
  std::string data, out, teacher, checkpoint;
  int64_t limit = 0;  // use only the first N training samples (quick experiments, tests)
  bool no_augment = false;
  bool json = false;
};

void add_train_flags(CLI::App* cmd, TrainArgs& args);

// A model argument is an ONNX file when it exists, otherwise a built-in architecture name.
Graph model_from_file_or_arch(const std::string& spec, uint64_t seed);

// Loads the data, trains (with the teacher when args.teacher is set), writes args.out and prints the
// summary (text or JSON).
void run_training(const Graph& model, TrainArgs& args, const std::string& what);

}  // namespace tinyopt::cli
