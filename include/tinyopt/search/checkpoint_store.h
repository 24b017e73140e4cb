// Checkpoints of an optimize run inside its output folder (DIR/checkpoints/): every finished stage result
// (pruned + fine-tuned float models, finished candidates with their measurements, the search plan) is
// written atomically (temporary file + rename) the moment it is done, so a run killed at any point leaves
// only whole files, and `--resume` reloads them instead of recomputing. It also lets candidates that share
// a pruned model (int8 / int4 / mixed of one pruning level) compute it once.
//
// A candidate counts as finished when its JSON record exists; that record is written after its model, so
// a record always has its model. The store does not decide what to recompute; the pipeline does.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tinyopt/core/graph.h"
#include "tinyopt/search/candidate.h"

namespace tinyopt::search {

class CheckpointStore {
 public:
  // Creates DIR/checkpoints when missing. Throws Error(kBadInput) naming the folder when it cannot.
  explicit CheckpointStore(const std::string& out_dir);

  std::string path(const std::string& name) const;  // DIR/checkpoints/<name>
  bool has(const std::string& name) const;
  void remove_all();  // a fresh (not resumed) run starts from an empty checkpoint folder

  void save_json(const std::string& name, const nlohmann::json& j) const;
  nlohmann::json load_json(const std::string& name) const;  // Error(kBadInput) naming the file when corrupt
  void save_graph(const std::string& name, const Graph& g) const;  // ONNX
  Graph load_graph(const std::string& name) const;

 private:
  std::string dir_;
};

// A finished candidate's measurements (not its graphs: those are separate ONNX files) and back.
nlohmann::json candidate_to_json(const Candidate& c);
// Fills everything candidate_to_json wrote into `c` (spec, metrics, layers, stages, notes).
void candidate_from_json(const nlohmann::json& j, Candidate& c);

nlohmann::json metrics_to_json(const Metrics& m);
Metrics metrics_from_json(const nlohmann::json& j);

}  // namespace tinyopt::search
