// Dataset loading from every kind of --data spec, normalization, take(), batching and deterministic
// shuffling; the built-in Fashion-MNIST when its Debian package is installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <set>

#include "tinyopt/data/dataset.h"
#include "tinyopt/data/npy.h"
#include "unit/data_test_files.h"

namespace tinyopt {
namespace {

using testing::expect_bad_input;
using testing::idx_header;
using testing::TempDir;

// An IDX folder with `n` 2x3 images (pixel = 51 * (sample % 6) so values are k/5 after scaling) and labels
// sample % 4, gzip or raw.
void write_idx_folder(const std::filesystem::path& dir, const std::string& prefix, uint32_t n, bool gzip) {
  std::filesystem::create_directories(dir);
  std::string images = idx_header(0x08, {n, 2, 3}), labels = idx_header(0x08, {n});
  for (uint32_t i = 0; i < n; ++i) {
    for (int p = 0; p < 6; ++p) images += static_cast<char>(51 * ((i + static_cast<uint32_t>(p)) % 6));
    labels += static_cast<char>(i % 4);
  }
  std::string img = (dir / (prefix + "-images-idx3-ubyte")).string();
  std::string lab = (dir / (prefix + "-labels-idx1-ubyte")).string();
  if (gzip) {
    testing::write_gzip_file(img + ".gz", images);
    testing::write_gzip_file(lab + ".gz", labels);
  } else {
    testing::write_file(img, images);
    testing::write_file(lab, labels);
  }
}

Dataset counting_dataset(int64_t n, int64_t features) {
  Dataset d;
  std::vector<float> v(static_cast<size_t>(n * features));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  d.x = Tensor::from_f32({n, features}, v);
  for (int64_t i = 0; i < n; ++i) d.y.push_back(static_cast<int32_t>(i));
  d.num_classes = static_cast<int>(n);
  d.name = "counting";
  return d;
}

TEST(DataDataset, LoadsIdxFolderRawAndGzipPerSplit) {
  TempDir tmp;
  write_idx_folder(tmp.path() / "raw", "train", 7, false);
  write_idx_folder(tmp.path() / "raw", "t10k", 5, false);
  write_idx_folder(tmp.path() / "gz", "t10k", 5, true);
  Dataset train = load_dataset((tmp.path() / "raw").string(), Split::kTrain);
  EXPECT_EQ(train.x.shape(), (Shape{7, 1, 2, 3}));
  EXPECT_EQ(train.name, (tmp.path() / "raw").string() + ":train");
  EXPECT_EQ(train.num_classes, 4);
  Dataset raw = load_dataset((tmp.path() / "raw").string(), Split::kTest);
  Dataset gz = load_dataset((tmp.path() / "gz").string(), Split::kTest);
  ASSERT_EQ(raw.x.shape(), (Shape{5, 1, 2, 3}));
  ASSERT_EQ(gz.x.shape(), raw.x.shape());
  EXPECT_EQ(raw.y, (std::vector<int32_t>{0, 1, 2, 3, 0}));
  EXPECT_EQ(gz.y, raw.y);
  for (int64_t i = 0; i < raw.x.numel(); ++i) {
    EXPECT_EQ(raw.x.data<float>()[i], gz.x.data<float>()[i]);
    EXPECT_EQ(raw.x.data<float>()[i], static_cast<float>(51 * ((i / 6 + i % 6) % 6)) / 255.0f) << i;
  }
  EXPECT_EQ(raw.x.data<float>()[5], 1.0f);  // 255 -> exactly 1
}

TEST(DataDataset, IdxFolderErrorsNameTheFile) {
  TempDir tmp;
  auto dir = tmp.path() / "d";
  write_idx_folder(dir, "train", 4, false);
  expect_bad_input([&] { load_dataset(dir.string(), Split::kTest); },
                   {(dir / "t10k-images-idx3-ubyte").string(), "missing"});
  // Label count mismatch: 4 images, 3 labels.
  testing::write_file((dir / "train-labels-idx1-ubyte").string(), idx_header(0x08, {3}) + std::string(3, '\1'));
  expect_bad_input([&] { load_dataset(dir.string(), Split::kTrain); },
                   {(dir / "train-labels-idx1-ubyte").string(), "3 labels", "4 samples"});
  // Corrupt image file.
  testing::write_file((dir / "train-images-idx3-ubyte").string(), "garbage!");
  expect_bad_input([&] { load_dataset(dir.string(), Split::kTrain); }, {(dir / "train-images-idx3-ubyte").string()});
  // Labels with a wrong rank.
  write_idx_folder(dir, "t10k", 2, false);
  testing::write_file((dir / "t10k-labels-idx1-ubyte").string(), idx_header(0x08, {2, 2}) + std::string(4, '\1'));
  expect_bad_input([&] { load_dataset(dir.string(), Split::kTest); },
                   {(dir / "t10k-labels-idx1-ubyte").string(), "shape"});
}

TEST(DataDataset, LoadsNpyPairAndSingleNpy) {
  TempDir tmp;
  Tensor x(DType::kU8, {3, 2, 2});
  for (int i = 0; i < 12; ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(i * 20);
  write_npy(tmp.file("x.npy"), x);
  Tensor y(DType::kI64, {3});
  y.data<int64_t>()[0] = 2, y.data<int64_t>()[1] = 0, y.data<int64_t>()[2] = 5;
  write_npy(tmp.file("y.npy"), y);
  Dataset d = load_dataset(tmp.file("x.npy") + "," + tmp.file("y.npy"), Split::kTest);
  EXPECT_EQ(d.x.shape(), (Shape{3, 1, 2, 2}));
  EXPECT_EQ(d.x.data<float>()[11], 220.0f / 255.0f);
  EXPECT_EQ(d.y, (std::vector<int32_t>{2, 0, 5}));
  EXPECT_EQ(d.num_classes, 6);

  write_npy(tmp.file("tab.npy"), Tensor::from_f32({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6}));
  Dataset u = load_dataset(tmp.file("tab.npy"), Split::kTrain);
  EXPECT_EQ(u.x.shape(), (Shape{2, 3}));
  EXPECT_EQ(u.x.data<float>()[5], 6.0f);  // float samples are not rescaled
  EXPECT_FALSE(u.labeled());
  EXPECT_EQ(u.num_classes, 0);

  Tensor short_y(DType::kI32, {2});
  write_npy(tmp.file("short_y.npy"), short_y);
  expect_bad_input([&] { load_dataset(tmp.file("x.npy") + "," + tmp.file("short_y.npy"), Split::kTest); },
                   {tmp.file("short_y.npy"), "2 labels", "3 samples"});
  Tensor neg_y(DType::kI32, {3});
  neg_y.data<int32_t>()[1] = -1;
  write_npy(tmp.file("neg_y.npy"), neg_y);
  expect_bad_input([&] { load_dataset(tmp.file("x.npy") + "," + tmp.file("neg_y.npy"), Split::kTest); },
                   {tmp.file("neg_y.npy"), "index 1"});
  write_npy(tmp.file("x5.npy"), Tensor(DType::kF32, {3, 1, 1, 1, 1}));
  expect_bad_input([&] { load_dataset(tmp.file("x5.npy") + "," + tmp.file("y.npy"), Split::kTest); },
                   {tmp.file("x5.npy"), "[3,1,1,1,1]"});
  expect_bad_input([&] { load_dataset(tmp.file("x.npy") + "," + tmp.file("absent.npy"), Split::kTest); },
                   {tmp.file("absent.npy")});
}

TEST(DataDataset, LoadsCsv) {
  TempDir tmp;
  testing::write_file(tmp.file("t.csv"), "a,b,label\n0.5,1,2\n-1,3e2,0\n");
  Dataset d = load_dataset(tmp.file("t.csv"), Split::kTrain);
  EXPECT_EQ(d.x.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.x.data<float>()[3], 300.0f);
  EXPECT_EQ(d.y, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(d.num_classes, 3);
  CsvOptions label_b;
  label_b.label_name = "b";
  Dataset b = load_dataset(tmp.file("t.csv"), Split::kTrain, label_b);
  EXPECT_EQ(b.y, (std::vector<int32_t>{1, 300}));
  EXPECT_EQ(b.x.data<float>()[1], 2.0f);
  EXPECT_EQ(b.num_classes, 301);
}

TEST(DataDataset, UnknownSpecsListWhatIsAccepted) {
  TempDir tmp;
  expect_bad_input([] { load_dataset("mnist", Split::kTrain); }, {"'mnist'", "fashion-mnist", ".csv", ".npy", "IDX"});
  std::string gone = tmp.file("missing_folder");
  expect_bad_input([&] { load_dataset(gone, Split::kTrain); }, {gone, "fashion-mnist"});
  testing::write_file(tmp.file("data.bin"), "x");
  expect_bad_input([&] { load_dataset(tmp.file("data.bin"), Split::kTrain); }, {tmp.file("data.bin"), ".npy"});
  EXPECT_THROW(load_dataset("", Split::kTrain), Error);
}

TEST(DataDataset, NormalizePerChannel) {
  Dataset d;
  d.x = Tensor::from_f32({2, 2, 1, 2}, std::vector<float>{1, 2, 10, 20, 3, 4, 30, 40});
  normalize(d, {1.0f, 10.0f}, {2.0f, 10.0f});
  std::vector<float> want = {0, 0.5f, 0, 1, 1, 1.5f, 2, 3};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(d.x.data<float>()[i], want[i]) << i;
  normalize(d, {1.0f}, {0.5f});  // one value for all channels
  EXPECT_FLOAT_EQ(d.x.data<float>()[7], 4.0f);
  EXPECT_THROW(normalize(d, {0, 0, 0}, {1}), Error);
  EXPECT_THROW(normalize(d, {0}, {0}), Error);
}

TEST(DataDataset, TakeCopiesASubRange) {
  Dataset d = counting_dataset(10, 3);
  Dataset t = take(d, 4, 5);
  ASSERT_EQ(t.x.shape(), (Shape{4, 3}));
  EXPECT_EQ(t.x.data<float>()[0], 15.0f);
  EXPECT_EQ(t.y, (std::vector<int32_t>{5, 6, 7, 8}));
  EXPECT_EQ(t.num_classes, d.num_classes);
  t.x.data<float>()[0] = -1;
  EXPECT_EQ(d.x.data<float>()[15], 15.0f);  // a copy, not a view
  EXPECT_EQ(take(d, 100, 8).size(), 2);
  EXPECT_EQ(take(d, -1).size(), 10);
  EXPECT_EQ(take(d, 5, 10).size(), 0);
  EXPECT_THROW(take(d, 1, 11), Error);
}

TEST(DataDataset, BatchesInOrderWithPartialLastBatchAndReusesTensors) {
  Dataset d = counting_dataset(10, 2);
  BatchIterator it(d, 4, /*shuffle=*/false, 0);
  EXPECT_EQ(it.batches_per_epoch(), 3);
  Tensor x;
  std::vector<int32_t> y;
  std::vector<int64_t> sizes;
  const uint8_t* first_storage = nullptr;
  int64_t seen = 0;
  while (it.next(x, y)) {
    sizes.push_back(x.dim(0));
    ASSERT_EQ(static_cast<int64_t>(y.size()), x.dim(0));
    for (int64_t i = 0; i < x.dim(0); ++i) {
      EXPECT_EQ(y[static_cast<size_t>(i)], seen + i);
      EXPECT_EQ(x.data<float>()[2 * i + 1], static_cast<float>(2 * (seen + i) + 1));
    }
    if (!first_storage) first_storage = x.bytes();
    if (sizes.size() == 2) {
      EXPECT_EQ(x.bytes(), first_storage) << "same shape must reuse the tensor";
    }
    seen += x.dim(0);
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_FALSE(it.next(x, y));
  it.reset();
  ASSERT_TRUE(it.next(x, y));
  EXPECT_EQ(y[0], 0);
  EXPECT_THROW(BatchIterator(d, 0, false, 0), Error);
}

std::vector<int32_t> epoch_labels(BatchIterator& it) {
  Tensor x;
  std::vector<int32_t> y, all;
  while (it.next(x, y)) {
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_EQ(x.data<float>()[i * 3], static_cast<float>(3 * y[i]));  // sample and label travel together
      all.push_back(y[i]);
    }
  }
  return all;
}

TEST(DataDataset, ShuffleIsADeterministicPermutationPerSeedAndEpoch) {
  Dataset d = counting_dataset(50, 3);
  BatchIterator a(d, 8, true, 42), b(d, 8, true, 42), c(d, 8, true, 43);
  std::vector<int32_t> a1 = epoch_labels(a), b1 = epoch_labels(b), c1 = epoch_labels(c);
  EXPECT_EQ(a1, b1);
  EXPECT_NE(a1, c1);
  std::vector<int32_t> sorted = a1;
  std::sort(sorted.begin(), sorted.end());
  for (int32_t i = 0; i < 50; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);  // a permutation
  std::vector<int32_t> identity(sorted);
  EXPECT_NE(a1, identity);
  a.reset();
  b.reset();
  std::vector<int32_t> a2 = epoch_labels(a);
  EXPECT_EQ(a2, epoch_labels(b));
  EXPECT_NE(a2, a1) << "each epoch draws a new permutation";
  // Pinned values: the order is our own Fisher-Yates over mt19937_64, the same on every platform.
  BatchIterator p(d, 50, true, 7);
  std::vector<int64_t> head(p.order().begin(), p.order().begin() + 5);
  std::mt19937_64 rng(7);
  std::vector<int64_t> ref(50);
  for (int64_t i = 0; i < 50; ++i) ref[static_cast<size_t>(i)] = i;
  for (uint64_t i = 50; i > 1; --i) {  // independent re-implementation of the documented algorithm
    unsigned __int128 two64 = static_cast<unsigned __int128>(1) << 64;
    unsigned __int128 limit = two64 / i * i;  // accept v below the largest multiple of i
    uint64_t v;
    do v = rng();
    while (v >= limit);
    std::swap(ref[i - 1], ref[v % i]);
  }
  EXPECT_EQ(std::vector<int64_t>(p.order().begin(), p.order().end()), ref);
}

TEST(DataDataset, UnlabeledBatchesHaveEmptyLabels) {
  Dataset d = counting_dataset(3, 1);
  d.y.clear();
  BatchIterator it(d, 2, false, 0);
  Tensor x;
  std::vector<int32_t> y{9};
  ASSERT_TRUE(it.next(x, y));
  EXPECT_TRUE(y.empty());
}

TEST(DataDataset, FashionMnistFromDebianPackage) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (" << kFashionMnistDir << ")";
  for (Split split : {Split::kTrain, Split::kTest}) {
    Dataset d = load_dataset("fashion-mnist", split);
    int64_t n = split == Split::kTrain ? 60000 : 10000;
    ASSERT_EQ(d.x.shape(), (Shape{n, 1, 28, 28}));
    EXPECT_EQ(d.num_classes, 10);
    EXPECT_EQ(d.name, std::string("fashion-mnist:") + split_name(split));
    std::array<int64_t, 10> histogram{};
    for (int32_t label : d.y) histogram.at(static_cast<size_t>(label))++;
    for (int64_t count : histogram) EXPECT_EQ(count, n / 10);
    auto [lo, hi] = std::minmax_element(d.x.data<float>(), d.x.data<float>() + d.x.numel());
    EXPECT_EQ(*lo, 0.0f);
    EXPECT_EQ(*hi, 1.0f);
  }
}

}  // namespace
}  // namespace tinyopt
