// Which runtime/ files a generated project copies (runtime_files.h).
#include "codegen/runtime_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tinyopt/core/error.h"

namespace tinyopt::codegen {
namespace {

namespace fs = std::filesystem;

// Host-only: the kernel table references every kernel of the host build.
const std::set<std::string> kHostOnlyHeaders = {"tinyopt_rt_registry.h"};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw_bad_input(p.string() + ": cannot read runtime file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct SourceFile {
  std::string path;  // relative
  std::string text;
  std::set<std::string> defines, calls;
};

// Function definitions start a line with a return type: "topt_status topt_x(" / "int topt_y_supports(";
// static functions and prototypes (a ';' on the line) do not count.
const std::regex kDefinition(R"(^(?!static\b|typedef\b|extern\b)[A-Za-z_][A-Za-z0-9_ \t\*]*\b(topt_[A-Za-z0-9_]+)\s*\([^;]*$)");
const std::regex kCall(R"(\b(topt_[A-Za-z0-9_]+)\s*\()");

SourceFile scan(const fs::path& root, const fs::path& file) {
  SourceFile s;
  s.path = fs::relative(file, root).generic_string();
  s.text = read_text(file);
  std::istringstream lines(s.text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kDefinition)) s.defines.insert(m[1]);
    for (auto it = std::sregex_iterator(line.begin(), line.end(), kCall); it != std::sregex_iterator(); ++it)
      s.calls.insert((*it)[1]);
  }
  return s;
}

}  // namespace

std::string default_runtime_dir() {
  if (const char* env = std::getenv("TINYOPT_RUNTIME_DIR"); env != nullptr && *env != '\0') return env;
  return std::string(TINYOPT_SOURCE_DIR) + "/runtime";
}

std::vector<RuntimeFile> runtime_files_for(const std::vector<std::string>& kernels, const std::string& runtime_dir) {
  const fs::path root(runtime_dir);
  if (!fs::is_regular_file(root / "include" / "tinyopt_rt.h"))
    throw_bad_input(runtime_dir + ": not a tinyopt runtime folder (no include/tinyopt_rt.h); set TINYOPT_RUNTIME_DIR");
  // Every .c file of every variant folder, scanned once.
  std::vector<SourceFile> sources;
  std::map<std::string, size_t> by_stem, definer;
  for (const auto& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory() || dir.path().filename() == "include") continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (f.path().extension() != ".c") continue;
      sources.push_back(scan(root, f.path()));
      by_stem[f.path().stem().string()] = sources.size() - 1;
      for (const std::string& d : sources.back().defines) definer.emplace(d, sources.size() - 1);
    }
  }
  // The kernels' own files, then whatever they call, to a fixed point.
  std::set<size_t> chosen;
  std::vector<size_t> todo;
  for (const std::string& k : kernels) {
    const auto it = by_stem.find(k);
    if (it == by_stem.end()) throw_bad_input(runtime_dir + ": no source file for kernel " + k + " (<variant>/" + k + ".c)");
    if (chosen.insert(it->second).second) todo.push_back(it->second);
  }
  while (!todo.empty()) {
    const size_t i = todo.back();
    todo.pop_back();
    for (const std::string& call : sources[i].calls) {
      const auto d = definer.find(call);
      if (d != definer.end() && chosen.insert(d->second).second) todo.push_back(d->second);
    }
  }
  std::vector<RuntimeFile> out;
  std::set<fs::path> header_dirs = {root / "include"};
  for (size_t i : chosen) {
    out.push_back({sources[i].path, sources[i].text});
    header_dirs.insert((root / sources[i].path).parent_path());
  }
  for (const fs::path& dir : header_dirs)
    for (const auto& f : fs::directory_iterator(dir)) {
      const std::string ext = f.path().extension().string();
      if ((ext == ".h" || ext == ".inc") && !kHostOnlyHeaders.count(f.path().filename().string()))
        out.push_back({fs::relative(f.path(), root).generic_string(), read_text(f.path())});
    }
  std::sort(out.begin(), out.end(), [](const RuntimeFile& a, const RuntimeFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace tinyopt::codegen
