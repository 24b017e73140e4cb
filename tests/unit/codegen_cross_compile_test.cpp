// Generated projects compile warning-free (-Wall -Wextra -Werror) with the cross compilers: arm-none-eabi-gcc
// (Cortex-M4 flags, through the generated Makefile), aarch64-linux-gnu-gcc (the Makefile links the example)
// and xtensa-lx106-elf-gcc (the ESP portability check), for the teacher (int8, W4A8) and the four MLPerf Tiny
// shapes. Also reports the Cortex-M4 flash of the model objects (arm-none-eabi-size) split into weights,
// parameters and code, and checks nothing lands in .data. Each compiler's test skips with a message when
// it is absent (scripts/install-deps.sh installs them).
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "support/test_support.h"
#include "tinyopt/codegen/codegen.h"
#include "unit/codegen_test_support.h"

namespace tinyopt {
namespace {

constexpr const char* kM4Flags = "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16";

// Quantized models covering every kernel family the shipped models use; the teacher only when present.
std::vector<std::pair<std::string, Graph>> models() {
  std::vector<std::pair<std::string, Graph>> m;
  if (auto t = testing::quantized_teacher(8)) m.emplace_back("fmnist-cnn-int8", *t);
  if (auto t = testing::quantized_teacher(4)) m.emplace_back("fmnist-cnn-w4a8", *t);
  m.emplace_back("ds-cnn", testing::quantized_architecture("ds-cnn"));
  m.emplace_back("mobilenetv1", testing::quantized_architecture("mobilenetv1", 0.25f));
  m.emplace_back("resnet8", testing::quantized_architecture("resnet8"));
  m.emplace_back("fc-ae", testing::quantized_architecture("fc-ae"));
  return m;
}

TEST(CodegenCrossCompile, CortexM4) {
  if (!testing::have_tool("arm-none-eabi-gcc")) GTEST_SKIP() << "arm-none-eabi-gcc not installed (scripts/install-deps.sh)";
  for (const auto& [name, q] : models()) {
    testing::TempDir dir;
    const CodegenResult r = generate_c_project(q, testing::cortex_m4_target(), dir.file("fw"));
    // The generated Makefile: the cross compiler and flags from the target, library + main.o (bare metal).
    const auto make = testing::run_command("make -s -C " + r.dir + " EXTRA_CFLAGS=-Werror 2>&1");
    EXPECT_EQ(make.exit_code, 0) << name << "\n" << make.out;
    if (make.exit_code != 0) continue;
    EXPECT_TRUE(std::filesystem::exists(r.dir + "/main.o"));
    const auto size = testing::run_command("arm-none-eabi-size -t " + r.dir + "/libtinyopt_model.a");
    ASSERT_EQ(size.exit_code, 0) << size.err;
    // last line: "text data bss dec hex (TOTALS)"
    std::istringstream lines(size.out);
    std::string line, last;
    while (std::getline(lines, line))
      if (!line.empty()) last = line;
    int64_t text = 0, data = 0, bss = 0;
    std::istringstream(last) >> text >> data >> bss;
    EXPECT_GE(text, r.weight_bytes + r.params_bytes) << name;
    EXPECT_GE(bss, static_cast<int64_t>(r.arena_bytes)) << name;
    EXPECT_EQ(data, 0) << name << ": weights and parameters must be const (flash), not .data";
    std::cout << "[ codegen   ] " << name << " on cortex-m4 (objects, before --gc-sections): text " << text
              << " B = weights " << r.weight_bytes << " + params " << r.params_bytes << " + code "
              << text - r.weight_bytes - r.params_bytes << "; data " << data << " B; bss " << bss << " B (arena "
              << r.arena_bytes << " B)\n";
  }
}

TEST(CodegenCrossCompile, Aarch64) {
  if (!testing::have_tool("aarch64-linux-gnu-gcc")) GTEST_SKIP() << "aarch64-linux-gnu-gcc not installed";
  for (const auto& [name, q] : models()) {
    testing::TempDir dir;
    const CodegenResult r = generate_c_project(q, testing::aarch64_target(), dir.file("fw"));
    EXPECT_EQ(testing::compile_project(r, "aarch64-linux-gnu-gcc", "-mcpu=cortex-a72"), "") << name;
    if (name != "fmnist-cnn-int8") continue;
    // hosted toolchain: the Makefile links the example
    const auto make = testing::run_command("make -s -C " + r.dir + " EXTRA_CFLAGS=-Werror 2>&1");
    ASSERT_EQ(make.exit_code, 0) << make.out;
    EXPECT_TRUE(std::filesystem::exists(r.dir + "/example"));
  }
}

TEST(CodegenCrossCompile, XtensaLx106) {
  if (!testing::have_tool("xtensa-lx106-elf-gcc")) GTEST_SKIP() << "xtensa-lx106-elf-gcc not installed";
  for (const auto& [name, q] : models()) {
    testing::TempDir dir;
    const CodegenResult r = generate_c_project(q, host_target(), dir.file("fw"));
    // Debian's lx106 toolchain ships no C library: the model (stdint.h, stddef.h only) builds freestanding;
    // the example needs stdio and is left out.
    EXPECT_EQ(testing::compile_project(r, "xtensa-lx106-elf-gcc", "-mlongcalls -ffreestanding", false), "") << name;
  }
}

}  // namespace
}  // namespace tinyopt
