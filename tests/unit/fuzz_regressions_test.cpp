// Replays every input the fuzzers found a problem with (tests/unit/fuzz_regressions/<target>/<name>)
// through the same code the fuzz target runs (fuzz/fuzz_targets.h), in the normal build, so the fix
// stays fixed — under `make check`'s sanitized pass too. A file's name says what it found; each was a
// crash, leak or sanitizer report before its fix (docs/fuzzing.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>

#include "../../fuzz/fuzz_targets.h"
#include "support/test_support.h"

namespace tinyopt {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::function<void(std::string_view)>>& replayers() {
  static const std::map<std::string, std::function<void(std::string_view)>> kTargets = {
      {"onnx_import", fuzz::fuzz_onnx_import}, {"qdq_import", fuzz::fuzz_qdq_import}, {"idx", fuzz::fuzz_idx},
      {"npy", fuzz::fuzz_npy},                 {"csv", fuzz::fuzz_csv},
  };
  return kTargets;
}

TEST(FuzzRegressions, EverySavedFindingReplaysCleanly) {
  const fs::path root = fs::path(testing::source_dir()) / "tests/unit/fuzz_regressions";
  int replayed = 0;
  for (const auto& [target, replay] : replayers()) {
    if (!fs::is_directory(root / target)) continue;
    for (const auto& entry : fs::directory_iterator(root / target)) {
      SCOPED_TRACE(entry.path().string());
      replay(testing::read_file(entry.path().string()));
      ++replayed;
    }
  }
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory()) continue;  // README
    EXPECT_TRUE(replayers().count(entry.path().filename().string()) != 0)
        << entry.path() << " is not a fuzz target's folder";
  }
  RecordProperty("replayed", replayed);
}

}  // namespace
}  // namespace tinyopt
