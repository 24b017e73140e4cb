// File output for the benchmarks: JSON, and raw little-endian float32 arrays that the Python and
// JavaScript peers read with numpy.fromfile / Buffer.readFloatLE, written atomically through core's
// write_file_atomic (HELPERS.md: every output file). Not a general I/O layer.
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/file_bytes.h"

namespace tinyopt::bench {

inline void write_json(const std::string& path, const nlohmann::json& j) {
  const std::string text = j.dump(2) + "\n";
  detail::write_file_atomic(path, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

inline nlohmann::json read_json(const std::string& path) {
  const detail::FileBytes f = detail::read_file_bytes(path, uint64_t{1} << 30);
  return nlohmann::json::parse(f.bytes.begin(), f.bytes.end());
}

// Host floats are IEEE little-endian on every platform the benchmarks run on (x86-64, AArch64).
inline void write_f32(const std::string& path, std::span<const float> values) {
  detail::write_file_atomic(path, {reinterpret_cast<const uint8_t*>(values.data()), values.size_bytes()});
}

// Exactly `count` floats from `path` (throws kBadInput naming the file otherwise).
inline std::vector<float> read_f32(const std::string& path, int64_t count) {
  const uint64_t bytes = static_cast<uint64_t>(count) * sizeof(float);
  const detail::FileBytes f = detail::read_file_bytes(path, bytes);
  detail::require_exact_size(f, path, bytes, "the float32 array");
  std::vector<float> v(static_cast<size_t>(count));
  std::memcpy(v.data(), f.bytes.data(), bytes);
  return v;
}

}  // namespace tinyopt::bench
