// Implementation of file_bytes.h: raw reads with stdio, gzip through zlib's inflate (gzip header
// auto-detected, concatenated members accepted), atomic writes through a uniquely named temp file.
#include "core/file_bytes.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/byte_order.h"
#include "tinyopt/core/error.h"

namespace tinyopt::detail {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

constexpr size_t kChunk = size_t{1} << 18;

FilePtr open_for_reading(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw_bad_input(path + ": is a folder, expected a file");
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) throw_bad_input(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  return f;
}

void read_raw(std::FILE* f, const std::string& path, uint64_t max_bytes, FileBytes& out) {
  out.bytes.reserve(static_cast<size_t>(std::min<uint64_t>(max_bytes, out.file_bytes)));
  std::vector<uint8_t> chunk(kChunk);
  while (out.bytes.size() < max_bytes) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, max_bytes - out.bytes.size()));
    size_t got = std::fread(chunk.data(), 1, want, f);
    out.bytes.insert(out.bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got));
    if (got < want) {
      if (std::ferror(f)) throw_bad_input(fmt::format("{}: read error: {}", path, std::strerror(errno)));
      return;
    }
  }
  out.has_more = std::fgetc(f) != EOF;
}

// The uncompressed size from the gzip trailer (ISIZE, mod 2^32, last member only), capped by deflate's
// best ratio (~1032:1) so a forged trailer cannot make us reserve much; only used to avoid regrowth.
uint64_t gzip_size_hint(std::FILE* f, uint64_t file_bytes) {
  uint8_t isize[4];
  if (file_bytes < 18 || std::fseek(f, -4, SEEK_END) != 0 || std::fread(isize, 1, 4, f) != 4) {
    std::rewind(f);
    return 0;
  }
  std::rewind(f);
  return std::min<uint64_t>(load_le<uint32_t>(isize), file_bytes * 1032);
}

// Inflates gzip members from `f` until the input ends or max_bytes output bytes are kept.
void read_gzip(std::FILE* f, const std::string& path, uint64_t max_bytes, FileBytes& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw_internal("inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  out.bytes.reserve(static_cast<size_t>(std::min(max_bytes, gzip_size_hint(f, out.file_bytes))));
  std::vector<uint8_t> in(kChunk), chunk(kChunk);
  bool input_done = false, stream_done = false;
  while (true) {
    if (zs.avail_in == 0 && !input_done) {
      size_t got = std::fread(in.data(), 1, in.size(), f);
      if (std::ferror(f)) throw_bad_input(fmt::format("{}: read error: {}", path, std::strerror(errno)));
      input_done = got < in.size();
      zs.next_in = in.data();
      zs.avail_in = static_cast<uInt>(got);
    }
    if (stream_done) {  // between members: another member, or the end of the file
      if (zs.avail_in == 0 && input_done) return;
      if (zs.avail_in == 0) continue;
      if (zs.next_in[0] != 0x1f) throw_bad_input(path + ": corrupt gzip data: trailing garbage after the stream");
      inflateReset(&zs);
      stream_done = false;
    }
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = chunk.size() - zs.avail_out;
    uint64_t room = max_bytes - out.bytes.size();
    out.bytes.insert(out.bytes.end(), chunk.begin(),
                     chunk.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(produced, room)));
    if (produced > room) {
      out.has_more = true;
      return;
    }
    if (rc == Z_STREAM_END) {
      stream_done = true;
    } else if (rc == Z_BUF_ERROR || (rc == Z_OK && produced == 0 && zs.avail_in == 0 && input_done)) {
      out.gzip_cut_off = true;  // input exhausted in the middle of a member
      return;
    } else if (rc != Z_OK) {
      throw_bad_input(fmt::format("{}: corrupt gzip data ({})", path, zs.msg ? zs.msg : zError(rc)));
    }
  }
}

}  // namespace

FileBytes read_file_bytes(const std::string& path, uint64_t max_bytes) {
  FilePtr f = open_for_reading(path);
  FileBytes out;
  std::error_code ec;
  out.file_bytes = std::filesystem::file_size(path, ec);
  unsigned char magic[2] = {0, 0};
  size_t n = std::fread(magic, 1, 2, f.get());
  std::rewind(f.get());
  out.gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (out.gzip) {
    read_gzip(f.get(), path, max_bytes, out);
  } else {
    read_raw(f.get(), path, max_bytes, out);
  }
  return out;
}

void require_exact_size(const FileBytes& data, const std::string& path, uint64_t expected, std::string_view what) {
  uint64_t have = data.bytes.size();
  if (have < expected) {
    throw_bad_input(fmt::format("{}: truncated: {} needs {} bytes, the file has {}{}", path, what, expected, have,
                                data.gzip ? " after decompression" : ""));
  }
  if (have > expected || data.has_more) {
    std::string actual =
        data.gzip ? fmt::format("more than {} after decompression", have) : fmt::format("{}", data.file_bytes);
    throw_bad_input(fmt::format("{}: trailing data: {} needs {} bytes, the file has {}", path, what, expected, actual));
  }
  if (data.gzip_cut_off) throw_bad_input(path + ": truncated: the gzip stream is cut off");
}

namespace {

// A writer killed between creating its temporary and the rename (SIGKILL, a crash) leaves
// "<name>.tmp<pid>.<n>" next to <name>. The next write of <name> removes those whose process is gone, so a
// run that is interrupted and resumed (optimize --resume, training --resume) ends with a clean folder.
// Temporaries of live processes are left alone: they may be writing right now.
void remove_stale_temporaries(const std::filesystem::path& target) {
  const std::string prefix = target.filename().string() + ".tmp";
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const auto digits = [](const std::string& t) {
    return !t.empty() && t.size() <= 9 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // "<pid>.<n>"
    const size_t dot = rest.find('.');
    if (dot == std::string::npos || !digits(rest.substr(0, dot)) || !digits(rest.substr(dot + 1))) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    if (pid == getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code ignored;
    std::filesystem::remove(it->path(), ignored);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path target(path);
  remove_stale_temporaries(target);
  std::filesystem::path tmp = target;
  tmp += fmt::format(".tmp{}.{}", static_cast<long>(getpid()), counter++);
  auto fail = [&](const std::string& why) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw_bad_input(fmt::format("{}: cannot write: {}", path, why));
  };
  {
    FilePtr f(std::fopen(tmp.c_str(), "wb"));
    if (!f) fail(std::strerror(errno));
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size()) {
      fail(std::strerror(errno));
    }
    if (std::fflush(f.get()) != 0) fail(std::strerror(errno));
    std::FILE* raw = f.release();
    if (std::fclose(raw) != 0) fail(std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec) fail(ec.message());
}

}  // namespace tinyopt::detail
