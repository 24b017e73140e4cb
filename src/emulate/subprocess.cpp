// posix_spawnp with stdout and stderr redirected to temporary files (pipes would need a poll loop to
// avoid a deadlock when a child fills both); see subprocess.h.
#include "emulate/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tinyopt/core/error.h"

extern char** environ;

namespace tinyopt::emulate {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A temporary file that receives one of the child's output streams; removed with the object.
struct CaptureFile {
  std::string path;
  explicit CaptureFile(const char* tag) {
    std::string templ = (fs::temp_directory_path() / (std::string("tinyopt-") + tag + "-XXXXXX")).string();
    const int fd = mkstemp(templ.data());
    if (fd < 0) throw_bad_input("cannot create a temporary file in " + fs::temp_directory_path().string());
    close(fd);
    path = templ;
  }
  ~CaptureFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;
};

}  // namespace

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& cwd) {
  if (argv.empty()) throw_internal("run_process: empty argv");
  CaptureFile out("out"), err("err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.path.c_str(), O_WRONLY | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.path.c_str(), O_WRONLY | O_TRUNC, 0600);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw_bad_input("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_internal("waitpid failed for " + argv[0]);
  }
  ProcessResult r;
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  r.out = slurp(out.path);
  r.err = slurp(err.path);
  // posix_spawnp reports a missing program as exit 127 from the child on glibc
  if (r.exit_code == 127 && !tool_available(argv[0]))
    throw_bad_input(argv[0] + " is not installed (scripts/install-deps.sh installs the emulation tools)");
  return r;
}

bool tool_available(const std::string& tool) {
  if (tool.find('/') != std::string::npos) return access(tool.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace tinyopt::emulate
