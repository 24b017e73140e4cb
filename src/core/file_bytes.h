// Whole-file byte I/O shared by the data loaders, ONNX I/O and training checkpoints: read a file into
// memory, inflating it on the fly when it is gzip-compressed (detected by the magic bytes 1f 8b, not by
// the name), and write a file atomically (temporary file in the same folder, then rename). It is not a
// general stream layer (no seeking, no partial writes) and it never interprets the bytes it moves.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tinyopt::detail {

struct FileBytes {
  std::vector<uint8_t> bytes;  // at most max_bytes, decompressed
  bool has_more = false;       // the (decompressed) file holds more than max_bytes bytes
  bool gzip = false;           // the file was gzip-compressed
  bool gzip_cut_off = false;   // the gzip stream ended early: `bytes` is all that could be inflated
  uint64_t file_bytes = 0;     // size of the file on disk (compressed size for gzip)
};

// Reads up to max_bytes (decompressed) bytes of `path`. Throws kBadInput naming the file when it is
// missing, unreadable or holds corrupt gzip data. A gzip stream that is cut off is not an error here
// (gzip_cut_off is set) so the caller can say how many bytes it expected.
FileBytes read_file_bytes(const std::string& path, uint64_t max_bytes);

// Throws kBadInput unless `data` holds exactly `expected` bytes (and no more were left in the file):
// "<path>: truncated: <what> needs E bytes, the file has A" or "... has trailing data ...".
void require_exact_size(const FileBytes& data, const std::string& path, uint64_t expected, std::string_view what);

// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so readers never
// see a partial file and a failed write leaves no file behind. Throws kBadInput naming the path.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace tinyopt::detail
