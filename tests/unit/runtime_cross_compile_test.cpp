// Every runtime/ref/*.c file compiles warning-free as C99 for Cortex-M4F and Cortex-M0+ with
// arm-none-eabi-gcc, and the integer kernels pull in nothing but other runtime symbols (no libm, no libc,
// no soft-float helpers) and contain no floating-point instructions. Skips with a message when the cross
// compiler is absent (scripts/install-deps.sh installs it).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "support/test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

bool have(const std::string& tool) { return run_command("command -v " + tool + " >/dev/null 2>&1").exit_code == 0; }

std::vector<fs::path> ref_sources() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(testing::source_dir()) / "runtime" / "ref"))
    if (e.path().extension() == ".c") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Files allowed to use floating point: the graph-boundary kernels and the setup-time helpers.
const std::set<std::string> kFloatAllowed = {"topt_quantize_s8__ref", "topt_dequantize_s8__ref",
                                             "topt_quantize_s16__ref", "topt_dequantize_s16__ref",
                                             "topt_quantize_params_check", "topt_quantize_multiplier",
                                             "topt_kernel_registry"};

void compile_all(const std::string& cpu_flags, const testing::TempDir& dir) {
  std::ostringstream cmd;
  cmd << "cd " << dir.path() << " && arm-none-eabi-gcc " << cpu_flags
      << " -std=c99 -Wall -Wextra -Werror -O2 -ffunction-sections -I" << testing::source_dir() << "/runtime/include -c";
  for (const auto& f : ref_sources()) cmd << " " << f;
  const auto r = run_command(cmd.str());
  ASSERT_EQ(r.exit_code, 0) << cmd.str() << "\n" << r.err;
}

TEST(RuntimeCrossCompile, CortexM4AllReferenceKernels) {
  if (!have("arm-none-eabi-gcc")) GTEST_SKIP() << "arm-none-eabi-gcc not installed (scripts/install-deps.sh)";
  testing::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(compile_all("-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16", dir));
  // One nm and one objdump over all objects: "file.o:" headers, then the symbols / instructions of that file.
  std::string objects;
  int count = 0;
  for (const auto& src : ref_sources()) {
    const std::string stem = src.stem().string();
    ASSERT_TRUE(fs::exists(dir.path() / (stem + ".o"))) << stem;
    ++count;
    if (!kFloatAllowed.count(stem)) objects += " " + stem + ".o";
  }
  const auto nm = run_command("cd " + dir.path().string() + " && arm-none-eabi-nm -u -A" + objects);
  ASSERT_EQ(nm.exit_code, 0) << nm.err;
  std::istringstream lines(nm.out);
  std::string line;
  while (std::getline(lines, line)) {
    // "topt_x.o:         U symbol": only other runtime functions may be needed
    const std::string sym = line.substr(line.find_last_of(' ') + 1);
    EXPECT_EQ(sym.rfind("topt_", 0), 0u) << line;
  }
  const auto dis = run_command("cd " + dir.path().string() + " && arm-none-eabi-objdump -d" + objects +
                               " | awk '/file format/ {f = $1} /[ \t]v[a-z]+\\.f(32|64)/ {print f, $0}'");
  EXPECT_EQ(dis.out, "") << "floating-point instructions in the integer kernels";
  EXPECT_GT(count, 20);
}

TEST(RuntimeCrossCompile, CortexM0PlusWithoutDspOrFpu) {
  if (!have("arm-none-eabi-gcc")) GTEST_SKIP() << "arm-none-eabi-gcc not installed (scripts/install-deps.sh)";
  testing::TempDir dir;
  compile_all("-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft", dir);
}

}  // namespace
}  // namespace tinyopt
