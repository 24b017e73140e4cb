// Hostile datasets: one test per malformed or absurd IDX, NPY or CSV file given to `--data`. Each must be
// refused by `tinyopt eval` with one clear line naming the file (and line and column for CSV), exit code
// 1, no crash and no output; and load_dataset must throw a bad-input tinyopt::Error in-process. The table
// is docs/hostile-inputs.md (see hostile_support.h); the model-file counterparts are in
// hostile_models_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "data_test_files.h"
#include "hostile_support.h"
#include "onnx_model_builder.h"
#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/data/npy.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;
using testing::HostileInput;
using testing::TempDir;

// `--data` spec -> load_dataset must refuse it.
void expect_dataset_refused(const std::string& spec) {
  try {
    load_dataset(spec, Split::kTest);
    ADD_FAILURE() << "load_dataset accepted " << spec;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
  }
}

// `tinyopt eval` of a small valid model on `spec`.
std::string eval_command(const std::string& dir, const std::string& spec) {
  testing::OnnxModelBuilder b(13);
  b.input("x", {-1, 4}).output("y");
  b.node("Relu", {"x"}, {"y"}, "relu");
  const std::string model = (fs::path(dir) / "model.onnx").string();
  testing::write_file(model, b.bytes());
  return "eval '" + model + "' --data '" + spec + "'";
}

std::string npy_bytes(const std::string& dict, const std::string& payload) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  s += static_cast<char>(header.size() & 0xff);
  s += static_cast<char>(header.size() >> 8);
  return s + header + payload;
}

std::string npy_of(const Tensor& t) {
  TempDir tmp;
  write_npy(tmp.file("t.npy"), t);
  return testing::read_file(tmp.file("t.npy"));
}

// An x.npy,y.npy pair where `bad` is x (true) or y (false); the other is a valid 3-sample file.
HostileInput npy_pair(std::string name, std::string input, std::string bytes, bool bad_is_x,
                      std::vector<std::string> needles) {
  auto write = [name, bytes, bad_is_x](const TempDir& dir) {
    const std::string bad = dir.file(name + ".npy");
    testing::write_file(bad, bytes);
    testing::write_file(dir.file(bad_is_x ? "y.npy" : "x.npy"),
                        bad_is_x ? npy_of(Tensor::from_i64({3}, std::vector<int64_t>{0, 1, 2}))
                                 : npy_of(Tensor(DType::kF32, {3, 4})));
    return bad;
  };
  auto spec = [name, bad_is_x](const std::string& bad) {
    const fs::path dir = fs::path(bad).parent_path();
    return bad_is_x ? bad + "," + (dir / "y.npy").string() : (dir / "x.npy").string() + "," + bad;
  };
  return {name, input, write,
          [spec](const std::string& bad, const std::string&) {
            return eval_command(fs::path(bad).parent_path().string(), spec(bad));
          },
          std::move(needles), [spec](const std::string& bad) { expect_dataset_refused(spec(bad)); }};
}

// A folder of IDX test files (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) holding these bytes.
HostileInput idx_folder(std::string name, std::string input, std::string images, std::string labels,
                        std::vector<std::string> needles, bool gzip_images = false) {
  auto write = [name, images, labels, gzip_images](const TempDir& dir) {
    const std::string folder = dir.file(name);
    fs::create_directories(folder);
    if (gzip_images) {
      testing::write_file(folder + "/t10k-images-idx3-ubyte.gz", images);
    } else {
      testing::write_file(folder + "/t10k-images-idx3-ubyte", images);
    }
    testing::write_file(folder + "/t10k-labels-idx1-ubyte", labels);
    return folder;
  };
  return {name, input, write,
          [](const std::string& folder, const std::string&) {
            return eval_command(fs::path(folder).parent_path().string(), folder);
          },
          std::move(needles), expect_dataset_refused};
}

HostileInput csv_file(std::string name, std::string input, std::string text, std::vector<std::string> needles) {
  return {name, input,
          [name, text](const TempDir& dir) {
            testing::write_file(dir.file(name + ".csv"), text);
            return dir.file(name + ".csv");
          },
          [](const std::string& path, const std::string&) {
            return eval_command(fs::path(path).parent_path().string(), path);
          },
          std::move(needles), expect_dataset_refused};
}

std::string u8_images(uint32_t n) { return testing::idx_header(0x08, {n, 2, 2}) + std::string(4 * n, '\x07'); }
std::string u8_labels(uint32_t n) { return testing::idx_header(0x08, {n}) + std::string(n, '\x01'); }

std::vector<HostileInput> hostile_datasets() {
  std::vector<HostileInput> cases;
  auto add = [&](HostileInput c) { cases.push_back(std::move(c)); };
  const std::string f4x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";

  // IDX folders.
  add(idx_folder("idx_bad_magic", "IDX images file starting with a zip header", "PK\x03\x04 not idx", u8_labels(3),
                 {"t10k-images-idx3-ubyte: not an IDX file: bad magic 50 4b 03 04"}));
  add(idx_folder("idx_dims_bomb", "IDX header declaring 2^31 x 2^31 x 2^31 images (an allocation bomb)",
                 testing::idx_header(0x08, {1u << 31, 1u << 31, 1u << 31}), u8_labels(3),
                 {"IDX header declares an absurd size", "above the 4294967296 byte limit"}));
  add(idx_folder("idx_truncated", "IDX header for 10 images, data for 3", u8_images(10).substr(0, 16 + 12), u8_labels(10),
                 {"t10k-images-idx3-ubyte: truncated: IDX data of shape [10,2,2] needs 56 bytes, the file has 28"}));
  add(idx_folder("idx_trailing", "IDX images file with 5 extra bytes", u8_images(3) + "extra", u8_labels(3),
                 {"t10k-images-idx3-ubyte: trailing data"}));
  add(idx_folder("idx_count_mismatch", "3 images but 2 labels", u8_images(3), u8_labels(2),
                 {"t10k-labels-idx1-ubyte: 2 labels, but", "has 3 samples"}));
  add(idx_folder("idx_bad_type", "IDX element type 0x0A (not defined)", testing::idx_header(0x0A, {1}) + "x",
                 u8_labels(1), {"unsupported IDX element type 0x0a"}));
  add(idx_folder("idx_zero_dims", "IDX header declaring 0 dims", std::string("\0\0\x08\0", 4), u8_labels(1),
                 {"IDX header declares 0 dims, expected 1 to 8"}));
  add(idx_folder("idx_corrupt_gzip", "gzip-named IDX images that are gzip magic plus garbage",
                 std::string("\x1f\x8b\x08\x00garbage-garbage-garbage", 27), u8_labels(1), {"corrupt gzip data"},
                 /*gzip_images=*/true));

  // NPY pairs.
  std::string bad_magic = npy_of(Tensor(DType::kF32, {3, 4}));
  bad_magic[1] = 'X';
  add(npy_pair("npy_bad_magic", "samples file whose magic is not \\x93NUMPY", bad_magic, true,
               {"not an NPY file (the magic \\x93NUMPY is missing)"}));
  add(npy_pair("npy_shape_bomb", "samples header shape (100000, 100000, 100000) (an allocation bomb)",
               npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", ""), true,
               {"header 'shape' declares an absurd size"}));
  add(npy_pair("npy_negative_shape", "samples header shape (-3, 4)",
               npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }", ""), true,
               {"header 'shape' holds a non-integer or negative dim"}));
  add(npy_pair("npy_fortran", "samples in Fortran order",
               npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }", std::string(48, '\0')), true,
               {"fortran_order"}));
  add(npy_pair("npy_object", "samples of dtype object (pickled Python objects)",
               npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", std::string(24, '\0')), true,
               {"unsupported dtype '|O'"}));
  add(npy_pair("npy_truncated", "samples header (3, 4) f4 with 20 of 48 data bytes", npy_bytes(f4x3, std::string(20, '\0')),
               true, {"truncated"}));
  add(npy_pair("npy_code_in_header", "samples header holding a function call",
               npy_bytes("{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (3, 4), }", ""),
               true, {"npy_code_in_header.npy"}));
  add(npy_pair("npy_header_length", "header length field of 60000 in a 100-byte file",
               std::string("\x93NUMPY\x01\x00\x60\xea", 10) + std::string(90, ' '), true,
               {"truncated: the NPY header needs"}));
  Tensor nan_x(DType::kF32, {3, 4});
  nan_x.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  add(npy_pair("npy_nan_samples", "samples holding a NaN", npy_of(nan_x), true,
               {"sample value nan at index 5 is not a finite number"}));
  add(npy_pair("npy_samples_rank5", "samples of rank 5", npy_of(Tensor(DType::kF32, {3, 1, 1, 2, 2})), true,
               {"samples have shape [3,1,1,2,2]; expected (N, F), (N, H, W) or (N, C, H, W)"}));
  add(npy_pair("npy_label_huge", "label 2^40 (would size 2^40 classes)",
               npy_of(Tensor::from_i64({3}, std::vector<int64_t>{0, int64_t{1} << 40, 1})), false,
               {"label 1099511627776 at index 1 is above tinyopt's limit of 1048575"}));
  add(npy_pair("npy_label_int_max", "label 2147483647 (INT32_MAX)",
               npy_of(Tensor::from_i64({3}, std::vector<int64_t>{0, 2147483647, 1})), false,
               {"label 2147483647 at index 1 is above tinyopt's limit"}));
  add(npy_pair("npy_label_negative", "label -1", npy_of(Tensor::from_i64({3}, std::vector<int64_t>{0, -1, 1})), false,
               {"label -1 at index 1 is not a non-negative integer"}));
  add(npy_pair("npy_label_count", "2 labels for 3 samples", npy_of(Tensor::from_i64({2}, std::vector<int64_t>{0, 1})),
               false, {"npy_label_count.npy: 2 labels, but", "has 3 samples"}));

  // CSV files.
  add(csv_file("csv_ragged", "a row with 2 fields among rows of 3", "1,2,0\n3,4\n", {":2: 2 fields, expected 3"}));
  add(csv_file("csv_text_value", "a feature 'abc'", "1,2,0\nabc,4,1\n", {":2:1: 'abc' is not a finite number"}));
  add(csv_file("csv_nan_value", "a feature 'nan'", "1,2,0\nnan,4,1\n", {":2:1: 'nan' is not a finite number"}));
  add(csv_file("csv_label_fraction", "label 1.5", "1,2,0\n3,4,1.5\n", {":2:3: label '1.5' is not a non-negative integer"}));
  add(csv_file("csv_label_huge", "label 3000000000", "1,2,0\n3,4,3000000000\n",
               {":2:3: label '3000000000' is above tinyopt's limit of 1048575"}));
  add(csv_file("csv_empty", "an empty file", "", {"empty CSV file (no rows)"}));
  add(csv_file("csv_header_only", "a header and no rows", "a,b,label\n", {"has a header but no data rows"}));
  add(csv_file("csv_binary", "binary garbage", std::string("\x00\x01\xff\xfe,\x80\n\x7f,\x01\n", 10),
               {"is not a finite number"}));
  return cases;
}

class HostileData : public ::testing::TestWithParam<HostileInput> {};

TEST_P(HostileData, RefusedWithOneLineError) { testing::check_hostile_input(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Table, HostileData, ::testing::ValuesIn(hostile_datasets()),
                         [](const auto& info) { return testing::hostile_name(info.param); });

}  // namespace
}  // namespace tinyopt
