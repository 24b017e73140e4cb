// One point the optimize search explores: how it is made (keep a fraction of the teacher's parameters by
// structured pruning, then a weight bit-width policy) and what the stages measured about it. Stages
// (stages.h) take a Candidate and return it with their fields filled; the pipeline (optimize.h) owns the
// order. Plain data: no behaviour beyond naming.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/search/objectives.h"

namespace tinyopt::search {

enum class WeightPolicy { kInt8, kInt4, kMixed };
const char* policy_name(WeightPolicy p);         // "int8", "int4", "mixed"
WeightPolicy policy_from_name(const std::string& name);  // Error(kBadInput) for other names

struct CandidateSpec {
  int id = 0;
  double keep = 1.0;  // fraction of the teacher's parameters structured pruning keeps (1: no pruning)
  WeightPolicy weights = WeightPolicy::kInt8;

  std::string label() const;  // "keep 50%, int4 weights"
  // Name of the shared pruned-and-fine-tuned float model this candidate starts from ("keep050").
  std::string pruned_key() const;
};

// One row of the per-layer table of the report.
struct LayerRow {
  std::string name;  // IR node name
  std::string op;    // "Conv", "Gemm", ...
  int weight_bits = 0;                 // 8 or 4 (0: no weights)
  int64_t channels_before = 0, channels_after = 0;  // output channels of the teacher and of this model
  int64_t macs = 0;
  int64_t weight_bytes = 0;
  std::optional<double> cycles;        // cost model, when available
  std::string kernel;                  // cost model: kernel class / variant on the target ("conv2d_s8/dsp")
};

// What one stage did to a candidate and what it cost.
struct StageRecord {
  std::string stage;    // "prune", "fine-tune", "quantize", "qat", "evaluate", "estimate"
  std::string summary;  // "L1 structured pruning to 70,512 params (50.0%)"
  double seconds = 0;   // wall time when it ran (0 when reused)
  bool reused = false;  // loaded from a checkpoint or shared with an earlier candidate
};

struct Candidate {
  CandidateSpec spec;
  Graph float_model;       // pruned + fine-tuned float model (BN unfolded)
  Graph qdq;               // the quantized model (QDQ, int4 weights packed)
  double float_accuracy = -1;  // of float_model on the test samples
  Metrics metrics;
  std::vector<LayerRow> layers;
  std::vector<StageRecord> stages;
  std::vector<std::string> notes;  // e.g. "mixed precision chose the same bits as int4: skipped"
  bool duplicate = false;          // same model as an earlier candidate (dropped from the front)
};

}  // namespace tinyopt::search
