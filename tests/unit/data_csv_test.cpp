// CSV reader: header auto-detection, label column by position or name, unlabeled data, CRLF and blank
// lines, gzip; and errors that name file, line and column.
#include <gtest/gtest.h>

#include "tinyopt/data/csv.h"
#include "unit/data_test_files.h"

namespace tinyopt {
namespace {

using testing::expect_bad_input;
using testing::TempDir;

TEST(DataCsv, AutoDetectsHeaderAndUsesLastColumnAsLabel) {
  TempDir tmp;
  testing::write_file(tmp.file("h.csv"), "x1, \"x2\" ,y\r\n1.5,-2,3\r\n\r\n0,1e-3,0\r\n");
  CsvData d = read_csv(tmp.file("h.csv"));
  ASSERT_EQ(d.x.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.x.data<float>()[0], 1.5f);
  EXPECT_EQ(d.x.data<float>()[1], -2.0f);
  EXPECT_EQ(d.x.data<float>()[3], 1e-3f);
  EXPECT_EQ(d.y, (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x1", "x2"}));

  testing::write_file(tmp.file("n.csv"), "1,2,3\n4,5,6\n");
  CsvData n = read_csv(tmp.file("n.csv"));
  EXPECT_EQ(n.x.shape(), (Shape{2, 2}));
  EXPECT_EQ(n.y, (std::vector<int32_t>{3, 6}));
  EXPECT_TRUE(n.feature_names.empty());
}

TEST(DataCsv, LabelByIndexNameOrNone) {
  TempDir tmp;
  testing::write_file(tmp.file("l.csv"), "cls,a,b\n1,0.5,0.25\n0,2,4\n");
  CsvOptions by_index;
  by_index.label_column = 0;
  CsvData a = read_csv(tmp.file("l.csv"), by_index);
  EXPECT_EQ(a.y, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(a.x.data<float>()[1], 0.25f);
  EXPECT_EQ(a.feature_names, (std::vector<std::string>{"a", "b"}));

  CsvOptions by_name;
  by_name.label_name = "cls";
  EXPECT_EQ(read_csv(tmp.file("l.csv"), by_name).y, a.y);

  CsvOptions none;
  none.labeled = false;
  CsvData u = read_csv(tmp.file("l.csv"), none);
  EXPECT_EQ(u.x.shape(), (Shape{2, 3}));
  EXPECT_TRUE(u.y.empty());

  testing::write_file(tmp.file("s.csv"), "1;2\n3;4\n");
  CsvOptions semi;
  semi.delimiter = ';';
  semi.header = CsvOptions::Header::kAbsent;
  EXPECT_EQ(read_csv(tmp.file("s.csv"), semi).y, (std::vector<int32_t>{2, 4}));
}

TEST(DataCsv, ReadsGzip) {
  TempDir tmp;
  testing::write_gzip_file(tmp.file("g.csv.gz"), "a,y\n1,1\n2,0\n");
  CsvData d = read_csv(tmp.file("g.csv.gz"));
  EXPECT_EQ(d.y, (std::vector<int32_t>{1, 0}));
}

TEST(DataCsv, ErrorsNameFileLineAndColumn) {
  TempDir tmp;
  struct Case {
    std::string name, text, needle;
    CsvOptions options;
  };
  CsvOptions by_name;
  by_name.label_name = "nope";
  CsvOptions by_index;
  by_index.label_column = 5;
  CsvOptions name_no_header;
  name_no_header.label_name = "y";
  const Case cases[] = {
      {"nan.csv", "a,y\n1,0\nabc,1\n", ":3:1: 'abc' is not a finite number", {}},
      {"inf.csv", "1,0\ninf,1\n", ":2:1: 'inf'", {}},
      {"ragged.csv", "a,b,y\n1,2,0\n1,2\n", ":3: 2 fields, expected 3", {}},
      {"label.csv", "a,y\n1,0\n2,1.5\n", ":3:2: label '1.5'", {}},
      {"neg.csv", "a,y\n1,-1\n", ":2:2: label '-1'", {}},
      {"empty.csv", "\n\n", "empty", {}},
      {"header_only.csv", "a,b\n", "no data rows", {}},
      {"header_width.csv", "a,b\n1,2,3\n", ":2: 3 fields, but the header", {}},
      {"by_name.csv", "a,y\n1,0\n", "no column named 'nope'", by_name},
      {"by_index.csv", "a,y\n1,0\n", "out of range", by_index},
      {"name_no_header.csv", "1,0\n", "no header row", name_no_header},
      {"only_label.csv", "5\n6\n", "no feature columns", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    testing::write_file(tmp.file(c.name), c.text);
    expect_bad_input([&] { read_csv(tmp.file(c.name), c.options); }, {tmp.file(c.name), c.needle});
  }
  expect_bad_input([&] { read_csv(tmp.file("missing.csv")); }, {tmp.file("missing.csv")});
}

}  // namespace
}  // namespace tinyopt
