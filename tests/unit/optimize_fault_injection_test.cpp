// The short version of the fault-injection run (scripts/fault_injection.py; `make bench` does 20 kills into
// bench/results/fault_injection.json): a small `tinyopt optimize` SIGKILLed 3 times at random moments, each
// followed by --resume, must end byte-identical to an uninterrupted run with no partial file ever visible;
// a read-only output folder and a full disk must each give one `tinyopt: error:` line and exit 1. It runs
// the CLI built beside the tests, so under `make check`'s sanitized pass the sanitized CLI is the one killed.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.h"

namespace tinyopt {
namespace {

TEST(OptimizeFaultInjection, ThreeKillsAndResumesGiveTheUninterruptedResult) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 not installed";
  testing::TempDir tmp;
  const std::string report = tmp.file("fault_injection.json");
  const auto r = testing::run_command("/usr/bin/python3 " + testing::source_dir() + "/scripts/fault_injection.py" +
                                      " --tinyopt " + testing::cli_path() + " --work " + tmp.file("work") +
                                      " --kills 3 --seed 2 --json " + report);
  if (r.exit_code == 77) GTEST_SKIP() << r.out;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << (std::filesystem::exists(report) ? testing::read_file(report) : "");
}

}  // namespace
}  // namespace tinyopt
