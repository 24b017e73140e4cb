// Training checkpoints: everything needed to resume a run exactly -- the epoch and step reached, a JSON
// description of the run (checked on resume), and named float tensors (parameters, BN running state,
// optimizer moments). Our own small binary format, written atomically (temporary file + rename):
//   "TOPTCKPT" | u32 version (1) | u32 json bytes | json | u32 tensor count |
//   per tensor: u32 name bytes | name | u32 rank | i64 dims[rank] | f32 data[numel] |
//   u64 FNV-1a hash of every preceding byte
// Little-endian. Not a model exchange format: the model itself is exported as ONNX.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyopt/train/train_graph.h"

namespace tinyopt::train {

struct CheckpointTensor {
  std::string name;
  Shape shape;
  std::vector<float> data;
};

struct Checkpoint {
  int epochs_done = 0;      // completed epochs
  int64_t step = 0;         // optimizer steps taken
  nlohmann::json run;       // what the run was (model fingerprint, config), compared on resume
  std::vector<CheckpointTensor> tensors;
};

// Collects `refs` (parameters, state, optimizer moments) into checkpoint tensors.
void add_tensors(Checkpoint& ckpt, const std::vector<ParamRef>& refs);
// Copies each ref's values from the checkpoint tensor of the same name and shape; throws Error(kBadInput)
// naming the file and the tensor when one is missing or has another shape.
void restore_tensors(const Checkpoint& ckpt, const std::vector<ParamRef>& refs, const std::string& path);

void save_checkpoint(const Checkpoint& ckpt, const std::string& path);
// Throws Error(kBadInput) naming the file when it is missing, truncated, corrupt or of another version.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace tinyopt::train
