// codegen on bad input and the folder contract: a float model is refused with a pointer to `tinyopt
// quantize` and no folder is created; an existing folder that is not a generated project is never replaced;
// a generated project is replaced atomically; a failure (bad runtime folder) leaves no folder and no
// temporary folder behind; the CLI prints one `tinyopt: error:` line with exit 1 (bad input) or 2 (usage).
// Also the kernel choice (firmware never gets the host's x86 kernels) and the C literal spellings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "codegen/c_writer.h"
#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/target/kernel_choice.h"
#include "unit/codegen_test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

Graph small_qdq() { return testing::quantized_architecture("ds-cnn"); }

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CodegenErrors, FloatModelIsRefusedWithAPointerToQuantize) {
  testing::TempDir dir;
  const Graph f = build_architecture("ds-cnn");
  const std::string e = error_of([&] { generate_c_project(f, host_target(), dir.file("fw")); });
  EXPECT_NE(e.find("tinyopt quantize"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir.file("fw")));
}

TEST(CodegenErrors, ExistingForeignFolderIsNotReplaced) {
  testing::TempDir dir;
  fs::create_directories(dir.file("fw"));
  testing::write_file(dir.file("fw/notes.txt"), "mine");
  const std::string e = error_of([&] { generate_c_project(small_qdq(), host_target(), dir.file("fw")); });
  EXPECT_NE(e.find("refusing to replace"), std::string::npos) << e;
  EXPECT_EQ(testing::read_file(dir.file("fw/notes.txt")), "mine");
}

TEST(CodegenErrors, GeneratedProjectIsReplacedAndFailuresLeaveNothing) {
  testing::TempDir dir;
  const CodegenResult first = generate_c_project(small_qdq(), host_target(), dir.file("fw"));
  testing::write_file(dir.file("fw/stale.txt"), "old");
  CodegenOptions o;
  o.format = CodegenFormat::kCmake;
  generate_c_project(small_qdq(), host_target(), dir.file("fw/"), o);  // trailing slash: the same folder
  EXPECT_FALSE(fs::exists(dir.file("fw/stale.txt")));
  EXPECT_TRUE(fs::exists(dir.file("fw/CMakeLists.txt")));
  EXPECT_FALSE(fs::exists(dir.file("fw/Makefile")));
  // A failure after lowering (no runtime folder): neither the new folder nor a temporary one remains.
  o.runtime_dir = dir.file("no-runtime");
  const std::string e = error_of([&] { generate_c_project(small_qdq(), host_target(), dir.file("fw2"), o); });
  EXPECT_NE(e.find("no-runtime"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir.file("fw2")));
  for (const auto& entry : fs::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().find(".fw"), std::string::npos) << entry.path();
  (void)first;
}

TEST(CodegenErrors, CliOneLineErrorsAndExitCodes) {
  testing::TempDir dir;
  save_onnx(build_architecture("ds-cnn"), dir.file("float.onnx"));
  const auto r = testing::run_cli("codegen " + dir.file("float.onnx") + " --target host -o " + dir.file("fw"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("tinyopt: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("tinyopt quantize"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("fw")));
  const auto u = testing::run_cli("codegen " + dir.file("float.onnx") + " --target host --format nope -o " +
                                  dir.file("fw"));
  EXPECT_EQ(u.exit_code, 2) << u.err;
}

TEST(CodegenCli, GeneratesAProjectAndPrintsJson) {
  testing::TempDir dir;
  save_onnx(small_qdq(), dir.file("q.onnx"));
  const auto r = testing::run_cli("codegen " + dir.file("q.onnx") + " --target host --format make --json -o " +
                                  dir.file("fw"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["target"], "host");
  EXPECT_GT(j["weight_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["arena_bytes"].get<int64_t>(), 0);
  EXPECT_TRUE(fs::exists(dir.file("fw/model.c")));
  EXPECT_TRUE(fs::exists(dir.file("fw/manifest.json")));
  // A built-in target: its cross compiler and flags in the Makefile.
  const auto m4 = testing::run_cli("codegen " + dir.file("q.onnx") + " --target cortex-m4 -o " + dir.file("m4"));
  ASSERT_EQ(m4.exit_code, 0) << m4.err;
  const std::string makefile = testing::read_file(dir.file("m4/Makefile"));
  EXPECT_NE(makefile.find("CC = arm-none-eabi-gcc"), std::string::npos) << makefile;
  EXPECT_NE(makefile.find("-mcpu=cortex-m4"), std::string::npos) << makefile;
}

TEST(CodegenKernelChoice, FirmwareNeverCallsHostOnlyVariants) {
  IntegerProgram p = lower_qdq_graph(small_qdq());
  retarget_program(p, host_target());
  for (const IntegerStep& s : p.steps) EXPECT_EQ(s.kernel.substr(s.kernel.size() - 5), "__ref") << s.kernel;
  // A target with dsp / neon features may pick those variants, never x86.
  for (const Target& t : {testing::cortex_m4_target(), testing::aarch64_target()}) {
    IntegerProgram q = lower_qdq_graph(small_qdq());
    retarget_program(q, t);
    for (const IntegerStep& s : q.steps) {
      EXPECT_EQ(s.kernel.find("__x86"), std::string::npos) << s.kernel;
      EXPECT_EQ(s.kernel.rfind("topt_" + family_name(s.family).substr(0, 4), 0), 0u) << s.kernel;
    }
  }
  EXPECT_EQ(target_variants(host_target()).size(), 1u);
  EXPECT_EQ(target_variants(testing::cortex_m4_target()).size(), 2u);
}

TEST(CodegenCWriter, LiteralsReadBack) {
  using codegen::c_float;
  using codegen::c_identifier;
  using codegen::c_int;
  EXPECT_EQ(c_int(-5), "-5");
  EXPECT_EQ(c_int(std::numeric_limits<int32_t>::min()), "(-2147483647 - 1)");
  EXPECT_EQ(c_int(int64_t{1} << 40), "INT64_C(1099511627776)");
  for (float v : {0.00392156886f, 1.0f, 3.0f, 1e-5f, 123456.789f, 0.1f}) {
    std::string s = c_float(v);
    ASSERT_EQ(s.back(), 'f') << s;
    s.pop_back();
    EXPECT_EQ(std::strtof(s.c_str(), nullptr), v) << s;
  }
  EXPECT_THROW(c_float(std::numeric_limits<float>::infinity()), Error);
  EXPECT_EQ(c_identifier("conv1/weight:0"), "conv1_weight_0");
  EXPECT_EQ(c_identifier("1x"), "_1x");
  EXPECT_EQ(codegen::c_comment("a */ b"), "a * / b");
}

}  // namespace
}  // namespace tinyopt
