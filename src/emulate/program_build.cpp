// build_program (see program_build.h): one `cc -c` over all sources in the work dir, then one link.
#include "emulate/program_build.h"

#include <filesystem>
#include <set>

#include "emulate/subprocess.h"
#include "tinyopt/core/error.h"

namespace tinyopt::emulate {
namespace {

namespace fs = std::filesystem;

// First lines of a tool's diagnostics: enough to act on, short enough for one error line's context.
std::string head_lines(const std::string& text, int lines) {
  std::string out;
  size_t pos = 0;
  for (int i = 0; i < lines && pos < text.size(); ++i) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out += (out.empty() ? "" : " | ") + text.substr(pos, nl - pos);
    pos = nl + 1;
  }
  return out;
}

void run_tool(const std::vector<std::string>& argv, const std::string& cwd, const std::string& what) {
  const ProcessResult r = run_process(argv, cwd);
  if (r.exit_code != 0)
    throw_bad_input(what + " failed (" + argv[0] + "): " + head_lines(r.err.empty() ? r.out : r.err, 6));
}

}  // namespace

const std::vector<std::string>& common_cflags() {
  // -ffp-contract=off: no FMA fusion, so float results are bit-exact with the host (docs/emulation.md)
  static const std::vector<std::string> flags = {"-O2", "-std=gnu99", "-ffp-contract=off", "-ffunction-sections",
                                                 "-fdata-sections"};
  return flags;
}

BuiltProgram build_program(const EmuPlatform& platform, const ProgramSpec& spec) {
  const fs::path work = fs::absolute(spec.work_dir);
  fs::create_directories(work);
  const std::string harness = harness_dir();
  std::vector<std::string> sources = spec.sources;
  sources.push_back(harness + "/emu_harness.c");
  if (platform.kind == EmuKind::kCortexM) sources.push_back(harness + "/startup.c");

  BuiltProgram built;
  std::set<std::string> stems;
  std::vector<std::string> compile = {platform.cc};
  compile.insert(compile.end(), platform.cflags.begin(), platform.cflags.end());
  compile.insert(compile.end(), common_cflags().begin(), common_cflags().end());
  compile.insert(compile.end(), spec.extra_cflags.begin(), spec.extra_cflags.end());
  compile.push_back("-I" + harness);
  for (const std::string& dir : spec.include_dirs) compile.push_back("-I" + fs::absolute(dir).string());
  for (const std::string& d : spec.defines) compile.push_back("-D" + d);
  compile.push_back("-c");
  for (const std::string& src : sources) {
    const std::string stem = fs::path(src).stem().string();
    if (!stems.insert(stem).second) throw_internal("build_program: two sources named " + stem + ".c");
    compile.push_back(fs::absolute(src).string());
    built.objects.push_back((work / (stem + ".o")).string());
  }
  run_tool(compile, work.string(), "compiling for " + platform.name);

  built.executable = (work / (spec.name + ".elf")).string();
  std::vector<std::string> link = {platform.cc};
  link.insert(link.end(), platform.cflags.begin(), platform.cflags.end());
  link.insert(link.end(), built.objects.begin(), built.objects.end());
  link.insert(link.end(), {"-Wl,--gc-sections", "-o", built.executable});
  switch (platform.kind) {
    case EmuKind::kCortexM:
      built.map = (work / (spec.name + ".map")).string();
      link.insert(link.end(), {"-nostartfiles", "--specs=rdimon.specs", "-L" + harness + "/ld", "-T",
                               platform.linker_script, "-Wl,-Map=" + built.map});
      break;
    case EmuKind::kAarch64Linux:
      built.map = (work / (spec.name + ".map")).string();
      link.insert(link.end(), {"-static", "-Wl,-Map=" + built.map});  // static: no -L sysroot for qemu
      break;
    case EmuKind::kHost:
      break;
  }
  run_tool(link, work.string(), "linking for " + platform.name);
  built.objects.resize(spec.sources.size());  // the harness objects are not the caller's
  return built;
}

}  // namespace tinyopt::emulate
