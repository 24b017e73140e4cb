// Shared test support: a temporary directory that cleans up after itself, running the tinyopt CLI as a
// subprocess (exit code, stdout, stderr), and small file helpers.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tinyopt::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;       // the signal number, 0 when it exited normally
  std::string out, err;
};

// Runs a shell command line; stdout and stderr are captured separately.
CommandResult run_command(const std::string& command_line);
// Runs the tinyopt CLI built next to the tests with the given (already shell-quoted where needed) args.
CommandResult run_cli(const std::string& args);
std::string cli_path();

void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
// True when /usr/bin/python3 can import every module named (comma-separated), e.g. "torch,onnx".
bool python_has(const std::string& modules);
// The repository root (source dir), for shipped models and data.
std::string source_dir();

}  // namespace tinyopt::testing
