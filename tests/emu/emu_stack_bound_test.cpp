// The estimate's stack term is a bound, not a guess (src/target/cost_model.cpp): every runtime kernel the
// core can run, with a generated model.c, is compiled by the platform's gcc exactly as `tinyopt emulate`
// builds them, plus -fstack-usage -fcallgraph-info=su; the generated invoke's own frames plus the deepest
// call chain of any kernel (plus an allowance for the libc / libgcc leaf helpers that are outside the call
// graph) must fit in Estimate::stack_bytes for the platform's target. Also checks what makes a static bound
// valid: no function with a dynamic frame (VLA, alloca) and no recursion. The painted stack peak of real
// inferences is checked against the same estimate in emu_firmware_robustness_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "emu/emu_test_support.h"
#include "emulate/program_build.h"
#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/target/cost_model.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

// memcpy, memset and libgcc's arithmetic helpers are leaves outside the call graph; none needs more.
constexpr int64_t kExternalLeafBytes = 64;

struct CallGraph {
  std::map<std::string, int64_t> frame;               // defined functions: own frame bytes
  std::map<std::string, std::set<std::string>> calls;  // caller -> callees
  std::vector<std::string> dynamic;                    // functions whose frame is not static
};

// Reads every .ci file (VCG) gcc wrote into `dir`.
CallGraph read_call_graph(const std::string& dir) {
  static const std::regex node(R"re(node: \{ title: "([^"]+)" label: "[^"]*\\n(\d+) bytes \(([a-z,]+)\))re");
  static const std::regex edge(R"re(edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)")re");
  CallGraph g;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".ci") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_search(line, m, node)) {
        g.frame[m[1]] = std::stoll(m[2]);
        if (m[3] != "static") g.dynamic.push_back(m[1]);
      } else if (std::regex_search(line, m, edge)) {
        g.calls[m[1]].insert(m[2]);
      }
    }
  }
  return g;
}

// Deepest stack below `fn`, skipping the callees `skip` accepts; fails the test on recursion.
int64_t depth(const CallGraph& g, const std::string& fn, const std::function<bool(const std::string&)>& skip,
              std::set<std::string>& on_path) {
  const auto f = g.frame.find(fn);
  if (f == g.frame.end()) return 0;  // external: counted by kExternalLeafBytes
  if (!on_path.insert(fn).second) {
    ADD_FAILURE() << "recursion through " << fn << ": no static stack bound";
    return 0;
  }
  int64_t deepest = 0;
  if (const auto c = g.calls.find(fn); c != g.calls.end())
    for (const std::string& callee : c->second)
      if (!skip(callee)) deepest = std::max(deepest, depth(g, callee, skip, on_path));
  on_path.erase(fn);
  return f->second + deepest;
}

bool is_kernel(const std::string& fn) {
  static const std::regex kernel(R"(topt_[a-z0-9_]+__(ref|dsp|neon))");
  return std::regex_match(fn, kernel);
}

std::vector<std::string> c_files(const fs::path& dir) {
  std::vector<std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".c") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

class EmuStackBound : public ::testing::TestWithParam<std::string> {};

TEST_P(EmuStackBound, DeepestKernelChainFitsTheEstimatedStack) {
  const emulate::EmuPlatform platform = emulate::emu_platform(GetParam());
  EMU_SKIP_IF_MISSING(platform);
  const Target target = load_target(GetParam());
  testing::TempDir dir;
  ArchOptions a;
  a.seed = 1;
  const CodegenResult fw = generate_c_project(int8_version(build_architecture("ds-cnn", a)), target, dir.file("project"));
  // model.c with every runtime kernel the core can run (the source tree's, not only the model's)
  const fs::path runtime = fs::path(testing::source_dir()) / "runtime";
  const std::string variant_dir = target.has("dsp") ? "arm_dsp" : target.has("neon") ? "neon" : "";
  emulate::ProgramSpec spec;
  spec.sources = {dir.file("project/model.c")};
  for (const std::string& sub : {std::string("ref"), variant_dir})
    for (const std::string& f : c_files(runtime / sub)) spec.sources.push_back(f);
  testing::write_file(dir.file("stack_main.c"), "#include \"model.h\"\nstatic int8_t in[TINYOPT_MODEL_INPUT_SIZE], "
                                                "out[TINYOPT_MODEL_OUTPUT_SIZE];\nint main(void) { return "
                                                "tinyopt_model_invoke_checked(in, sizeof in, out, sizeof out); }\n");
  spec.sources.push_back(dir.file("stack_main.c"));
  for (const std::string& inc : fw.include_dirs) spec.include_dirs.push_back(dir.file("project/" + inc));
  for (const char* sub : {"include", "ref", "arm_dsp", "neon"}) spec.include_dirs.push_back((runtime / sub).string());
  spec.extra_cflags = {"-fstack-usage", "-fcallgraph-info=su"};
  spec.work_dir = dir.file("build");
  emulate::build_program(platform, spec);

  const CallGraph g = read_call_graph(spec.work_dir);
  EXPECT_TRUE(g.dynamic.empty()) << g.dynamic.front() << " has a dynamic stack frame: no static bound";
  ASSERT_TRUE(g.frame.count("tinyopt_model_invoke_checked")) << "no call graph for the generated invoke";
  std::set<std::string> path;
  const int64_t invoke = depth(g, "tinyopt_model_invoke_checked", is_kernel, path);
  int64_t deepest = 0, kernels = 0;
  std::string which;
  for (const auto& [fn, frame] : g.frame)
    if (is_kernel(fn)) {
      ++kernels;
      const int64_t d = depth(g, fn, [](const std::string&) { return false; }, path);
      if (d > deepest) deepest = d, which = fn;
    }
  EXPECT_GT(kernels, 30) << "too few kernels compiled: the bound would not cover them";
  const Estimate e = estimate_model(int8_version(build_architecture("ds-cnn", a)), target);
  EXPECT_LE(invoke + deepest + kExternalLeafBytes, e.stack_bytes)
      << GetParam() << ": invoke " << invoke << " B + " << which << " " << deepest << " B + " << kExternalLeafBytes
      << " B of leaf helpers exceed the estimate's stack bound";
  // and the bound is not far above it (src/target/cost_model.cpp documents both figures)
  EXPECT_LE(e.stack_bytes, 2 * (invoke + deepest)) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Platforms, EmuStackBound, ::testing::Values("cortex-m4", "cortex-m7", "rpi4"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace tinyopt
