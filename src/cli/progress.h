// Progress display for long work (training, calibration, search). On a terminal it redraws one status
// line in place; otherwise (logs, CI, pipes) it prints a plain line at most every `log_interval_s`
// seconds and always for the final update, so logs stay short and readable.
#pragma once

#include <chrono>
#include <string>

namespace tinyopt::cli {

class ProgressLine {
 public:
  explicit ProgressLine(double log_interval_s = 10.0);
  ~ProgressLine();
  // Shows `text`; `force` prints it even if the log interval has not passed (epoch ends).
  void update(const std::string& text, bool force = false);
  // Ends the in-place line (on a terminal) so later output starts on a fresh line.
  void finish();

 private:
  bool tty_;
  bool open_line_ = false;
  double interval_;
  std::chrono::steady_clock::time_point last_;
};

// "1m05s", "42s", "2h03m" for ETAs.
std::string format_duration(double seconds);

}  // namespace tinyopt::cli
