// Datasets as the rest of tinyopt sees them (DESIGN.md section 4, `--data`): a float tensor of samples,
// integer labels, and the loaders that turn a `--data` spec into one; plus normalization, sub-ranges and
// a deterministic batch iterator. Images are float NCHW with pixels scaled to [0, 1] (what PyTorch's
// ToTensor() gives). Augmentation lives in augment.h; file formats in idx.h, npy.h, csv.h.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tinyopt/core/tensor.h"
#include "tinyopt/data/csv.h"

namespace tinyopt {

struct Dataset {
  Tensor x;                // float32, (N, C, H, W) for images or (N, F) for tabular; pixels scaled to [0, 1]
  std::vector<int32_t> y;  // labels (size N), empty for unlabeled data
  int num_classes = 0;     // 0 for unlabeled data
  std::string name;        // "fashion-mnist:test", "data/x.npy", ...

  int64_t size() const { return x.empty() ? 0 : x.dim(0); }
  bool labeled() const { return !y.empty(); }
};

enum class Split { kTrain, kTest };
const char* split_name(Split split);  // "train", "test"

// Where the Debian package dataset-fashion-mnist installs its IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
// Labels must be below this (2^20 classes): a larger label is a corrupt or hostile file, and the class
// count it implies would size per-class buffers (docs/hostile-inputs.md).
inline constexpr int32_t kMaxLabel = (1 << 20) - 1;

// Loads a dataset from a `--data` spec:
//   "fashion-mnist"   the built-in Fashion-MNIST (Debian package dataset-fashion-mnist), 10 classes
//   DIR               a folder of IDX files: {train,t10k}-images-idx3-ubyte and {train,t10k}-labels-idx1-ubyte,
//                     each optionally .gz
//   X.npy,Y.npy       samples and labels; X.npy alone gives an unlabeled dataset
//   FILE.csv          numeric CSV, read with `csv` (default: header auto-detected, label in the last column)
// The split selects train/t10k files of an IDX folder; NPY and CSV data are used whole for either split.
// uint8 samples are scaled to [0, 1]; (N, H, W) images gain a channel axis. num_classes is 10 for
// Fashion-MNIST, else max(label) + 1. Throws tinyopt::Error (kBadInput) naming the file on missing,
// corrupt or mismatched files, and listing the accepted specs for an unknown one.
Dataset load_dataset(const std::string& spec, Split split, const CsvOptions& csv = {});

// x = (x - mean[c]) / std[c] per channel (axis 1: channels of images, features of tabular data).
// mean and std hold either one value (all channels) or one per channel; std must be non-zero.
void normalize(Dataset& data, const std::vector<float>& mean, const std::vector<float>& std);

// Samples [offset, offset + count) as a new dataset (copied); count < 0 or past the end means "to the end".
Dataset take(const Dataset& data, int64_t count, int64_t offset = 0);

// Iterates over a dataset in batches; the last, partial batch is included. With shuffle, each epoch
// visits a permutation drawn from std::mt19937_64(seed) by our own Fisher-Yates (not std::shuffle, whose
// algorithm varies by library), so a seed gives the same order everywhere.
// The dataset must outlive the iterator. Allocation-free in steady state: next() writes into `x` in
// place when it already has the batch's shape (so a tensor kept from an earlier batch is overwritten).
class BatchIterator {
 public:
  BatchIterator(const Dataset& data, int64_t batch, bool shuffle, uint64_t seed);

  // Fills x (batch, ...) and y (empty for unlabeled data); returns false at the end of an epoch.
  bool next(Tensor& x, std::vector<int32_t>& y);
  void reset();  // starts a new epoch (a new permutation when shuffling)
  int64_t batches_per_epoch() const;
  const std::vector<int64_t>& order() const { return order_; }  // this epoch's sample order

 private:
  void shuffle_order();

  const Dataset* data_;
  int64_t batch_;
  bool shuffle_;
  std::mt19937_64 rng_;
  std::vector<int64_t> order_;
  int64_t pos_ = 0;
};

}  // namespace tinyopt
