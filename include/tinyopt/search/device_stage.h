// The last two stages of `tinyopt optimize` (DESIGN.md section 1, stage 4), run on the chosen candidate
// after the search:
//   1. codegen: the C99 project for the target (generate_c_project) into DIR/firmware. codegen writes the
//      whole folder into a temporary folder beside it and renames it in, so an interrupted run leaves the
//      old firmware or the new one, never a mix.
//   2. emulate (only on an emulatable target: cortex-m4, cortex-m7, rpi4): the model built for the device
//      and run under qemu on the first N test samples (emulate_model), every output byte compared with the
//      host integer executor; the host's accuracy on the same samples; the project emulate built compared
//      file by file with firmware/, so the check is about the firmware handed to the user; measured flash,
//      RAM and instructions beside the cost model's estimates.
//   3. the budgets against the device: the measured flash and RAM are checked against --max-flash /
//      --max-ram (device_budget_checks). The cost model's estimate chose the candidate, but the device has
//      the last word: a chosen candidate whose measured flash or RAM violates a budget is rejected, and the
//      next feasible candidate of least J gets its firmware and check, up to max_attempts candidates. When
//      none passes, the run is infeasible (r.best reset, firmware/ removed, r.infeasible names each rejected
//      candidate with its measured and estimated figure). Latency and energy stay checked on the estimate
//      (qemu counts instructions, not cycles).
// A target without an emulator, or a machine without its tools, gets firmware and a `not_measured` reason,
// never a guessed figure; its budgets stay checked on the estimates only. These stages write no checkpoint
// (they are deterministic, so a resumed run simply redoes them).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tinyopt/search/device_check.h"
#include "tinyopt/search/optimize.h"

namespace tinyopt::search {

struct DeviceStageOptions {
  std::string data;      // the --data spec the test samples are read from (emulate reads the first N)
  int64_t samples = 100;  // test samples on the emulated device; 0 skips the emulation
  int max_attempts = 3;   // candidates whose firmware is measured before the run gives up (each costs a build + qemu)
  // Replaces the emulation of a candidate's firmware (tests: a device whose measured sizes are chosen); it
  // fills the emulated fields of the DeviceCheck. Empty: emulate_model under qemu.
  std::function<void(const Candidate&, DeviceCheck&)> measure;
};

// Targets tinyopt can emulate (emulate/emu_platform.h without the host).
bool emulatable_target(const std::string& target_name);

// The flash and RAM budgets of `b` checked against d's measured figures, in the order flash, RAM; empty when
// d was not emulated. A figure the platform does not measure (0) leaves its budget unchecked.
std::vector<BudgetCheck> device_budget_checks(const DeviceCheck& d, const Budgets& b);

// Runs codegen (and emulation) for r.best and sets r.device; a DeviceCheck with `not_measured` set when there
// is no chosen candidate. A device measurement over a budget moves r.best to the next candidate or makes the
// run infeasible (step 3 above). A failed emulation (build error, guest fault) is recorded in `error`, not
// thrown, so the run's other outputs are still written; codegen errors (an unsupported graph) throw
// Error(kBadInput).
void run_device_stages(OptimizeResult& r, const Dataset& test, const std::string& out_dir,
                       const DeviceStageOptions& options, const OptimizeProgressFn& progress = {});

}  // namespace tinyopt::search
