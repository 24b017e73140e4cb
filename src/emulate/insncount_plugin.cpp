// Building and reading the instruction-count plugin (see insncount_plugin.h). The cache lives in
// $XDG_CACHE_HOME/tinyopt (else ~/.cache/tinyopt, else the temp dir); a build goes to a temporary name
// and is renamed into place, so concurrent first uses do not see a half-written library.
#include "emulate/insncount_plugin.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "emulate/subprocess.h"
#include "tinyopt/core/error.h"

namespace tinyopt::emulate {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "tinyopt";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "tinyopt";
  return fs::temp_directory_path() / "tinyopt-cache";
}

}  // namespace

std::string qemu_plugin_header_dir() {
  const char* env = std::getenv("TINYOPT_QEMU_PLUGIN_H_DIR");
  const fs::path dir = (env && *env) ? fs::path(env) : fs::path("/usr/local/include/tinyopt-qemu");
  return fs::exists(dir / "qemu-plugin.h") ? dir.string() : "";
}

std::string insncount_plugin() {
  const std::string header_dir = qemu_plugin_header_dir();
  if (header_dir.empty())
    throw_bad_input(
        "qemu-plugin.h not found (instruction counting needs it): run scripts/get-qemu-plugin-h.sh, or set "
        "TINYOPT_QEMU_PLUGIN_H_DIR");
  const fs::path source = fs::path(TINYOPT_SOURCE_DIR) / "tools" / "qemu-insncount" / "insncount.c";
  if (!fs::exists(source)) throw_bad_input("plugin source missing: " + source.string());
  const size_t key = std::hash<std::string>{}(slurp(source) + slurp(fs::path(header_dir) / "qemu-plugin.h"));
  std::ostringstream name;
  name << "libinsncount-" << std::hex << key << ".so";
  const fs::path dir = cache_dir();
  const fs::path plugin = dir / name.str();
  if (fs::exists(plugin)) return plugin.string();
  fs::create_directories(dir);
  const fs::path tmp = dir / (name.str() + ".tmp" + std::to_string(getpid()));
  const ProcessResult r = run_process({"cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-I" + header_dir,
                                       source.string(), "-o", tmp.string()});
  if (r.exit_code != 0) throw_bad_input("building the qemu instruction-count plugin failed: " + r.err);
  fs::rename(tmp, plugin);
  return plugin.string();
}

InsnReport parse_insncount_report(const std::string& text) {
  InsnReport report;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string tag, kind;
    words >> tag >> kind;
    if (tag != "insncount:") throw_internal("unexpected line in the insncount report: " + line);
    if (kind == "region") {
      InsnRegion region;
      if (!(words >> region.depth >> region.instructions))
        throw_internal("malformed insncount region line: " + line);
      report.regions.push_back(region);
    } else if (kind == "total") {
      if (!(words >> report.total)) throw_internal("malformed insncount total line: " + line);
    } else {
      throw_internal("unexpected line in the insncount report: " + line);
    }
  }
  return report;
}

}  // namespace tinyopt::emulate
