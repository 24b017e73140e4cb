// CSV reader (see csv.h): the whole file is read into memory (it is the dataset, so it has to fit),
// split into lines and fields, and parsed with std::from_chars (locale-independent).
#include "tinyopt/data/csv.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

#include "core/file_bytes.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"

namespace tinyopt {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::optional<float> parse_float(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  float v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

struct Row {
  int line;  // 1-based line number in the file
  std::vector<std::string_view> fields;
};

std::vector<Row> split_rows(std::string_view text, char delimiter) {
  std::vector<Row> rows;
  int line = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    ++line;
    start = end + 1;
    if (trim(raw).empty()) continue;
    Row row{line, {}};
    size_t f = 0;
    while (true) {
      size_t d = raw.find(delimiter, f);
      row.fields.push_back(trim(raw.substr(f, d == std::string_view::npos ? raw.size() - f : d - f)));
      if (d == std::string_view::npos) break;
      f = d + 1;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool is_header(const Row& row) {
  for (std::string_view f : row.fields) {
    if (!parse_float(f)) return true;
  }
  return false;
}

int resolve_label_column(const std::string& path, const CsvOptions& opt, const std::vector<std::string>& names,
                         int columns) {
  if (!opt.label_name.empty()) {
    if (names.empty())
      throw_bad_input(
          fmt::format("{}: label column '{}' asked by name, but the file has no header row", path, opt.label_name));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == opt.label_name) return static_cast<int>(i);
    }
    throw_bad_input(
        fmt::format("{}: no column named '{}' (columns: {})", path, opt.label_name, fmt::join(names, ", ")));
  }
  int c = opt.label_column < 0 ? columns + opt.label_column : opt.label_column;
  if (c < 0 || c >= columns) {
    throw_bad_input(fmt::format("{}: label column {} is out of range for {} columns", path, opt.label_column, columns));
  }
  return c;
}

}  // namespace

CsvData read_csv(const std::string& path, const CsvOptions& options) {
  detail::FileBytes file = detail::read_file_bytes(path, static_cast<uint64_t>(Tensor::kMaxTensorBytes));
  if (file.has_more) throw_bad_input(fmt::format("{}: larger than the {} byte limit", path, Tensor::kMaxTensorBytes));
  if (file.gzip_cut_off) throw_bad_input(path + ": truncated: the gzip stream is cut off");
  std::string_view text(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size());
  std::vector<Row> rows = split_rows(text, options.delimiter);
  if (rows.empty()) throw_bad_input(path + ": empty CSV file (no rows)");

  CsvData out;
  size_t first = 0;
  bool header = options.header == CsvOptions::Header::kPresent ||
                (options.header == CsvOptions::Header::kAuto && is_header(rows[0]));
  std::vector<std::string> names;
  if (header) {
    for (std::string_view f : rows[0].fields) names.emplace_back(f);
    first = 1;
  }
  if (rows.size() == first) throw_bad_input(path + ": CSV file has a header but no data rows");
  int columns = static_cast<int>(rows[first].fields.size());
  if (header && static_cast<int>(names.size()) != columns) {
    throw_bad_input(fmt::format("{}:{}: {} fields, but the header on line {} has {}", path, rows[first].line, columns,
                                rows[0].line, names.size()));
  }
  int label = options.labeled ? resolve_label_column(path, options, names, columns) : -1;
  int features = columns - (label >= 0 ? 1 : 0);
  if (features < 1) throw_bad_input(path + ": CSV file has no feature columns besides the label");
  for (int c = 0; c < static_cast<int>(names.size()); ++c) {
    if (c != label) out.feature_names.push_back(names[static_cast<size_t>(c)]);
  }

  int64_t n = static_cast<int64_t>(rows.size() - first);
  std::vector<float> values;
  values.reserve(static_cast<size_t>(n * features));
  for (size_t r = first; r < rows.size(); ++r) {
    const Row& row = rows[r];
    if (static_cast<int>(row.fields.size()) != columns) {
      throw_bad_input(fmt::format("{}:{}: {} fields, expected {} (as on line {})", path, row.line, row.fields.size(),
                                  columns, rows[first].line));
    }
    for (int c = 0; c < columns; ++c) {
      std::string_view field = row.fields[static_cast<size_t>(c)];
      std::optional<float> v = parse_float(field);
      if (c == label) {
        if (!v || !(*v >= 0) || *v != std::floor(*v)) {
          throw_bad_input(
              fmt::format("{}:{}:{}: label '{}' is not a non-negative integer", path, row.line, c + 1, field));
        }
        if (*v > static_cast<float>(kMaxLabel)) {
          throw_bad_input(fmt::format("{}:{}:{}: label '{}' is above tinyopt's limit of {}", path, row.line, c + 1,
                                      field, kMaxLabel));
        }
        out.y.push_back(static_cast<int32_t>(*v));
      } else {
        if (!v || !std::isfinite(*v)) {
          throw_bad_input(fmt::format("{}:{}:{}: '{}' is not a finite number", path, row.line, c + 1, field));
        }
        values.push_back(*v);
      }
    }
  }
  out.x = Tensor::from_f32({n, features}, values);
  return out;
}

}  // namespace tinyopt
