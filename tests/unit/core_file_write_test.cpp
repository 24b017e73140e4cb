// write_file_atomic (src/core/file_bytes.h): the whole file or nothing under the final name, and the
// temporaries a killed writer left behind are cleared by the next write of the same file (while a live
// process's temporaries and unrelated look-alike names stay). scripts/fault_injection.py checks the same
// end to end by SIGKILLing optimize.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "core/file_bytes.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

// The pid of a process that has exited and been reaped: no process has it (until the kernel reuses it).
pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

// write_file_atomic's temporary name for `target` written by process `pid`.
std::string temp_name(const std::string& target, pid_t pid) { return target + ".tmp" + std::to_string(pid) + ".0"; }

void write(const std::string& path, const std::string& text) {
  detail::write_file_atomic(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

TEST(CoreFileWrite, RewriteClearsTemporariesOfDeadWritersOnly) {
  testing::TempDir tmp;
  const std::string target = tmp.file("best.onnx");
  const std::string stale = temp_name(target, dead_pid()), live = temp_name(target, getppid());
  for (const std::string& f : {stale, live, tmp.file("best.onnx.tmpx.1"), tmp.file("other.onnx.tmp1.0")})
    testing::write_file(f, "partial");
  write(target, "whole");
  EXPECT_EQ(testing::read_file(target), "whole");
  EXPECT_FALSE(fs::exists(stale)) << "a dead writer's temporary is left";
  EXPECT_TRUE(fs::exists(live)) << "a live process's temporary was removed";
  EXPECT_TRUE(fs::exists(tmp.file("best.onnx.tmpx.1")));
  EXPECT_TRUE(fs::exists(tmp.file("other.onnx.tmp1.0")));
  int temporaries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path()))
    temporaries += e.path().filename().string().rfind("best.onnx.tmp", 0) == 0;
  EXPECT_EQ(temporaries, 2);  // the live one and the look-alike; none of this write's own
}

}  // namespace
}  // namespace tinyopt
