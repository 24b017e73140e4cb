// CWriter and the C literal spellings (c_writer.h).
#include "codegen/c_writer.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "tinyopt/core/error.h"

namespace tinyopt::codegen {

void CWriter::line(std::string_view text) {
  if (!text.empty()) out_.append(static_cast<size_t>(indent_) * 2, ' ');
  out_.append(text);
  out_.push_back('\n');
}

void CWriter::open(std::string_view head) {
  line(head.empty() ? std::string("{") : std::string(head) + " {");
  ++indent_;
}

void CWriter::close(std::string_view tail) {
  if (indent_ > 0) --indent_;
  line("}" + std::string(tail));
}

template <class T>
void CWriter::array(std::string_view decl, std::span<const T> values, int per_line) {
  if (values.empty()) throw_internal("C array '" + std::string(decl) + "' has no values");
  line(std::string(decl) + " = {");
  std::string row;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!row.empty()) row.push_back(' ');
    row += c_int(static_cast<int64_t>(values[i]));
    row.push_back(',');
    if ((i + 1) % static_cast<size_t>(per_line) == 0 || i + 1 == values.size()) {
      if (i + 1 == values.size()) row.pop_back();  // no trailing comma
      ++indent_;
      line(row);
      --indent_;
      row.clear();
    }
  }
  line("};");
}

template void CWriter::array<int8_t>(std::string_view, std::span<const int8_t>, int);
template void CWriter::array<uint8_t>(std::string_view, std::span<const uint8_t>, int);
template void CWriter::array<int16_t>(std::string_view, std::span<const int16_t>, int);
template void CWriter::array<int32_t>(std::string_view, std::span<const int32_t>, int);
template void CWriter::array<int64_t>(std::string_view, std::span<const int64_t>, int);

std::string c_int(int64_t v) {
  constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min(), kI32Max = std::numeric_limits<int32_t>::max();
  if (v == kI32Min) return "(-2147483647 - 1)";
  if (v > kI32Min && v <= kI32Max) return fmt::format("{}", v);
  if (v == std::numeric_limits<int64_t>::min()) return "(-INT64_C(9223372036854775807) - 1)";
  return v < 0 ? fmt::format("(-INT64_C({}))", -v) : fmt::format("INT64_C({})", v);
}

std::string c_float(float v) {
  if (!std::isfinite(v)) throw_internal(fmt::format("cannot write {} as a C float constant", v));
  // 9 significant digits read back to the same float; "{:.9g}" may print "1e-05" or "3": add what C needs.
  std::string s = fmt::format("{:.9g}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s + "f";
}

std::string c_identifier(std::string_view name, size_t max_len) {
  std::string id;
  for (char c : name) {
    if (id.size() >= max_len) break;
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!ok && !id.empty() && id.back() == '_') continue;  // one '_' per run of other characters
    id.push_back(ok ? c : '_');
  }
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0]))) id.insert(id.begin(), '_');
  return id;
}

std::string c_comment(std::string_view text) {
  std::string s;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      s.push_back(' ');
    } else if (c == '*' && i + 1 < text.size() && text[i + 1] == '/') {
      s += "* ";
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      s += "/ ";
    } else {
      s.push_back(c);
    }
  }
  return s;
}

}  // namespace tinyopt::codegen
