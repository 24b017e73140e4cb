// One function per verb: each adds its CLI11 subcommand with its flags and a callback that does the work.
// Verb files only parse flags, call the library and render results (text or --json).
#pragma once

#include <CLI/CLI.hpp>

namespace tinyopt::cli {

void add_inspect_verb(CLI::App& app);
void add_run_verb(CLI::App& app);
void add_eval_verb(CLI::App& app);
void add_new_verb(CLI::App& app);
void add_train_verb(CLI::App& app);
void add_distill_verb(CLI::App& app);
void add_prune_verb(CLI::App& app);
void add_quantize_verb(CLI::App& app);
void add_codegen_verb(CLI::App& app);
void add_redesign_verb(CLI::App& app);
void add_optimize_verb(CLI::App& app);
void add_targets_verb(CLI::App& app);
void add_estimate_verb(CLI::App& app);

}  // namespace tinyopt::cli
