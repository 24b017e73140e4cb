// The packaging formats of `codegen --format`: each project has its ecosystem's structure (Makefile; CMake
// library; ESP-IDF component with idf_component_register; Arduino library with library.properties and src/;
// Zephyr module with zephyr/module.yml, CMakeLists and Kconfig), every build file lists exactly the model's
// sources, and the C (model, runtime, example) compiles warning-free with the host compiler. The CMake
// project is also configured, built and run. Uses ds-cnn (random weights): small and quick.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/codegen/codegen.h"
#include "unit/codegen_test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

CodegenResult generate(const testing::TempDir& dir, CodegenFormat format) {
  CodegenOptions o;
  o.format = format;
  return generate_c_project(testing::quantized_architecture("ds-cnn"), host_target(), dir.file("fw"), o);
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

std::string file(const CodegenResult& r, const std::string& rel) { return testing::read_file(r.dir + "/" + rel); }

// Every file the result lists exists, the manifest agrees, and every source is named in `build_file`.
void expect_consistent(const CodegenResult& r, const std::string& build_file) {
  for (const std::string& f : r.files) EXPECT_TRUE(fs::is_regular_file(r.dir + "/" + f)) << f;
  const nlohmann::json m = nlohmann::json::parse(file(r, "manifest.json"));
  EXPECT_EQ(m["sources"].get<std::vector<std::string>>(), r.sources);
  EXPECT_EQ(m["format"], codegen_format_name(r.format));
  const std::string build = file(r, build_file);
  for (const std::string& s : r.sources) EXPECT_TRUE(contains(build, s)) << s << " missing in " << build_file;
  EXPECT_EQ(testing::compile_project(r, "cc", ""), "");
}

TEST(CodegenFormats, Make) {
  testing::TempDir dir;
  const CodegenResult r = generate(dir, CodegenFormat::kMake);
  ASSERT_NO_FATAL_FAILURE(expect_consistent(r, "Makefile"));
  EXPECT_EQ(r.example, "main.c");
  EXPECT_TRUE(contains(file(r, "Makefile"), "CC = cc\n"));
  EXPECT_TRUE(contains(file(r, "Makefile"), "-std=c99 -ffp-contract=off -O2 -Wall -Wextra"));
}

TEST(CodegenFormats, CmakeLibraryConfiguresBuildsAndRuns) {
  testing::TempDir dir;
  const CodegenResult r = generate(dir, CodegenFormat::kCmake);
  ASSERT_NO_FATAL_FAILURE(expect_consistent(r, "CMakeLists.txt"));
  EXPECT_TRUE(contains(file(r, "CMakeLists.txt"), "add_library(tinyopt_model STATIC"));
  if (!testing::have_tool("cmake")) GTEST_SKIP() << "cmake not installed";
  const auto b = testing::run_command("cmake -S " + r.dir + " -B " + dir.file("build") +
                                      " -DCMAKE_C_FLAGS=-Werror >/dev/null 2>&1 && cmake --build " + dir.file("build") +
                                      " -j 2 2>&1");
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  const auto run = testing::run_command(dir.file("build") + "/tinyopt_model_example");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_TRUE(contains(run.out, "argmax: ")) << run.out;
}

TEST(CodegenFormats, CmakeToolchainFileForCrossTargets) {
  testing::TempDir dir;
  CodegenOptions o;
  o.format = CodegenFormat::kCmake;
  const CodegenResult r =
      generate_c_project(testing::quantized_architecture("ds-cnn"), testing::cortex_m4_target(), dir.file("fw"), o);
  const std::string tc = file(r, "cmake/toolchain.cmake");
  EXPECT_TRUE(contains(tc, "set(CMAKE_C_COMPILER arm-none-eabi-gcc)"));
  EXPECT_TRUE(contains(tc, "-mcpu=cortex-m4"));
  EXPECT_TRUE(contains(tc, "CMAKE_SYSTEM_NAME Generic"));
}

TEST(CodegenFormats, EspIdfComponent) {
  testing::TempDir dir;
  const CodegenResult r = generate(dir, CodegenFormat::kEspIdf);
  ASSERT_NO_FATAL_FAILURE(expect_consistent(r, "CMakeLists.txt"));
  EXPECT_TRUE(contains(file(r, "CMakeLists.txt"), "idf_component_register("));
  EXPECT_TRUE(contains(file(r, "CMakeLists.txt"), "INCLUDE_DIRS"));
  EXPECT_TRUE(fs::exists(r.dir + "/idf_component.yml"));
  EXPECT_TRUE(contains(file(r, "example/CMakeLists.txt"), "project.cmake"));
  EXPECT_EQ(r.example, "example/main/main.c");
  EXPECT_TRUE(contains(file(r, r.example), "void app_main(void)"));
}

TEST(CodegenFormats, ArduinoLibrary) {
  testing::TempDir dir;
  const CodegenResult r = generate(dir, CodegenFormat::kArduino);
  // The Arduino builder compiles src/ recursively but puts only src/ on the include path: all flat there.
  for (const std::string& s : r.sources) EXPECT_EQ(fs::path(s).parent_path(), "src") << s;
  EXPECT_TRUE(fs::exists(r.dir + "/src/tinyopt_rt.h"));
  EXPECT_TRUE(fs::exists(r.dir + "/src/tinyopt_model.h"));
  const std::string props = file(r, "library.properties");
  for (const char* key : {"name=", "version=", "author=", "sentence=", "architectures="})
    EXPECT_TRUE(contains(props, key)) << key;
  EXPECT_EQ(r.example, "examples/tinyopt_model/tinyopt_model.ino");
  for (const std::string& f : r.files) EXPECT_NE(f.rfind("runtime/", 0), 0u) << f;
  EXPECT_EQ(testing::compile_project(r, "cc", "", false), "");
  // The sketch is C++ with the Arduino core's Serial: compile it against a stand-in.
  testing::write_file(dir.file("Arduino.h"),
                      "struct SerialStub { void begin(long) {} void print(const char*) {} void print(char) {}\n"
                      "  void print(int) {} void println(const char*) {} void println(int) {} };\n"
                      "static SerialStub Serial;\n");
  const auto c = testing::run_command("c++ -Wall -Wextra -Werror -fsyntax-only -x c++ -include " + dir.file("Arduino.h") +
                                      " -I" + r.dir + "/src " + r.dir + "/" + r.example + " 2>&1");
  EXPECT_EQ(c.exit_code, 0) << c.out;
}

TEST(CodegenFormats, ZephyrModule) {
  testing::TempDir dir;
  const CodegenResult r = generate(dir, CodegenFormat::kZephyr);
  ASSERT_NO_FATAL_FAILURE(expect_consistent(r, "CMakeLists.txt"));
  const std::string module = file(r, "zephyr/module.yml");
  EXPECT_TRUE(contains(module, "cmake: ."));
  EXPECT_TRUE(contains(module, "kconfig: Kconfig"));
  EXPECT_TRUE(contains(file(r, "Kconfig"), "config TINYOPT_MODEL"));
  EXPECT_TRUE(contains(file(r, "CMakeLists.txt"), "zephyr_library_sources("));
  EXPECT_TRUE(contains(file(r, "samples/tinyopt_model/prj.conf"), "CONFIG_TINYOPT_MODEL=y"));
  EXPECT_TRUE(contains(file(r, r.example), "int main(void)"));
}

// TINYOPT_STEP_BEGIN(i) / TINYOPT_STEP_END(i) wrap every kernel call once, in the order of CodegenResult::steps,
// when a header named by TINYOPT_HOOKS_HEADER defines them (how `tinyopt emulate` counts per layer).
TEST(CodegenHooks, StepMacrosWrapEveryKernelCallInOrder) {
  testing::TempDir dir;
  const CodegenResult r = generate(dir, CodegenFormat::kMake);
  testing::write_file(dir.file("hooks.h"),
                      "extern int hook_log[256], hook_count;\n"
                      "#define TINYOPT_STEP_BEGIN(i) (hook_log[hook_count++] = (i))\n"
                      "#define TINYOPT_STEP_END(i) (hook_log[hook_count++] = -1 - (i))\n");
  testing::write_file(dir.file("main.c"),
                      "#include <stdio.h>\n#include \"model.h\"\nint hook_log[256], hook_count;\n"
                      "int main(void) {\n  static int8_t in[TINYOPT_MODEL_INPUT_SIZE], out[TINYOPT_MODEL_OUTPUT_SIZE];\n"
                      "  int i;\n  if (tinyopt_model_invoke(in, out) != 0) return 1;\n"
                      "  for (i = 0; i < hook_count; ++i) printf(\"%d \", hook_log[i]);\n  return 0;\n}\n");
  std::string cmd = "cc -std=c99 -Wall -Wextra -Werror -DTINYOPT_HOOKS_HEADER='\"" + dir.file("hooks.h") + "\"' -I" +
                    r.dir + " -I" + r.dir + "/runtime/include -o " + dir.file("hooked") + " " + dir.file("main.c");
  for (const std::string& s : r.sources) cmd += " " + r.dir + "/" + s;
  const auto c = testing::run_command(cmd + " 2>&1");
  ASSERT_EQ(c.exit_code, 0) << c.out;
  const auto run = testing::run_command(dir.file("hooked"));
  ASSERT_EQ(run.exit_code, 0);
  std::string want;
  for (const CodegenStep& s : r.steps) want += std::to_string(s.step) + " " + std::to_string(-1 - s.step) + " ";
  EXPECT_EQ(run.out, want);
}

}  // namespace
}  // namespace tinyopt
