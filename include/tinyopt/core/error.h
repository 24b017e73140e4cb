// Typed error for the host library. Library code throws; only src/cli/ turns an Error into one line on
// stderr and an exit code (DESIGN.md section 4). Context is prepended as the error unwinds, so the final
// message reads "model.onnx: node 'conv1' (Conv): weight has 3 dims, expected 4".
#pragma once

#include <stdexcept>
#include <string>

namespace tinyopt {

enum class ErrorKind {
  kBadInput,    // malformed or unsupported file, data or model: exit 1
  kInfeasible,  // a request that cannot be met (budget too small): exit 1
  kUsage,       // bad flags or arguments: exit 2
  kInternal,    // a broken invariant inside tinyopt: exit 1, message says so
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  // Returns a copy whose message is "context: <old message>".
  Error with_context(const std::string& context) const { return Error(kind_, context + ": " + what()); }

 private:
  ErrorKind kind_;
};

[[noreturn]] inline void throw_bad_input(const std::string& message) {
  throw Error(ErrorKind::kBadInput, message);
}
[[noreturn]] inline void throw_usage(const std::string& message) { throw Error(ErrorKind::kUsage, message); }
[[noreturn]] inline void throw_internal(const std::string& message) {
  throw Error(ErrorKind::kInternal, "internal error: " + message);
}

// Runs fn(); if it throws tinyopt::Error, rethrows it with `context` prepended.
template <typename Fn>
decltype(auto) with_error_context(const std::string& context, Fn&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    throw e.with_context(context);
  }
}

}  // namespace tinyopt
