// IDX reader (see idx.h). The header is parsed from a short prefix first so that the declared size is
// checked, and absurd sizes refused, before the data is read.
#include "tinyopt/data/idx.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "core/byte_order.h"
#include "core/file_bytes.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

constexpr int kMaxIdxDims = 8;

struct IdxHeader {
  IdxType type;
  Shape shape;
  uint64_t header_bytes;
};

int idx_element_bytes(IdxType t) {
  switch (t) {
    case IdxType::kU8:
    case IdxType::kI8:
      return 1;
    case IdxType::kI16:
      return 2;
    case IdxType::kI32:
    case IdxType::kF32:
      return 4;
    case IdxType::kF64:
      return 8;
  }
  return 0;
}

DType idx_tensor_dtype(IdxType t) {
  switch (t) {
    case IdxType::kU8:
      return DType::kU8;
    case IdxType::kI8:
      return DType::kI8;
    case IdxType::kI16:
      return DType::kI16;
    case IdxType::kI32:
      return DType::kI32;
    case IdxType::kF32:
    case IdxType::kF64:
      return DType::kF32;
  }
  return DType::kU8;
}

IdxHeader read_idx_header(const std::string& path) {
  detail::FileBytes magic = detail::read_file_bytes(path, 4);
  const auto& m = magic.bytes;
  if (m.size() < 4) {
    throw_bad_input(fmt::format("{}: not an IDX file: {} bytes, shorter than the 4-byte magic", path, m.size()));
  }
  if (m[0] != 0 || m[1] != 0) {
    throw_bad_input(
        fmt::format("{}: not an IDX file: bad magic {:02x} {:02x} {:02x} {:02x} (expected 00 00 <type> <dims>)", path,
                    m[0], m[1], m[2], m[3]));
  }
  uint8_t type = m[2];
  if (type != 0x08 && type != 0x09 && type != 0x0B && type != 0x0C && type != 0x0D && type != 0x0E) {
    throw_bad_input(fmt::format(
        "{}: unsupported IDX element type 0x{:02x} (expected 08 u8, 09 i8, 0B i16, 0C i32, 0D f32 or 0E f64)", path,
        type));
  }
  int ndims = m[3];
  if (ndims < 1 || ndims > kMaxIdxDims) {
    throw_bad_input(fmt::format("{}: IDX header declares {} dims, expected 1 to {}", path, ndims, kMaxIdxDims));
  }
  IdxHeader h{static_cast<IdxType>(type), {}, 4 + 4 * static_cast<uint64_t>(ndims)};
  detail::FileBytes head = detail::read_file_bytes(path, h.header_bytes);
  if (head.bytes.size() < h.header_bytes) {
    throw_bad_input(fmt::format("{}: truncated: the IDX header of {} dims needs {} bytes, the file has {}", path, ndims,
                                h.header_bytes, head.bytes.size()));
  }
  uint64_t numel = 1;
  for (int i = 0; i < ndims; ++i) {
    uint32_t d = detail::load_be<uint32_t>(head.bytes.data() + 4 + 4 * i);
    h.shape.push_back(d);
    numel *= d;  // each dim < 2^32 and the running product is checked below, so no overflow
    if (numel * static_cast<uint64_t>(idx_element_bytes(h.type)) > static_cast<uint64_t>(Tensor::kMaxTensorBytes)) {
      throw_bad_input(fmt::format("{}: IDX header declares an absurd size (dims {}...), above the {} byte limit", path,
                                  shape_str(h.shape), Tensor::kMaxTensorBytes));
    }
  }
  return h;
}

}  // namespace

Tensor read_idx(const std::string& path) {
  IdxHeader h = read_idx_header(path);
  int elem = idx_element_bytes(h.type);
  uint64_t numel = static_cast<uint64_t>(shape_numel(h.shape));
  uint64_t expected = h.header_bytes + numel * static_cast<uint64_t>(elem);
  detail::FileBytes file = detail::read_file_bytes(path, expected);
  detail::require_exact_size(file, path, expected, fmt::format("IDX data of shape {}", shape_str(h.shape)));

  Tensor t(idx_tensor_dtype(h.type), h.shape);
  const uint8_t* src = file.bytes.data() + h.header_bytes;
  switch (h.type) {
    case IdxType::kU8:
    case IdxType::kI8:
      if (numel) std::memcpy(t.bytes(), src, numel);
      break;
    case IdxType::kI16:
      detail::copy_from_be<int16_t>(src, t.data<int16_t>(), numel);
      break;
    case IdxType::kI32:
      detail::copy_from_be<int32_t>(src, t.data<int32_t>(), numel);
      break;
    case IdxType::kF32:
      detail::copy_from_be<float>(src, t.data<float>(), numel);
      break;
    case IdxType::kF64: {
      float* dst = t.data<float>();
      for (uint64_t i = 0; i < numel; ++i) dst[i] = static_cast<float>(detail::load_be<double>(src + 8 * i));
      break;
    }
  }
  return t;
}

}  // namespace tinyopt
