// check_hostile_input (see hostile_support.h).
#include "hostile_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace tinyopt::testing {
namespace {

namespace fs = std::filesystem;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); !from.empty() && at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// Appends "| name | input | `message` |" to $TINYOPT_HOSTILE_TABLE, with the temporary folder cut out.
void record_row(const HostileInput& c, const TempDir& dir, const std::string& err) {
  const char* table = std::getenv("TINYOPT_HOSTILE_TABLE");
  if (table == nullptr) return;
  std::string message = err.substr(0, err.find('\n'));
  message = replace_all(message, dir.path().string() + "/", "");
  message = replace_all(replace_all(message, "|", "\\|"), "`", "'");
  std::ofstream(table, std::ios::app) << "| `" << c.name << "` | " << c.input << " | `" << message << "` |\n";
}

}  // namespace

void check_hostile_input(const HostileInput& c) {
  TempDir dir;
  const std::string path = c.write(dir);
  const std::string out = dir.file("out");
  fs::create_directories(out);
  const CommandResult r = run_cli(c.command(path, out));
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("tinyopt: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  const std::string file = fs::path(path).filename().string();
  EXPECT_NE(r.err.find(file), std::string::npos) << "the error does not name " << file << ": " << r.err;
  for (const std::string& n : c.needles)
    EXPECT_NE(r.err.find(n), std::string::npos) << "'" << n << "' not in: " << r.err;
  EXPECT_TRUE(fs::is_empty(out)) << "output left behind in " << out;
  if (c.library_check) c.library_check(path);
  record_row(c, dir, r.err);
}

}  // namespace tinyopt::testing
