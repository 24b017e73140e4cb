// Shared by the hostile-input tests (tests/unit/hostile_*_test.cpp, the table in docs/hostile-inputs.md):
// one hostile input is a file (or folder) written into a temporary folder, the tinyopt command that reads
// it, and the fragments its one-line error must contain. check_hostile_input() runs the CLI and asserts
// what DESIGN.md section 4 promises for bad input: no signal, exit code 1, exactly one stderr line
// starting "tinyopt: error: " that names the file, and no output left behind. With the environment
// variable TINYOPT_HOSTILE_TABLE set to a file, each case appends its row (input, what the user sees)
// there, which is how docs/hostile-inputs.md is regenerated.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace tinyopt::testing {

struct HostileInput {
  std::string name;   // test name and file stem
  std::string input;  // what the input is, for the table
  // Writes the input into `dir` and returns the path the command reads.
  std::function<std::string(const TempDir& dir)> write;
  // The CLI arguments for `path`; outputs must go under `out` (checked to stay empty).
  std::function<std::string(const std::string& path, const std::string& out)> command;
  std::vector<std::string> needles;  // must appear in the error line
  // Also checks the library directly (in-process, so sanitizers see it); throws nothing when fine.
  std::function<void(const std::string& path)> library_check;
};

// The test-name suffix, and what gtest prints for a parameter: the case name.
inline std::string hostile_name(const HostileInput& c) { return c.name; }
inline void PrintTo(const HostileInput& c, std::ostream* os) { *os << c.name; }

void check_hostile_input(const HostileInput& c);

}  // namespace tinyopt::testing
