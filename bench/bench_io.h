// File output for the benchmarks: atomic writes (temp file in the same folder, then rename, as
// HELPERS.md asks of every output) of JSON and of raw little-endian float32 arrays that the Python and
// JavaScript peers read with numpy.fromfile / Buffer.readFloatLE. Not a general I/O layer.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace tinyopt::bench {

inline void write_file_atomic(const std::string& path, const char* data, size_t size) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(data, static_cast<std::streamsize>(size));
    if (!f.good()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

inline void write_json(const std::string& path, const nlohmann::json& j) {
  const std::string text = j.dump(2) + "\n";
  write_file_atomic(path, text.data(), text.size());
}

// Host floats are IEEE little-endian on every platform the benchmarks run on (x86-64, AArch64).
inline void write_f32(const std::string& path, std::span<const float> values) {
  write_file_atomic(path, reinterpret_cast<const char*>(values.data()), values.size_bytes());
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read " + path);
  return nlohmann::json::parse(f);
}

}  // namespace tinyopt::bench
