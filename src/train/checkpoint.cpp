// Reading and writing training checkpoints (format in checkpoint.h).
#include "tinyopt/train/checkpoint.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/file_bytes.h"
#include "tinyopt/core/error.h"

namespace tinyopt::train {
namespace {

constexpr char kMagic[8] = {'T', 'O', 'P', 'T', 'C', 'K', 'P', 'T'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kMaxCheckpointBytes = uint64_t{4} << 30;

uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void put_bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  void put_string(const std::string& s) {
    put(static_cast<uint32_t>(s.size()));
    put_bytes(s.data(), s.size());
  }
  std::vector<uint8_t> bytes;
};

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, size_t end, const std::string& path) : b_(b), end_(end), path_(path) {}
  template <typename T>
  T get(const char* what) {
    T v;
    get_bytes(&v, sizeof(T), what);
    return v;
  }
  void get_bytes(void* out, size_t n, const char* what) {
    if (n > end_ - pos_) throw_bad_input(path_ + ": truncated checkpoint (reading " + what + ")");
    std::memcpy(out, b_.data() + pos_, n);
    pos_ += n;
  }
  std::string get_string(const char* what) {
    const auto n = get<uint32_t>(what);
    if (n > end_ - pos_) throw_bad_input(path_ + ": truncated checkpoint (reading " + what + ")");
    std::string s(n, '\0');
    get_bytes(s.data(), n, what);
    return s;
  }
  size_t pos() const { return pos_; }

 private:
  const std::vector<uint8_t>& b_;
  size_t end_;
  const std::string& path_;
  size_t pos_ = 0;
};

}  // namespace

void add_tensors(Checkpoint& ckpt, const std::vector<ParamRef>& refs) {
  for (const ParamRef& r : refs) ckpt.tensors.push_back({r.name, r.shape, {r.value.begin(), r.value.end()}});
}

void restore_tensors(const Checkpoint& ckpt, const std::vector<ParamRef>& refs, const std::string& path) {
  for (const ParamRef& r : refs) {
    const CheckpointTensor* found = nullptr;
    for (const CheckpointTensor& t : ckpt.tensors)
      if (t.name == r.name) found = &t;
    if (found == nullptr) throw_bad_input(path + ": checkpoint has no tensor '" + r.name + "'; was it written for another model?");
    if (found->data.size() != r.value.size())
      throw_bad_input(path + ": tensor '" + r.name + "' has shape " + shape_str(found->shape) + " in the checkpoint, the model has " + shape_str(r.shape));
    std::copy(found->data.begin(), found->data.end(), r.value.begin());
  }
}

void save_checkpoint(const Checkpoint& ckpt, const std::string& path) {
  Writer w;
  w.put_bytes(kMagic, sizeof(kMagic));
  w.put(kVersion);
  nlohmann::json meta = {{"epochs_done", ckpt.epochs_done}, {"step", ckpt.step}, {"run", ckpt.run}};
  w.put_string(meta.dump());
  w.put(static_cast<uint32_t>(ckpt.tensors.size()));
  for (const CheckpointTensor& t : ckpt.tensors) {
    w.put_string(t.name);
    w.put(static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) w.put(d);
    if (static_cast<int64_t>(t.data.size()) != shape_numel(t.shape))
      throw_internal("checkpoint tensor '" + t.name + "' size does not match its shape");
    w.put_bytes(t.data.data(), t.data.size() * sizeof(float));
  }
  w.put(fnv1a(w.bytes.data(), w.bytes.size()));
  tinyopt::detail::write_file_atomic(path, w.bytes);
}

Checkpoint load_checkpoint(const std::string& path) {
  const tinyopt::detail::FileBytes file = tinyopt::detail::read_file_bytes(path, kMaxCheckpointBytes);
  const std::vector<uint8_t>& b = file.bytes;
  if (b.size() < sizeof(kMagic) + 4 + 8 || std::memcmp(b.data(), kMagic, sizeof(kMagic)) != 0)
    throw_bad_input(path + ": not a tinyopt training checkpoint");
  const size_t body = b.size() - sizeof(uint64_t);
  uint64_t stored;
  std::memcpy(&stored, b.data() + body, sizeof(stored));
  if (stored != fnv1a(b.data(), body)) throw_bad_input(path + ": checkpoint is corrupt (checksum mismatch)");
  Reader r(b, body, path);
  char magic[8];
  r.get_bytes(magic, sizeof(magic), "magic");
  if (const auto v = r.get<uint32_t>("version"); v != kVersion)
    throw_bad_input(path + ": checkpoint version " + std::to_string(v) + " is not supported (expected 1)");
  Checkpoint ckpt;
  try {
    const nlohmann::json meta = nlohmann::json::parse(r.get_string("metadata"));
    ckpt.epochs_done = meta.at("epochs_done").get<int>();
    ckpt.step = meta.at("step").get<int64_t>();
    ckpt.run = meta.at("run");
  } catch (const nlohmann::json::exception& e) {
    throw_bad_input(path + ": checkpoint metadata is malformed: " + e.what());
  }
  const auto count = r.get<uint32_t>("tensor count");
  for (uint32_t i = 0; i < count; ++i) {
    CheckpointTensor t;
    t.name = r.get_string("tensor name");
    const auto rank = r.get<uint32_t>("tensor rank");
    if (rank > 8) throw_bad_input(path + ": tensor '" + t.name + "' has rank " + std::to_string(rank));
    for (uint32_t d = 0; d < rank; ++d) {
      t.shape.push_back(r.get<int64_t>("tensor dims"));
      if (t.shape.back() < 0 || t.shape.back() > (int64_t{1} << 32))
        throw_bad_input(path + ": tensor '" + t.name + "' has a bad dimension");
    }
    const int64_t numel = shape_numel(t.shape);
    if (static_cast<uint64_t>(numel) * sizeof(float) > body - r.pos())
      throw_bad_input(path + ": truncated checkpoint (tensor '" + t.name + "')");
    t.data.resize(static_cast<size_t>(numel));
    r.get_bytes(t.data.data(), t.data.size() * sizeof(float), "tensor data");
    ckpt.tensors.push_back(std::move(t));
  }
  if (r.pos() != body) throw_bad_input(path + ": checkpoint has trailing data");
  return ckpt;
}

}  // namespace tinyopt::train
