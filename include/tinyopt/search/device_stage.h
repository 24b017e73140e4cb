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
// A target without an emulator, or a machine without its tools, gets firmware and a `not_measured` reason,
// never a guessed figure. These stages do not change the choice and write no checkpoint (they are cheap and
// deterministic, so a resumed run simply redoes them).
#pragma once

#include <cstdint>
#include <string>

#include "tinyopt/search/device_check.h"
#include "tinyopt/search/optimize.h"

namespace tinyopt::search {

struct DeviceStageOptions {
  std::string data;      // the --data spec the test samples are read from (emulate reads the first N)
  int64_t samples = 100;  // test samples on the emulated device; 0 skips the emulation
};

// Targets tinyopt can emulate (emulate/emu_platform.h without the host).
bool emulatable_target(const std::string& target_name);

// Runs codegen (and emulation) for r.best; an empty DeviceCheck with `not_measured` set when there is no
// chosen candidate. A failed emulation (build error, guest fault) is recorded in `error`, not thrown, so the
// run's other outputs are still written; codegen errors (an unsupported graph) throw Error(kBadInput).
DeviceCheck run_device_stages(const OptimizeResult& r, const Dataset& test, const std::string& out_dir,
                              const DeviceStageOptions& options, const OptimizeProgressFn& progress = {});

}  // namespace tinyopt::search
