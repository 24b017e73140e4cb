// The body of every fuzz target, one inline function per target, shared by the libFuzzer entry points
// (fuzz/<target>_fuzz.cpp) and by the regression test that replays saved findings through the normal
// build (tests/unit/fuzz_regressions_test.cpp). Contract of each: feed the bytes to the parser under test
// and the first steps a user's command takes with what it returns; tinyopt::Error is the expected outcome
// of bad input and is swallowed, anything else (another exception, a crash, a sanitizer report) escapes.
// The readers under test take paths, so inputs are written to a per-process scratch file first.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tinyopt/core/error.h"
#include "tinyopt/core/graph.h"
#include "tinyopt/core/model_summary.h"
#include "tinyopt/core/tensor.h"
#include "tinyopt/data/csv.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/data/idx.h"
#include "tinyopt/data/npy.h"
#ifndef TINYOPT_FUZZ_NO_EXECUTORS  // fuzz/CMakeLists.txt FUZZ_EXECUTORS=OFF
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#endif
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/target/target.h"

namespace tinyopt::fuzz {

// A scratch file path with the given suffix, unique to this process (on tmpfs when there is one).
inline std::string scratch_path(const std::string& suffix) {
  std::error_code ec;
  const std::string dir = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
  return dir + "/tinyopt-fuzz-" + std::to_string(getpid()) + suffix;
}

// Writes the input to `path` (replacing it). Aborts when it cannot: that is the harness failing.
inline void write_input(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

// Runs fn(), swallowing tinyopt::Error only.
template <typename Fn>
void expect_only_tinyopt_errors(Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
  }
}

inline constexpr int64_t kMaxFuzzInputElements = int64_t{1} << 16;
inline constexpr int64_t kMaxFuzzMacs = int64_t{1} << 22;

// Zero inputs for `g` in graph-input order (a -1 batch becomes 1), or false when too big or not static.
inline bool small_zero_inputs(const Graph& g, std::vector<Tensor>& inputs) {
  for (const auto& name : g.inputs) {
    Shape shape = g.value(name).shape;
    int64_t numel = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (i == 0 && shape[i] < 0) shape[i] = 1;
      if (shape[i] < 0 || shape[i] > kMaxFuzzInputElements) return false;
      numel *= shape[i];
      if (numel > kMaxFuzzInputElements) return false;
    }
    inputs.emplace_back(g.value(name).dtype, shape);
  }
  return true;
}

// What `inspect`, export and `run` do with an imported model; `execute` runs it when it is small.
template <typename Execute>
void exercise_model(const Graph& g, Execute&& execute) {
  int64_t macs = -1;
  expect_only_tinyopt_errors([&] { macs = summarize_model(g).macs; });
  expect_only_tinyopt_errors([&] { parse_onnx(serialize_onnx(g), "/nonexistent-tinyopt-fuzz/export.onnx"); });
  std::vector<Tensor> inputs;
  if (macs < 0 || macs > kMaxFuzzMacs || !small_zero_inputs(g, inputs)) return;
#ifndef TINYOPT_FUZZ_NO_EXECUTORS
  expect_only_tinyopt_errors([&] { execute(g, inputs); });
#else
  (void)execute;
#endif
}

// ONNX importer (protobuf -> canonicalization -> shape inference -> verifier), then inspect, export,
// re-import and the float executor. The model's folder does not exist: external data never reads a file.
inline void fuzz_onnx_import(std::string_view bytes) {
  expect_only_tinyopt_errors([&] {
    const Graph g = parse_onnx(bytes, "/nonexistent-tinyopt-fuzz/model.onnx");
    exercise_model(g, [](const Graph& graph, const std::vector<Tensor>& in) {
#ifndef TINYOPT_FUZZ_NO_EXECUTORS
      FloatExecutor(graph, ExecOptions{.threads = 1}).run(in);
#endif
    });
  });
}

// The quantized-model path: import, then lowering to the integer runtime and a run on zeros.
inline void fuzz_qdq_import(std::string_view bytes) {
  expect_only_tinyopt_errors([&] {
    const Graph g = parse_onnx(bytes, "/nonexistent-tinyopt-fuzz/model.onnx");
    exercise_model(g, [](const Graph& graph, const std::vector<Tensor>& in) {
#ifndef TINYOPT_FUZZ_NO_EXECUTORS
      IntegerExecutor(graph, IntegerExecOptions{.threads = 1}).run(in);
#endif
    });
  });
}

inline void fuzz_idx(std::string_view bytes) {
  static const std::string path = scratch_path(".idx");
  write_input(path, bytes);
  expect_only_tinyopt_errors([&] { read_idx(path); });
}

// read_npy, and load_dataset on the file (the conversion to float samples training sees).
inline void fuzz_npy(std::string_view bytes) {
  static const std::string path = scratch_path(".npy");
  write_input(path, bytes);
  expect_only_tinyopt_errors([&] { read_npy(path); });
  expect_only_tinyopt_errors([&] { load_dataset(path, Split::kTrain); });
}

// read_csv and load_dataset; the first byte picks the options (header mode, labelled or not, label
// column, delimiter, label by name), the rest is the file.
inline void fuzz_csv(std::string_view bytes) {
  static const std::string path = scratch_path(".csv");
  const auto selector = static_cast<uint8_t>(bytes.empty() ? 0 : bytes[0]);
  write_input(path, bytes.empty() ? bytes : bytes.substr(1));
  CsvOptions options;
  options.header = static_cast<CsvOptions::Header>(selector % 3);
  options.labeled = (selector & 0x04) == 0;
  options.label_column = static_cast<int>((selector >> 3) & 0x07) - 4;  // -4 .. 3
  options.delimiter = (selector & 0x40) != 0 ? ';' : ',';
  if ((selector & 0x80) != 0) options.label_name = "label";
  expect_only_tinyopt_errors([&] { read_csv(path, options); });
  expect_only_tinyopt_errors([&] { load_dataset(path, Split::kTrain, options); });
}

// load_target on a JSON file (a target given by path, as `--target my-board.json` does).
inline void fuzz_target_json(std::string_view bytes) {
  static const std::string path = scratch_path(".json");
  write_input(path, bytes);
  expect_only_tinyopt_errors([&] { load_target(path); });
}

}  // namespace tinyopt::fuzz
