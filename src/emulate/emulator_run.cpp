// run_on_emulator (see emulator_run.h). A coreutils `timeout` wraps the run so a guest stuck in a loop
// becomes an error instead of a hang; the plugin writes its report to a file in the run directory.
#include "emulate/emulator_run.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tinyopt/core/error.h"

namespace tinyopt::emulate {

EmulatorRun run_on_emulator(const EmuPlatform& platform, const std::string& executable, const std::string& cwd,
                            bool count_instructions, int timeout_s) {
  namespace fs = std::filesystem;
  std::vector<std::string> argv = {"timeout", std::to_string(timeout_s)};
  const fs::path report = fs::absolute(cwd) / "insncount.txt";
  if (platform.kind != EmuKind::kHost) {
    argv.push_back(platform.emulator);
    argv.insert(argv.end(), platform.emulator_args.begin(), platform.emulator_args.end());
    if (count_instructions) {
      fs::remove(report);
      argv.insert(argv.end(), {"-plugin", insncount_plugin() + ",begin=emu_region_begin,end=emu_region_end,out=" +
                                              report.string()});
    }
    if (platform.kind == EmuKind::kCortexM) argv.push_back("-kernel");
  }
  argv.push_back(fs::absolute(executable).string());
  EmulatorRun run;
  run.process = run_process(argv, cwd);
  if (run.process.exit_code == 124)
    throw_bad_input(platform.name + " run of " + executable + " timed out after " + std::to_string(timeout_s) + " s");
  if (count_instructions && platform.kind != EmuKind::kHost) {
    std::ifstream in(report);
    if (!in) throw_internal("the instruction-count plugin wrote no report (" + report.string() + ")");
    std::ostringstream text;
    text << in.rdbuf();
    run.insns = parse_insncount_report(text.str());
  }
  return run;
}

}  // namespace tinyopt::emulate
