// Dataset loading from a `--data` spec, normalization, sub-ranges and batching (see dataset.h).
// The format readers (idx.h, npy.h, csv.h) return raw tensors; this file turns them into samples and
// labels and checks that they agree.
#include "tinyopt/data/dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "data/element_type.h"
#include "data/random_index.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/idx.h"
#include "tinyopt/data/npy.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

constexpr const char* kAcceptedSpecs =
    "--data accepts: fashion-mnist (built in), a folder of IDX files, X.npy,Y.npy (or X.npy alone), or a .csv file";
constexpr const char* kFashionMnistPackage = "dataset-fashion-mnist";
constexpr int kFashionMnistClasses = 10;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <typename T>
void cast_to_float(const Tensor& src, float* dst) {
  const T* s = src.data<T>();
  const int64_t n = src.numel();  // hoisted: numel() is not inline
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]);
}

// Raw samples -> float32 (N, C, H, W) or (N, F): uint8 pixels divide by 255 as ToTensor() does, other
// types are cast; (N) becomes (N, 1) and (N, H, W) gains a channel axis.
Tensor to_samples(const Tensor& raw, const std::string& path) {
  Shape shape = raw.shape();
  if (shape.empty() || shape.size() > 4) {
    throw_bad_input(
        fmt::format("{}: samples have shape {}; expected (N, F), (N, H, W) or (N, C, H, W)", path, shape_str(shape)));
  }
  if (shape.size() == 1) shape.push_back(1);
  if (shape.size() == 3) shape.insert(shape.begin() + 1, 1);
  Tensor x(DType::kF32, shape);
  float* dst = x.data<float>();
  if (raw.dtype() == DType::kU8) {
    const uint8_t* s = raw.data<uint8_t>();
    const int64_t n = raw.numel();
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(s[i]) / 255.0f;
  } else if (!detail::visit_element_type(raw.dtype(), [&]<typename T>(T) { cast_to_float<T>(raw, dst); })) {
    throw_bad_input(fmt::format("{}: samples of type {} are not supported", path, dtype_name(raw.dtype())));
  }
  // NaN or +-inf (or f64 values beyond float's range) would poison training, calibration and accuracy.
  for (int64_t i = 0, n = x.numel(); i < n; ++i) {
    if (!std::isfinite(dst[i]))
      throw_bad_input(fmt::format("{}: sample value {} at index {} is not a finite number", path, dst[i], i));
  }
  return x;
}

template <typename T>
void append_labels(const Tensor& raw, const std::string& path, std::vector<int32_t>& out) {
  const T* s = raw.data<T>();
  const int64_t n = raw.numel();
  for (int64_t i = 0; i < n; ++i) {
    double v = static_cast<double>(s[i]);
    if (!(v >= 0) || v != std::floor(v)) {
      throw_bad_input(fmt::format("{}: label {} at index {} is not a non-negative integer", path, v, i));
    }
    if (v > kMaxLabel) {
      throw_bad_input(fmt::format("{}: label {} at index {} is above tinyopt's limit of {}", path, v, i, kMaxLabel));
    }
    out.push_back(static_cast<int32_t>(v));
  }
}

std::vector<int32_t> to_labels(const Tensor& raw, const std::string& path) {
  const Shape& s = raw.shape();
  if (!(s.size() == 1 || (s.size() == 2 && s[1] == 1))) {
    throw_bad_input(fmt::format("{}: labels have shape {}; expected (N) or (N, 1)", path, shape_str(s)));
  }
  std::vector<int32_t> y;
  y.reserve(static_cast<size_t>(raw.numel()));
  bool supported = raw.dtype() != DType::kBool &&
                   detail::visit_element_type(raw.dtype(), [&]<typename T>(T) { append_labels<T>(raw, path, y); });
  if (!supported) {
    throw_bad_input(fmt::format("{}: labels of type {} are not supported", path, dtype_name(raw.dtype())));
  }
  return y;
}

int count_classes(const std::vector<int32_t>& y) { return y.empty() ? 0 : *std::max_element(y.begin(), y.end()) + 1; }

void require_same_count(const Dataset& d, const std::string& x_path, const std::string& y_path) {
  if (static_cast<int64_t>(d.y.size()) != d.size()) {
    throw_bad_input(fmt::format("{}: {} labels, but {} has {} samples", y_path, d.y.size(), x_path, d.size()));
  }
}

// "<dir>/<stem>" or "<dir>/<stem>.gz", whichever exists; empty when neither does.
std::string find_idx_file(const fs::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const std::string& name : {stem, stem + ".gz"}) {
    if (fs::is_regular_file(dir / name, ec)) return (dir / name).string();
  }
  return {};
}

Dataset load_idx_folder(const fs::path& dir, Split split, const std::string& name, bool builtin) {
  std::string prefix = split == Split::kTrain ? "train" : "t10k";
  std::string install_hint = builtin ? fmt::format("; install the Debian package {} (apt-get install {})",
                                                   kFashionMnistPackage, kFashionMnistPackage)
                                     : "";
  std::string paths[2];
  const std::string stems[2] = {prefix + "-images-idx3-ubyte", prefix + "-labels-idx1-ubyte"};
  for (int i = 0; i < 2; ++i) {
    paths[i] = find_idx_file(dir, stems[i]);
    if (paths[i].empty()) {
      throw_bad_input(fmt::format("{}[.gz]: missing {} file{}", (dir / stems[i]).string(), i == 0 ? "image" : "label",
                                  install_hint));
    }
  }
  Dataset d;
  d.name = fmt::format("{}:{}", name, split_name(split));
  d.x = to_samples(read_idx(paths[0]), paths[0]);
  d.y = to_labels(read_idx(paths[1]), paths[1]);
  require_same_count(d, paths[0], paths[1]);
  d.num_classes = count_classes(d.y);
  if (builtin) {
    if (d.num_classes > kFashionMnistClasses) {
      throw_bad_input(fmt::format("{}: label {} out of range for Fashion-MNIST's {} classes", paths[1],
                                  d.num_classes - 1, kFashionMnistClasses));
    }
    d.num_classes = kFashionMnistClasses;
  }
  return d;
}

Dataset load_npy_pair(const std::string& x_path, const std::string& y_path) {
  Dataset d;
  d.name = y_path.empty() ? x_path : x_path + "," + y_path;
  d.x = to_samples(read_npy(x_path), x_path);
  if (!y_path.empty()) {
    d.y = to_labels(read_npy(y_path), y_path);
    require_same_count(d, x_path, y_path);
    d.num_classes = count_classes(d.y);
  }
  return d;
}

Dataset load_csv_dataset(const std::string& path, const CsvOptions& options) {
  CsvData csv = read_csv(path, options);
  Dataset d;
  d.name = path;
  d.x = std::move(csv.x);
  d.y = std::move(csv.y);
  d.num_classes = count_classes(d.y);
  return d;
}

}  // namespace

const char* split_name(Split split) { return split == Split::kTrain ? "train" : "test"; }

Dataset load_dataset(const std::string& spec, Split split, const CsvOptions& csv) {
  if (spec.empty()) throw_usage(fmt::format("empty dataset spec; {}", kAcceptedSpecs));
  if (spec == "fashion-mnist") return load_idx_folder(kFashionMnistDir, split, spec, /*builtin=*/true);
  if (size_t comma = spec.find(','); comma != std::string::npos) {
    std::string x_path = spec.substr(0, comma), y_path = spec.substr(comma + 1);
    if (x_path.empty() || y_path.empty() || y_path.find(',') != std::string::npos) {
      throw_usage(fmt::format("'{}': expected exactly two .npy paths, X.npy,Y.npy", spec));
    }
    return load_npy_pair(x_path, y_path);
  }
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return load_idx_folder(spec, split, spec, /*builtin=*/false);
  if (ends_with(spec, ".npy")) return load_npy_pair(spec, "");
  if (ends_with(spec, ".csv") || ends_with(spec, ".csv.gz")) return load_csv_dataset(spec, csv);
  if (!fs::exists(spec, ec)) {
    throw_bad_input(fmt::format("unknown dataset '{}': not a built-in name, file or folder; {}", spec, kAcceptedSpecs));
  }
  throw_bad_input(fmt::format("{}: unrecognized dataset file (expected .npy or .csv); {}", spec, kAcceptedSpecs));
}

void normalize(Dataset& data, const std::vector<float>& mean, const std::vector<float>& std) {
  if (data.x.rank() < 2) throw_bad_input(fmt::format("{}: cannot normalize samples without a channel axis", data.name));
  int64_t n = data.x.dim(0), channels = data.x.dim(1);
  int64_t inner = n * channels == 0 ? 0 : data.x.numel() / (n * channels);
  auto per_channel = [&](const std::vector<float>& v, const char* what) {
    if (v.size() != 1 && static_cast<int64_t>(v.size()) != channels) {
      throw_usage(fmt::format("{} has {} values; {} has {} channels (give 1 or {})", what, v.size(), data.name,
                              channels, channels));
    }
  };
  per_channel(mean, "--mean");
  per_channel(std, "--std");
  for (float s : std) {
    if (!(s != 0.0f) || !std::isfinite(s))
      throw_usage(fmt::format("--std values must be finite and non-zero, got {}", s));
  }
  float* x = data.x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      float m = mean[mean.size() == 1 ? 0 : static_cast<size_t>(c)];
      float s = std[std.size() == 1 ? 0 : static_cast<size_t>(c)];
      float* p = x + (i * channels + c) * inner;
      for (int64_t k = 0; k < inner; ++k) p[k] = (p[k] - m) / s;
    }
  }
}

Dataset take(const Dataset& data, int64_t count, int64_t offset) {
  int64_t n = data.size();
  if (offset < 0 || offset > n) {
    throw_usage(fmt::format("{}: offset {} is outside the dataset's {} samples", data.name, offset, n));
  }
  if (count < 0 || count > n - offset) count = n - offset;
  Shape shape = data.x.shape();
  shape[0] = count;
  Dataset out;
  out.name = data.name;
  out.num_classes = data.num_classes;
  out.x = Tensor(DType::kF32, shape);
  int64_t row = n == 0 ? 0 : data.x.numel() / n;
  if (count > 0) {
    std::memcpy(out.x.data<float>(), data.x.data<float>() + offset * row,
                static_cast<size_t>(count * row) * sizeof(float));
  }
  if (data.labeled()) out.y.assign(data.y.begin() + offset, data.y.begin() + offset + count);
  return out;
}

BatchIterator::BatchIterator(const Dataset& data, int64_t batch, bool shuffle, uint64_t seed)
    : data_(&data), batch_(batch), shuffle_(shuffle), rng_(seed) {
  if (batch <= 0) throw_usage(fmt::format("batch size must be positive, got {}", batch));
  if (data.labeled() && static_cast<int64_t>(data.y.size()) != data.size()) {
    throw_internal(fmt::format("{}: {} labels for {} samples", data.name, data.y.size(), data.size()));
  }
  order_.resize(static_cast<size_t>(data.size()));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (shuffle_) shuffle_order();
}

void BatchIterator::shuffle_order() {
  // Fisher-Yates from the back, with our own uniform draw (random_index.h).
  for (size_t i = order_.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(detail::uniform_below(rng_, i));
    std::swap(order_[i - 1], order_[j]);
  }
}

void BatchIterator::reset() {
  pos_ = 0;
  if (shuffle_) shuffle_order();
}

int64_t BatchIterator::batches_per_epoch() const { return (data_->size() + batch_ - 1) / batch_; }

bool BatchIterator::next(Tensor& x, std::vector<int32_t>& y) {
  int64_t n = data_->size();
  if (pos_ >= n) return false;
  int64_t b = std::min(batch_, n - pos_);
  const Shape& full = data_->x.shape();
  bool reusable = !x.empty() && x.dtype() == DType::kF32 && x.rank() == static_cast<int>(full.size()) &&
                  x.dim(0) == b && std::equal(full.begin() + 1, full.end(), x.shape().begin() + 1);
  if (!reusable) {
    Shape shape = full;
    shape[0] = b;
    x = Tensor(DType::kF32, shape);
  }
  int64_t row = data_->x.numel() / n;
  const float* src = data_->x.data<float>();
  float* dst = x.data<float>();
  y.resize(data_->labeled() ? static_cast<size_t>(b) : 0);
  for (int64_t i = 0; i < b; ++i) {
    int64_t s = order_[static_cast<size_t>(pos_ + i)];
    std::memcpy(dst + i * row, src + s * row, static_cast<size_t>(row) * sizeof(float));
    if (data_->labeled()) y[static_cast<size_t>(i)] = data_->y[static_cast<size_t>(s)];
  }
  pos_ += b;
  return true;
}

}  // namespace tinyopt
