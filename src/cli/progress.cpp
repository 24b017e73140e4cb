#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace tinyopt::cli {

ProgressLine::ProgressLine(double log_interval_s)
    : tty_(isatty(fileno(stderr)) != 0), interval_(log_interval_s), last_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(const std::string& text, bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    if (force) std::fputc('\n', stderr);
    open_line_ = !force;
  } else {
    if (!force && std::chrono::duration<double>(now - last_).count() < interval_) return;
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
  last_ = now;
}

void ProgressLine::finish() {
  if (tty_ && open_line_) std::fputc('\n', stderr);
  open_line_ = false;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

}  // namespace tinyopt::cli
