// What the last stages of an optimize run found about the chosen model on the device: the firmware written
// to DIR/firmware (tinyopt codegen) and, when the target can be emulated, the emulated-device check (tinyopt
// emulate): the firmware run on N test samples under qemu, every output byte compared with the host's
// integer executor, and the sizes and instruction counts measured there beside the cost model's estimates.
// Plain data, filled by device_stage.h and shown by the report; nothing here is guessed: a figure that was
// not measured is absent and `not_measured` says why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/search/objectives.h"

namespace tinyopt::search {

struct DeviceCheck {
  int candidate = -1;  // the candidate whose firmware this is (the chosen one when the check passed)
  // Firmware (codegen of the chosen candidate for the target).
  std::string firmware_dir;          // DIR/firmware; "" when none was written
  int64_t firmware_files = 0;
  std::vector<std::string> kernels;  // distinct runtime kernels the firmware calls ("topt_conv2d_s8__dsp")
  int64_t arena_bytes = 0;           // the planner's tensor arena of the firmware
  double codegen_seconds = 0;

  // Emulation.
  bool emulated = false;
  std::string not_measured;  // why there is no emulated check (non-emulatable target, tools missing, ...)
  std::string platform;      // "cortex-m4: qemu-system-arm -M mps2-an386"
  bool same_project = false;  // the emulated project's sources equal firmware/'s byte for byte
  int64_t samples = 0;        // first N test samples
  int64_t identical = 0;      // samples whose output bytes all equal the host integer executor's
  int64_t mismatched_bytes = 0;
  double host_accuracy = 0;                // integer executor on the same samples
  std::optional<double> device_accuracy;   // the emulated firmware's top-1 (labelled data)
  int64_t flash_bytes = 0, ram_bytes = 0;  // measured: model + runtime from the link map; data + bss + stack
  int64_t stack_bytes = 0;
  double instructions_per_inference = 0;  // qemu instruction count (not cycles)
  std::optional<int64_t> estimated_flash_bytes, estimated_ram_bytes;  // the cost model's, for comparison
  std::optional<double> estimated_cycles;                              // latency * clock
  double emulate_seconds = 0;
  // The flash and RAM budgets checked against the measured figures (device_budget_checks; empty when not
  // emulated): the firmware must fit the device, not only the cost model's estimate of it.
  std::vector<BudgetCheck> budgets;
  // Earlier choices whose measured flash or RAM violated a budget their estimate met, in the order tried
  // ("#2 (keep 35%, int4 weights): RAM <= 32.0 KiB violated on the device: measured 32.8 KiB, estimated 29.6 KiB").
  std::vector<std::string> rejected;
  std::string error;  // the emulation failed (build error, guest fault): the message
};

}  // namespace tinyopt::search
