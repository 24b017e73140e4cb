// Running an external tool (cross compiler, size, qemu) from the library: argv in, exit status and
// captured stdout / stderr out, no shell in between (arguments are never re-parsed). It is not a job
// runner: one child at a time, waited for; no timeouts, no environment changes.
#pragma once

#include <string>
#include <vector>

namespace tinyopt::emulate {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that killed it, 0 when it exited
  std::string out, err;
};

// Runs argv[0] (looked up in PATH) with the given arguments in working directory `cwd` ("" = ours),
// stdin from /dev/null. Throws Error(kBadInput) when argv[0] cannot be started (e.g. not installed).
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& cwd = "");

// True when `tool` is an executable found in PATH.
bool tool_available(const std::string& tool);

// A command line for messages: arguments joined by spaces.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace tinyopt::emulate
