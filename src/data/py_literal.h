// A tiny parser for the subset of Python literals that appears in NPY headers: dicts with string keys,
// strings, True/False/None, integers, tuples and lists, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
// Internal to src/data/. It is not a Python evaluator: no floats, no expressions, nesting is capped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyopt::detail {

struct PyLiteral {
  enum class Kind { kNone, kBool, kInt, kString, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  std::string string;
  std::vector<PyLiteral> items;                            // kTuple, kList
  struct Entry;  // defined below: a pair<string, PyLiteral> here would need PyLiteral complete (clang)
  std::vector<Entry> entries;  // kDict, in source order

  const PyLiteral* find(std::string_view key) const;  // kDict lookup; nullptr when absent
};

struct PyLiteral::Entry {
  std::string key;
  PyLiteral value;
};

std::string_view py_kind_name(PyLiteral::Kind kind);  // "dict", "tuple", ...

// Parses `text` (trailing whitespace allowed). Throws kBadInput with a message that says what was
// expected at which character offset; the caller adds the file name.
PyLiteral parse_py_literal(std::string_view text);

}  // namespace tinyopt::detail
