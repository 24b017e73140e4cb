// Recursive-descent parser for py_literal.h. One character of lookahead; recursion depth capped so a
// hostile header cannot exhaust the stack.
#include "data/py_literal.h"

#include <fmt/format.h>

#include <cctype>

#include "tinyopt/core/error.h"

namespace tinyopt::detail {
namespace {

constexpr int kMaxDepth = 16;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  PyLiteral parse_all() {
    PyLiteral v = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail("end of header");
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view expected) const {
    std::string found = pos_ < text_.size() ? fmt::format("'{}'", text_[pos_]) : "the end";
    throw_bad_input(fmt::format("header parse error at character {}: expected {}, found {}", pos_, expected, found));
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  PyLiteral parse_value(int depth) {
    if (depth > kMaxDepth) fail("less nesting");
    char c = peek();
    if (c == '{') return parse_dict(depth);
    if (c == '(') return parse_sequence(depth, ')', PyLiteral::Kind::kTuple);
    if (c == '[') return parse_sequence(depth, ']', PyLiteral::Kind::kList);
    if (c == '\'' || c == '"') {
      PyLiteral v;
      v.kind = PyLiteral::Kind::kString;
      v.string = parse_string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_int();
    return parse_word();
  }

  PyLiteral parse_dict(int depth) {
    PyLiteral v;
    v.kind = PyLiteral::Kind::kDict;
    accept('{');
    while (!accept('}')) {
      char q = peek();
      if (q != '\'' && q != '"') fail("a quoted key or '}'");
      std::string key = parse_string();
      if (!accept(':')) fail("':'");
      v.entries.push_back({std::move(key), parse_value(depth + 1)});
      if (!accept(',')) {
        if (!accept('}')) fail("',' or '}'");
        break;
      }
    }
    return v;
  }

  PyLiteral parse_sequence(int depth, char close, PyLiteral::Kind kind) {
    PyLiteral v;
    v.kind = kind;
    ++pos_;  // the opening bracket, already seen by peek()
    while (!accept(close)) {
      v.items.push_back(parse_value(depth + 1));
      if (!accept(',')) {
        if (!accept(close)) fail(fmt::format("',' or '{}'", close));
        break;
      }
    }
    return v;
  }

  std::string parse_string() {
    char quote = text_[pos_++];
    std::string s;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      s += text_[pos_++];
    }
    if (pos_ >= text_.size()) fail("a closing quote");
    ++pos_;
    return s;
  }

  PyLiteral parse_int() {
    bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') fail("a digit");
    uint64_t magnitude = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      magnitude = magnitude * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
      if (magnitude > (uint64_t{1} << 62)) fail("a smaller integer");
    }
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long suffix (old NPY writers)
    PyLiteral v;
    v.kind = PyLiteral::Kind::kInt;
    v.integer = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
    return v;
  }

  PyLiteral parse_word() {
    size_t start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    PyLiteral v;
    if (word == "True" || word == "False") {
      v.kind = PyLiteral::Kind::kBool;
      v.boolean = word == "True";
    } else if (word != "None") {
      pos_ = start;
      fail("a value (string, number, True, False, None, tuple, list or dict)");
    }
    return v;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

const PyLiteral* PyLiteral::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string_view py_kind_name(PyLiteral::Kind kind) {
  switch (kind) {
    case PyLiteral::Kind::kNone:
      return "None";
    case PyLiteral::Kind::kBool:
      return "bool";
    case PyLiteral::Kind::kInt:
      return "int";
    case PyLiteral::Kind::kString:
      return "string";
    case PyLiteral::Kind::kTuple:
      return "tuple";
    case PyLiteral::Kind::kList:
      return "list";
    case PyLiteral::Kind::kDict:
      return "dict";
  }
  return "?";
}

PyLiteral parse_py_literal(std::string_view text) { return Parser(text).parse_all(); }

}  // namespace tinyopt::detail
