// The parts of `tinyopt quantize` beyond post-training quantization: mixed-precision weights under a budget
// (`--weights mixed --max-flash SIZE | --max-bits-avg B`) and quantization-aware training afterwards
// (`--qat-epochs N --qat-lr --qat-batch --qat-limit --teacher --kd-temp --kd-alpha`). verb_quantize.cpp
// owns the verb; it adds these flags and calls quantize_with_extras() where it would call quantize_model().
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/progress.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/passes/quantize.h"

namespace tinyopt::cli {

struct QuantizeExtras {
  bool mixed = false;         // --weights mixed (set by the verb)
  uint64_t max_flash = 0;     // bytes; 0 = not given
  double max_bits_avg = 0;    // 0 = not given
  int64_t heldout = 500;      // samples for the sensitivity measurement, held out from calibration
  int qat_epochs = 0;
  float qat_lr = 1e-3f;
  int qat_batch = 64;
  int64_t qat_limit = 0;      // train on N samples of the training split (0 = all)
  std::string teacher;
  float kd_temp = 4.0f;
  float kd_alpha = 0.9f;
};

void add_quantize_extra_flags(CLI::App* cmd, QuantizeExtras& extras);

// What the verb needs to know about the data to hold out sensitivity samples and to train.
struct QuantizeDataSpec {
  std::string data;          // --data
  uint64_t seed = 0;         // --seed (calibration sample selection, training shuffle)
  int64_t calib = 0;         // --calib (0 with --calib-data: then held-out samples are drawn after none)
  int threads = 0;
};

// quantize_model, or the mixed-precision choice around it, then QAT when asked; the result's layers have
// the final weight bits and SQNR. Adds "mixed" / "qat" objects to `json` (when asked for) and returns
// lines for the text summary.
quant::QuantizeResult quantize_with_extras(const Graph& model, const Dataset& calibration, const QuantizeDataSpec& spec,
                                           const quant::QuantizeOptions& options, const QuantizeExtras& extras,
                                           ProgressLine& progress, nlohmann::json& json, std::string& summary);

}  // namespace tinyopt::cli
