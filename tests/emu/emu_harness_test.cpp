// The emulation harness on its own (firmware/harness, tools/qemu-insncount): exit codes reach the host,
// a fault exits with 128 + the exception number instead of hanging, .data is initialised and .bss zeroed,
// semihosting file I/O works, the plugin counts nested regions exactly, and stack painting measures a
// known stack use. Skips per platform when the cross tools are missing.
#include <gtest/gtest.h>

#include <fstream>

#include "emu/emu_test_support.h"
#include "emulate/emulator_run.h"
#include "emulate/program_build.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

// Writes a file `name` with `text` into dir; returns its path.
std::string write_source(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  testing::write_file(dir.file(name), text);
  return dir.file(name);
}

emulate::EmulatorRun build_and_run(const emulate::EmuPlatform& platform, const std::string& program,
                                   const testing::TempDir& dir, bool count = true) {
  emulate::ProgramSpec spec;
  spec.sources = {write_source(dir, "prog_main.c", program)};
  spec.extra_cflags = {"-Wall", "-Wextra", "-Werror"};
  spec.work_dir = dir.path().string();
  const emulate::BuiltProgram built = emulate::build_program(platform, spec);
  return emulate::run_on_emulator(platform, built.executable, dir.path().string(), count);
}

class EmuHarness : public ::testing::TestWithParam<std::string> {
 protected:
  emulate::EmuPlatform platform() const { return emulate::emu_platform(GetParam()); }
};

TEST_P(EmuHarness, ExitCodeDataBssAndFileIo) {
  EMU_SKIP_IF_MISSING(platform());
  testing::TempDir dir;
  testing::write_file(dir.file("in.bin"), "abc");
  const auto run = build_and_run(platform(), R"(
#include <stdio.h>
static int initialised = 42;
static int zeroed[64];
int main(void) {
  char buf[4] = {0};
  FILE* in = fopen("in.bin", "rb");
  FILE* out = fopen("out.bin", "wb");
  int i, sum = 0;
  if (!in || !out || fread(buf, 1, 3, in) != 3) return 9;
  for (i = 0; i < 64; ++i) sum += zeroed[i];
  fprintf(out, "%s %d %d", buf, initialised, sum);
  fclose(out);
  printf("hello from the guest\n");
  return 7;
})", dir, false);
  EXPECT_EQ(run.process.exit_code, 7) << run.process.err;
  EXPECT_EQ(run.process.out, "hello from the guest\n");
  EXPECT_EQ(testing::read_file(dir.file("out.bin")), "abc 42 0");
}

TEST_P(EmuHarness, NestedRegionsAreCountedExactly) {
  EMU_SKIP_IF_MISSING(platform());
  testing::TempDir dir;
  // 1000 iterations of a loop whose body the compiler cannot drop: the count grows linearly with it
  const std::string program = R"(
#include "emu_harness.h"
volatile int sink;
static void work(int n) { int i; for (i = 0; i < n; ++i) sink = i; }
int main(void) {
  emu_region_begin();
  emu_region_begin(); work(1000); emu_region_end();
  emu_region_begin(); work(2000); emu_region_end();
  emu_region_begin(); emu_region_end();
  emu_region_end();
  return 0;
})";
  const auto run = build_and_run(platform(), program, dir);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  const auto& r = run.insns.regions;
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].depth, 1);
  EXPECT_EQ(r[3].depth, 0);
  EXPECT_LE(r[2].instructions, 4u) << "an empty region is the markers' own instructions";
  // twice the iterations, about twice the instructions (the loop set-up differs by a few)
  EXPECT_NEAR(static_cast<double>(r[1].instructions), 2.0 * static_cast<double>(r[0].instructions), 20.0)
      << r[0].instructions << " " << r[1].instructions;
  EXPECT_GE(r[0].instructions, 2000u);
  EXPECT_GT(r[3].instructions, r[0].instructions + r[1].instructions + r[2].instructions);
  EXPECT_GE(run.insns.total, r[3].instructions);
  // deterministic: the same program counts the same again
  testing::TempDir again;
  const auto run2 = build_and_run(platform(), program, again);
  ASSERT_EQ(run2.insns.regions.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(run2.insns.regions[i].instructions, r[i].instructions);
}

TEST_P(EmuHarness, StackPaintingMeasuresAKnownFrame) {
  EMU_SKIP_IF_MISSING(platform());
  testing::TempDir dir;
  const auto run = build_and_run(platform(), R"(
#include <stdio.h>
#include <string.h>
#include "emu_harness.h"
__attribute__((noinline)) static int deep(int n) { volatile char frame[3000]; memset((char*)frame, n, sizeof frame); return frame[n]; }
int main(void) {
  size_t used;
  emu_stack_paint();
  deep(5);
  used = emu_stack_peak();
  printf("%u\n", (unsigned)used);
  return 0;
})", dir, false);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  const int used = std::stoi(run.process.out);
  EXPECT_GE(used, 3000);
  EXPECT_LE(used, 3400);
}

TEST(EmuHarnessCortexM, AFaultExitsWith128PlusTheExceptionNumber) {
  const auto platform = emulate::emu_platform("cortex-m4");
  EMU_SKIP_IF_MISSING(platform);
  testing::TempDir dir;
  const auto run = build_and_run(platform, R"(
int main(void) { volatile int* p = (volatile int*)0xF0000000u; return *p; })", dir, false);
  EXPECT_EQ(run.process.exit_code, 131) << "HardFault is exception 3";
  EXPECT_NE((run.process.out + run.process.err).find("emu: fault, exception 003"), std::string::npos)
      << run.process.out << run.process.err;
}

INSTANTIATE_TEST_SUITE_P(Platforms, EmuHarness, ::testing::Values("cortex-m4", "cortex-m7", "rpi4"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace tinyopt
