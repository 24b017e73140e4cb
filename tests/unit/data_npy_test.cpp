// NPY reader/writer: round trips for every writable dtype, numpy as the independent peer in both
// directions (skipped without numpy), header parsing variants, and every malformed-file case.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "tinyopt/data/npy.h"
#include "unit/data_test_files.h"

namespace tinyopt {
namespace {

using testing::expect_bad_input;
using testing::TempDir;

// A v1 file with the given header dict text and payload, laid out as numpy does (64-byte aligned).
std::string npy_file(const std::string& dict, const std::string& payload, int major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY";
  s += static_cast<char>(major);
  s += '\0';
  size_t n = header.size();
  s += static_cast<char>(n & 0xff);
  s += static_cast<char>((n >> 8) & 0xff);
  if (major != 1) s += std::string(2, '\0');
  return s + header + payload;
}

std::string le_floats(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);  // host is little-endian
  return s;
}

TEST(DataNpy, RoundTripsEveryWritableDtype) {
  TempDir tmp;
  Tensor f = Tensor::from_f32({2, 3}, std::vector<float>{1.5f, -2, 0, 3.25f, 1e-7f, -1e30f});
  write_npy(tmp.file("f.npy"), f);
  Tensor f2 = read_npy(tmp.file("f.npy"));
  ASSERT_EQ(f2.dtype(), DType::kF32);
  ASSERT_EQ(f2.shape(), f.shape());
  EXPECT_EQ(std::memcmp(f2.bytes(), f.bytes(), f.nbytes()), 0);

  for (DType dt : {DType::kI8, DType::kU8, DType::kI16, DType::kI32, DType::kI64, DType::kBool}) {
    Tensor t(dt, {5});
    for (size_t b = 0; b < t.nbytes(); ++b)
      t.bytes()[b] = static_cast<uint8_t>(dt == DType::kBool ? b % 2 : 37 * b + 11);
    std::string path = tmp.file(std::string(dtype_name(dt)) + ".npy");
    write_npy(path, t);
    Tensor back = read_npy(path);
    ASSERT_EQ(back.dtype(), dt) << dtype_name(dt);
    ASSERT_EQ(back.shape(), t.shape());
    EXPECT_EQ(std::memcmp(back.bytes(), t.bytes(), t.nbytes()), 0) << dtype_name(dt);
  }

  Tensor scalar = Tensor::scalar_f32(7.0f);
  write_npy(tmp.file("scalar.npy"), scalar);
  Tensor s2 = read_npy(tmp.file("scalar.npy"));
  EXPECT_EQ(s2.rank(), 0);
  EXPECT_EQ(s2.data<float>()[0], 7.0f);

  Tensor empty(DType::kF32, {0, 4});
  write_npy(tmp.file("empty.npy"), empty);
  EXPECT_EQ(read_npy(tmp.file("empty.npy")).shape(), (Shape{0, 4}));
}

TEST(DataNpy, WriterAlignsDataAndLeavesNoTempFiles) {
  TempDir tmp;
  write_npy(tmp.file("a.npy"), Tensor::from_f32({3}, std::vector<float>{1, 2, 3}));
  std::string bytes = testing::read_file(tmp.file("a.npy"));
  ASSERT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  size_t data_offset = 10 + static_cast<uint8_t>(bytes[8]) + 256 * static_cast<uint8_t>(bytes[9]);
  EXPECT_EQ(data_offset % 64, 0u);
  EXPECT_EQ(bytes[data_offset - 1], '\n');
  EXPECT_EQ(bytes.size(), data_offset + 12);
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmp.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(DataNpy, ReadsHeaderVariantsVersionsAndByteOrders) {
  TempDir tmp;
  // Key order, double quotes, no trailing comma, Python 2 long suffix, version 2 and 3.
  testing::write_file(tmp.file("v1.npy"),
                      npy_file("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}", le_floats({1, 2})));
  testing::write_file(tmp.file("v2.npy"),
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", le_floats({1, 2}), 2));
  testing::write_file(tmp.file("v3.npy"),
                      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", le_floats({1, 2}), 3));
  for (const char* name : {"v1.npy", "v2.npy", "v3.npy"}) {
    Tensor t = read_npy(tmp.file(name));
    ASSERT_EQ(t.shape(), (Shape{2})) << name;
    EXPECT_EQ(t.data<float>()[0], 1.0f) << name;
    EXPECT_EQ(t.data<float>()[1], 2.0f) << name;
  }
  // Big-endian int16 0x0102 and f8 narrowed to f32.
  testing::write_file(tmp.file("be.npy"), npy_file("{'descr': '>i2', 'fortran_order': False, 'shape': (1,), }",
                                                   std::string{'\x01', '\x02'}));
  EXPECT_EQ(read_npy(tmp.file("be.npy")).data<int16_t>()[0], 0x0102);
  double d = -0.1;
  testing::write_file(tmp.file("f8.npy"), npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                                                   std::string(reinterpret_cast<const char*>(&d), 8)));
  Tensor f8 = read_npy(tmp.file("f8.npy"));
  EXPECT_EQ(f8.dtype(), DType::kF32);
  EXPECT_EQ(f8.data<float>()[0], static_cast<float>(d));
}

TEST(DataNpy, RejectsBadFilesWithOneLineNamingTheFile) {
  TempDir tmp;
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  struct Case {
    std::string name, bytes, needle;
  };
  std::string good = npy_file(ok_dict, le_floats({1, 2, 3, 4}));
  std::string bad_magic = good;
  bad_magic[1] = 'X';
  std::string bad_version = good;
  bad_version[6] = 9;
  const Case cases[] = {
      {"magic.npy", bad_magic, "not an NPY file"},
      {"version.npy", bad_version, "version 9"},
      {"empty.npy", "", "not an NPY file"},
      {"fortran.npy", npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", le_floats({1, 2, 3, 4})),
       "fortran_order"},
      {"dtype_c8.npy", npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')),
       "unsupported dtype '<c8'"},
      {"dtype_u2.npy", npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", std::string(2, '\0')),
       "unsupported dtype"},
      {"dtype_object.npy", npy_file("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')),
       "unsupported dtype"},
      {"structured.npy",
       npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", std::string(4, '\0')),
       "structured"},
      {"syntax.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2}", le_floats({1, 2, 3, 4})),
       "parse error"},
      {"unquoted.npy", npy_file("{descr: '<f4'}", ""), "parse error"},
      {"missing_key.npy", npy_file("{'descr': '<f4', 'shape': (1,), }", le_floats({1})), "lacks"},
      {"extra_key.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", le_floats({1})),
       "unexpected key 'x'"},
      {"negative_dim.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""), "negative"},
      {"absurd.npy", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", ""),
       "absurd"},
      {"nested.npy", npy_file("{'descr': " + std::string(40, '(') + std::string(40, ')') + "}", ""), "nesting"},
      {"truncated.npy", npy_file(ok_dict, le_floats({1, 2, 3})), "truncated"},
      {"trailing.npy", npy_file(ok_dict, le_floats({1, 2, 3, 4, 5})), "trailing"},
      {"cut_header.npy", good.substr(0, 40), "truncated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    testing::write_file(tmp.file(c.name), c.bytes);
    expect_bad_input([&] { read_npy(tmp.file(c.name)); }, {tmp.file(c.name), c.needle});
  }
  expect_bad_input([&] { read_npy(tmp.file("missing.npy")); }, {tmp.file("missing.npy")});
}

TEST(DataNpy, TruncatedDataReportsExpectedAndActualBytes) {
  TempDir tmp;
  std::string f = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", le_floats({1, 2}));
  testing::write_file(tmp.file("t.npy"), f);
  ASSERT_EQ(f.size(), 128u + 8u);  // 128-byte header, 2 of the 4 floats
  expect_bad_input([&] { read_npy(tmp.file("t.npy")); }, {tmp.file("t.npy"), "needs 144 bytes", "has 136"});
}

TEST(DataNpy, WriteRejectsI4AndUnwritablePathsLeaveNothing) {
  TempDir tmp;
  Tensor packed(DType::kI4, {4});
  expect_bad_input([&] { write_npy(tmp.file("i4.npy"), packed); }, {tmp.file("i4.npy"), "i4"});
  EXPECT_FALSE(std::filesystem::exists(tmp.file("i4.npy")));
  std::string bad = tmp.file("no_such_dir/x.npy");
  expect_bad_input([&] { write_npy(bad, Tensor::scalar_f32(1)); }, {bad, "cannot write"});
}

// numpy is the independent reference: it writes files we read, and reads files we write.
TEST(DataNpy, InteroperatesWithNumpy) {
  if (!testing::python_has("numpy")) GTEST_SKIP() << "numpy not importable by /usr/bin/python3; skipping peer check";
  TempDir tmp;
  std::string dir = tmp.path().string();
  std::string script =
      "import numpy as np, sys\n"
      "d = sys.argv[1]\n"
      "np.save(d + '/np_f4.npy', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7) / 3)\n"
      "np.save(d + '/np_f8.npy', np.array([[0.1, -2.5], [1e10, 3.0]]))\n"
      "np.save(d + '/np_u1.npy', np.arange(250, 256, dtype=np.uint8))\n"
      "np.save(d + '/np_i1.npy', np.array([-128, 0, 127], dtype=np.int8))\n"
      "np.save(d + '/np_i2.npy', np.array([-300, 300], dtype=np.int16))\n"
      "np.save(d + '/np_i4.npy', np.array([-70000, 70000], dtype=np.int32))\n"
      "np.save(d + '/np_i8.npy', np.array([-2**40, 2**40], dtype=np.int64))\n"
      "np.save(d + '/np_b1.npy', np.array([True, False, True]))\n"
      "np.save(d + '/np_fortran.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))\n"
      "np.save(d + '/np_v2.npy', np.zeros((1,), dtype=[('x' * 70000, '<f4')]))\n";
  testing::write_file(tmp.file("gen.py"), script);
  auto r = testing::run_command("/usr/bin/python3 " + tmp.file("gen.py") + " " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  Tensor f4 = read_npy(tmp.file("np_f4.npy"));
  ASSERT_EQ(f4.shape(), (Shape{2, 3, 4}));
  for (int i = 0; i < 24; ++i) EXPECT_EQ(f4.data<float>()[i], (static_cast<float>(i) - 7) / 3) << i;
  Tensor f8 = read_npy(tmp.file("np_f8.npy"));
  EXPECT_EQ(f8.data<float>()[0], 0.1f);
  EXPECT_EQ(f8.data<float>()[2], 1e10f);
  EXPECT_EQ(read_npy(tmp.file("np_u1.npy")).data<uint8_t>()[5], 255);
  EXPECT_EQ(read_npy(tmp.file("np_i1.npy")).data<int8_t>()[0], -128);
  EXPECT_EQ(read_npy(tmp.file("np_i2.npy")).data<int16_t>()[0], -300);
  EXPECT_EQ(read_npy(tmp.file("np_i4.npy")).data<int32_t>()[1], 70000);
  EXPECT_EQ(read_npy(tmp.file("np_i8.npy")).data<int64_t>()[0], -(int64_t{1} << 40));
  Tensor b1 = read_npy(tmp.file("np_b1.npy"));
  EXPECT_TRUE(b1.data<bool>()[0]);
  EXPECT_FALSE(b1.data<bool>()[1]);
  expect_bad_input([&] { read_npy(tmp.file("np_fortran.npy")); }, {"np_fortran.npy", "fortran_order"});
  expect_bad_input([&] { read_npy(tmp.file("np_v2.npy")); }, {"np_v2.npy", "structured"});  // a v2 header

  // Ours -> numpy: numpy checks values, dtype and shape, prints OK.
  write_npy(tmp.file("our_f4.npy"), Tensor::from_f32({2, 2}, std::vector<float>{0.5f, -1, 2, 1e-3f}));
  Tensor i8(DType::kI8, {3});
  i8.data<int8_t>()[0] = -5, i8.data<int8_t>()[1] = 0, i8.data<int8_t>()[2] = 100;
  write_npy(tmp.file("our_i1.npy"), i8);
  Tensor u8(DType::kU8, {2});
  u8.data<uint8_t>()[0] = 0, u8.data<uint8_t>()[1] = 255;
  write_npy(tmp.file("our_u1.npy"), u8);
  Tensor i32(DType::kI32, {1, 2});
  i32.data<int32_t>()[0] = -123456, i32.data<int32_t>()[1] = 7;
  write_npy(tmp.file("our_i4.npy"), i32);
  write_npy(tmp.file("our_i8.npy"), Tensor::from_i64({2}, std::vector<int64_t>{-(int64_t{1} << 50), 3}));
  std::string check =
      "import numpy as np, sys\n"
      "d = sys.argv[1]\n"
      "def same(name, want):\n"
      "    a = np.load(d + '/' + name)\n"
      "    assert a.dtype == want.dtype and a.shape == want.shape and (a == want).all(), (name, a)\n"
      "same('our_f4.npy', np.array([[0.5, -1], [2, 1e-3]], dtype=np.float32))\n"
      "same('our_i1.npy', np.array([-5, 0, 100], dtype=np.int8))\n"
      "same('our_u1.npy', np.array([0, 255], dtype=np.uint8))\n"
      "same('our_i4.npy', np.array([[-123456, 7]], dtype=np.int32))\n"
      "same('our_i8.npy', np.array([-2**50, 3], dtype=np.int64))\n"
      "print('OK')\n";
  testing::write_file(tmp.file("check.py"), check);
  r = testing::run_command("/usr/bin/python3 " + tmp.file("check.py") + " " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "OK\n");
}

}  // namespace
}  // namespace tinyopt
