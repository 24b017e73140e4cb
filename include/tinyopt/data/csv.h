// Reader for CSV files of numbers (one sample per row), the tabular form of `--data`. Handles an optional
// header row (auto-detected: the first row is a header when any of its fields is not a number), a
// label column chosen by position or name, blank lines, CRLF line ends and gzip compression. It is not
// a general CSV library: no quoted fields with embedded delimiters or newlines, no missing values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyopt/core/tensor.h"

namespace tinyopt {

struct CsvOptions {
  enum class Header { kAuto, kPresent, kAbsent };
  Header header = Header::kAuto;
  bool labeled = true;     // false: every column is a feature
  int label_column = -1;   // 0-based column index; negative counts from the end (-1 = last)
  std::string label_name;  // when non-empty, the label column is the header column of this name
  char delimiter = ',';
};

struct CsvData {
  Tensor x;                                // float32 (rows, features)
  std::vector<int32_t> y;                  // one non-negative integer label per row; empty if unlabeled
  std::vector<std::string> feature_names;  // from the header row; empty without a header
};

// Throws tinyopt::Error (kBadInput) with "<path>:<line>:<column>: ..." for a non-numeric value, a
// non-integer or negative label, or a row with the wrong number of fields; and naming the file for an
// empty file, an unknown label name or a label column out of range.
CsvData read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace tinyopt
