// IDX reader: every element type, raw and gzip, and every malformed-file case (bad magic, unknown type,
// bad dims, truncated and oversized data, corrupt gzip, absurd declared size).
#include <gtest/gtest.h>

#include <cstring>

#include "tinyopt/data/idx.h"
#include "unit/data_test_files.h"

namespace tinyopt {
namespace {

using testing::expect_bad_input;
using testing::idx_header;
using testing::TempDir;

// Fashion-MNIST-like u8 images (3, 2, 4): value = 10 * image + position.
std::string u8_images() {
  std::string s = idx_header(0x08, {3, 2, 4});
  for (int i = 0; i < 3; ++i)
    for (int p = 0; p < 8; ++p) s += static_cast<char>(10 * i + p);
  return s;
}

void expect_u8_images(const Tensor& t) {
  ASSERT_EQ(t.dtype(), DType::kU8);
  ASSERT_EQ(t.shape(), (Shape{3, 2, 4}));
  for (int i = 0; i < 3; ++i)
    for (int p = 0; p < 8; ++p) EXPECT_EQ(t.data<uint8_t>()[i * 8 + p], 10 * i + p);
}

TEST(DataIdx, ReadsRawU8) {
  TempDir tmp;
  testing::write_file(tmp.file("images"), u8_images());
  expect_u8_images(read_idx(tmp.file("images")));
}

TEST(DataIdx, ReadsGzipU8DetectedByContentNotName) {
  TempDir tmp;
  testing::write_gzip_file(tmp.file("images.gz"), u8_images());
  expect_u8_images(read_idx(tmp.file("images.gz")));
  testing::write_gzip_file(tmp.file("no_suffix"), u8_images());
  expect_u8_images(read_idx(tmp.file("no_suffix")));
}

TEST(DataIdx, ReadsBigEndianI8I16I32F32F64) {
  TempDir tmp;
  testing::write_file(tmp.file("i8"), idx_header(0x09, {2}) + std::string{'\xff', '\x05'});
  Tensor i8 = read_idx(tmp.file("i8"));
  ASSERT_EQ(i8.dtype(), DType::kI8);
  EXPECT_EQ(i8.data<int8_t>()[0], -1);
  EXPECT_EQ(i8.data<int8_t>()[1], 5);

  testing::write_file(tmp.file("i16"), idx_header(0x0B, {2}) + std::string{'\x01', '\x02', '\xff', '\xfe'});
  Tensor i16 = read_idx(tmp.file("i16"));
  ASSERT_EQ(i16.dtype(), DType::kI16);
  EXPECT_EQ(i16.data<int16_t>()[0], 0x0102);
  EXPECT_EQ(i16.data<int16_t>()[1], -2);

  testing::write_gzip_file(tmp.file("i32.gz"),
                           idx_header(0x0C, {1, 2}) + testing::be32(0x01020304) + testing::be32(0xfffffff0));
  Tensor i32 = read_idx(tmp.file("i32.gz"));
  ASSERT_EQ(i32.dtype(), DType::kI32);
  ASSERT_EQ(i32.shape(), (Shape{1, 2}));
  EXPECT_EQ(i32.data<int32_t>()[0], 0x01020304);
  EXPECT_EQ(i32.data<int32_t>()[1], -16);

  // 1.5f = 0x3fc00000, -2.25 (f64) = 0xc002000000000000
  testing::write_file(tmp.file("f32"), idx_header(0x0D, {1}) + testing::be32(0x3fc00000));
  Tensor f32 = read_idx(tmp.file("f32"));
  ASSERT_EQ(f32.dtype(), DType::kF32);
  EXPECT_EQ(f32.data<float>()[0], 1.5f);
  testing::write_file(tmp.file("f64"), idx_header(0x0E, {1}) + testing::be32(0xc0020000) + testing::be32(0));
  Tensor f64 = read_idx(tmp.file("f64"));
  ASSERT_EQ(f64.dtype(), DType::kF32);
  EXPECT_EQ(f64.data<float>()[0], -2.25f);
}

TEST(DataIdx, EmptyDimIsAnEmptyTensor) {
  TempDir tmp;
  testing::write_file(tmp.file("empty"), idx_header(0x08, {0, 28, 28}));
  Tensor t = read_idx(tmp.file("empty"));
  EXPECT_EQ(t.shape(), (Shape{0, 28, 28}));
  EXPECT_EQ(t.numel(), 0);
}

TEST(DataIdx, RejectsBadMagicUnknownTypeAndBadDims) {
  TempDir tmp;
  std::string bad_magic = u8_images();
  bad_magic[0] = 0x12;
  testing::write_file(tmp.file("bad_magic"), bad_magic);
  expect_bad_input([&] { read_idx(tmp.file("bad_magic")); }, {tmp.file("bad_magic"), "magic"});

  testing::write_file(tmp.file("bad_type"), idx_header(0x0A, {1}) + "x");
  expect_bad_input([&] { read_idx(tmp.file("bad_type")); }, {tmp.file("bad_type"), "0x0a"});

  testing::write_file(tmp.file("zero_dims"), idx_header(0x08, {}));
  expect_bad_input([&] { read_idx(tmp.file("zero_dims")); }, {tmp.file("zero_dims"), "0 dims"});

  testing::write_file(tmp.file("many_dims"), idx_header(0x08, std::vector<uint32_t>(9, 1)) + "x");
  expect_bad_input([&] { read_idx(tmp.file("many_dims")); }, {tmp.file("many_dims"), "9 dims"});

  testing::write_file(tmp.file("short"), std::string("\0\0", 2));
  expect_bad_input([&] { read_idx(tmp.file("short")); }, {tmp.file("short"), "magic"});

  std::string cut_header = idx_header(0x08, {3, 2, 4}).substr(0, 9);
  testing::write_file(tmp.file("cut_header"), cut_header);
  expect_bad_input([&] { read_idx(tmp.file("cut_header")); }, {tmp.file("cut_header"), "truncated", "16 bytes"});
}

TEST(DataIdx, RejectsTruncatedAndTrailingDataWithByteCounts) {
  TempDir tmp;
  std::string full = u8_images();  // 16 header + 24 data = 40 bytes
  testing::write_file(tmp.file("cut"), full.substr(0, 30));
  expect_bad_input([&] { read_idx(tmp.file("cut")); }, {tmp.file("cut"), "truncated", "40", "30"});
  testing::write_gzip_file(tmp.file("cut.gz"), full.substr(0, 30));
  expect_bad_input([&] { read_idx(tmp.file("cut.gz")); }, {tmp.file("cut.gz"), "truncated", "40", "30"});
  testing::write_file(tmp.file("long"), full + "xy");
  expect_bad_input([&] { read_idx(tmp.file("long")); }, {tmp.file("long"), "trailing", "40", "42"});
  testing::write_gzip_file(tmp.file("long.gz"), full + "xy");
  expect_bad_input([&] { read_idx(tmp.file("long.gz")); }, {tmp.file("long.gz"), "trailing", "40"});
}

TEST(DataIdx, RejectsCutOffAndCorruptGzip) {
  TempDir tmp;
  testing::write_gzip_file(tmp.file("ok.gz"), u8_images());
  std::string gz = testing::read_file(tmp.file("ok.gz"));
  testing::write_file(tmp.file("cut_stream.gz"), gz.substr(0, gz.size() - 12));
  expect_bad_input([&] { read_idx(tmp.file("cut_stream.gz")); }, {tmp.file("cut_stream.gz"), "truncated"});
  std::string corrupt = gz;
  corrupt[corrupt.size() - 6] ^= 0x5a;  // inside the CRC-32/ISIZE trailer
  testing::write_file(tmp.file("corrupt.gz"), corrupt);
  expect_bad_input([&] { read_idx(tmp.file("corrupt.gz")); }, {tmp.file("corrupt.gz"), "gzip"});
}

TEST(DataIdx, RefusesAbsurdDeclaredSizeWithoutAllocating) {
  TempDir tmp;
  testing::write_file(tmp.file("huge"), idx_header(0x0E, {100000, 100000, 100000}));
  expect_bad_input([&] { read_idx(tmp.file("huge")); }, {tmp.file("huge"), "absurd"});
}

TEST(DataIdx, MissingFileAndFolderAreNamed) {
  TempDir tmp;
  expect_bad_input([&] { read_idx(tmp.file("nope")); }, {tmp.file("nope"), "cannot open"});
  expect_bad_input([&] { read_idx(tmp.path().string()); }, {tmp.path().string(), "folder"});
}

}  // namespace
}  // namespace tinyopt
