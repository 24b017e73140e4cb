// The samples `tinyopt emulate` feeds a model: the first N of a dataset (--data) or N seeded random
// inputs in [0, 1); plus the work folder the builds go to (temporary unless the caller keeps it) and the
// check that a platform's tools are installed.
#pragma once

#include <string>
#include <vector>

#include "tinyopt/core/tensor.h"
#include "tinyopt/emulate/emu_platform.h"
#include "tinyopt/emulate/emulate.h"

namespace tinyopt::emulate {

struct SampleInputs {
  Tensor x;                     // float (N, ...sample_shape)
  std::vector<int32_t> labels;  // empty for random inputs or unlabeled data
};

// sample_shape: one sample's shape (without the batch axis). Throws Error(kBadInput) when the dataset's
// samples have another number of values, Error(kUsage) when options.samples < 1.
SampleInputs sample_inputs(const EmulateOptions& options, const Shape& sample_shape);

// Throws Error(kBadInput) naming every missing tool of the platform.
void require_tools(const EmuPlatform& platform);

// A folder for the builds: options.keep_dir when given (created, kept), else a fresh temporary folder
// removed when this object goes away.
class WorkDir {
 public:
  explicit WorkDir(const std::string& keep_dir);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool remove_ = false;
};

}  // namespace tinyopt::emulate
