// CWriter: the small C source writer every emitter of src/codegen/ uses — indented lines, braces that
// open and close blocks, constant arrays with a fixed number of values per line, and the literal
// spellings C99 needs (INT32_MIN, int64 constants, floats that read back to the same bits, identifiers
// made from IR names, comment text that cannot end a comment). It knows nothing about models.
#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <span>
#include <string>
#include <string_view>

namespace tinyopt::codegen {

class CWriter {
 public:
  // One line at the current indentation ("" gives an empty line).
  void line(std::string_view text = {});
  template <class... Args>
  void linef(fmt::format_string<Args...> f, Args&&... args) {
    line(fmt::format(f, std::forward<Args>(args)...));
  }
  // "head {" and one more level of indentation; close() ends it with "}" + tail (e.g. ";").
  void open(std::string_view head);
  void close(std::string_view tail = {});

  // `decl = {v0, v1, ...};` with `per_line` values per line; decl is e.g. "static const int8_t w[3]".
  template <class T>
  void array(std::string_view decl, std::span<const T> values, int per_line = 16);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
  int indent_ = 0;
};

// A C integer literal for v that C99 reads back as v with the type's range in mind: INT32_MIN and
// int64 values outside int32 are spelled so that no literal overflows (e.g. "(-2147483647 - 1)").
std::string c_int(int64_t v);
// A float literal that reads back to the same float ("0.00392156886f"); inf / NaN are refused (Error).
std::string c_float(float v);
// An identifier made of the letters, digits and '_' of name (others become '_'), at most max_len
// characters, never starting with a digit.
std::string c_identifier(std::string_view name, size_t max_len = 40);
// name with "*/" and line breaks defused, for use inside a /* comment */.
std::string c_comment(std::string_view text);

extern template void CWriter::array<int8_t>(std::string_view, std::span<const int8_t>, int);
extern template void CWriter::array<uint8_t>(std::string_view, std::span<const uint8_t>, int);
extern template void CWriter::array<int16_t>(std::string_view, std::span<const int16_t>, int);
extern template void CWriter::array<int32_t>(std::string_view, std::span<const int32_t>, int);
extern template void CWriter::array<int64_t>(std::string_view, std::span<const int64_t>, int);

}  // namespace tinyopt::codegen
