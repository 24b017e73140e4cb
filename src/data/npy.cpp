// NPY reader and writer (see npy.h). The header is read from a prefix of the file and validated before
// the data is read, so a header declaring an absurd shape is refused without allocating for it.
#include "tinyopt/data/npy.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <string_view>

#include "core/byte_order.h"
#include "data/element_type.h"
#include "core/file_bytes.h"
#include "data/py_literal.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr uint64_t kPrefixBytes = 12;           // magic, version, header length (v2+: 4 bytes)
constexpr uint64_t kMaxHeaderBytes = 1u << 20;  // real headers are < 200 bytes; refuse silly ones
constexpr char kSupportedDtypes[] = "<f4 <f8 |u1 |i1 <i2 <i4 <i8 |b1";

struct NpyDtype {
  DType tensor_dtype;
  int item_bytes;  // bytes per element in the file
  bool float64;    // f8 in the file, narrowed to f32
  std::endian order;
};

struct NpyHeader {
  NpyDtype dtype;
  Shape shape;
  uint64_t data_offset;
};

// The dtypes we read: NumPy type code (after the byte-order character), tensor dtype, bytes per item.
struct NpyCode {
  std::string_view code;
  DType dtype;
  int bytes;
  bool f64;
};
constexpr NpyCode kNpyCodes[] = {{"f4", DType::kF32, 4, false}, {"f8", DType::kF32, 8, true},
                                 {"u1", DType::kU8, 1, false},  {"i1", DType::kI8, 1, false},
                                 {"i2", DType::kI16, 2, false}, {"i4", DType::kI32, 4, false},
                                 {"i8", DType::kI64, 8, false}, {"b1", DType::kBool, 1, false}};

NpyDtype parse_descr(const std::string& descr) {
  char order_char = descr.empty() ? '?' : descr[0];
  std::string_view code = std::string_view(descr).substr(descr.empty() ? 0 : 1);
  std::endian order = order_char == '>' ? std::endian::big : std::endian::little;
  if (order_char == '=') order = std::endian::native;
  bool order_ok = order_char == '<' || order_char == '>' || order_char == '=' || order_char == '|';
  for (const NpyCode& e : kNpyCodes) {
    // '|' (byte order not applicable) is only meaningful for one-byte types.
    if (order_ok && code == e.code && (order_char != '|' || e.bytes == 1)) return {e.dtype, e.bytes, e.f64, order};
  }
  throw_bad_input(fmt::format("unsupported dtype '{}' (supported: {})", descr, kSupportedDtypes));
}

// The descr we write for a tensor dtype ("<f4", "|u1", ...); empty when NPY cannot hold it.
std::string descr_for(DType dtype) {
  for (const NpyCode& e : kNpyCodes) {
    if (e.dtype == dtype && !e.f64) return std::string(e.bytes == 1 ? "|" : "<") + std::string(e.code);
  }
  return {};
}

// Interprets the header dict; messages here get the file name prepended by the caller.
NpyHeader interpret_header(const detail::PyLiteral& dict) {
  using Kind = detail::PyLiteral::Kind;
  if (dict.kind != Kind::kDict) {
    throw_bad_input(fmt::format("header is a {}, expected a dict", detail::py_kind_name(dict.kind)));
  }
  for (const auto& [key, value] : dict.entries) {
    if (key != "descr" && key != "fortran_order" && key != "shape") {
      throw_bad_input(fmt::format("header has unexpected key '{}'", key));
    }
  }
  const detail::PyLiteral* descr = dict.find("descr");
  const detail::PyLiteral* fortran = dict.find("fortran_order");
  const detail::PyLiteral* shape = dict.find("shape");
  if (!descr || !fortran || !shape) throw_bad_input("header lacks one of 'descr', 'fortran_order', 'shape'");
  if (descr->kind == Kind::kList) {
    throw_bad_input(fmt::format("unsupported structured dtype (supported: {})", kSupportedDtypes));
  }
  if (descr->kind != Kind::kString) throw_bad_input("header 'descr' is not a string");
  if (fortran->kind != Kind::kBool) throw_bad_input("header 'fortran_order' is not True or False");
  if (fortran->boolean) {
    throw_bad_input(
        "fortran_order is True; only C-order arrays are supported "
        "(save with numpy.ascontiguousarray(a) first)");
  }
  if (shape->kind != Kind::kTuple) throw_bad_input("header 'shape' is not a tuple");
  NpyHeader h{parse_descr(descr->string), {}, 0};
  uint64_t numel = 1;
  for (const detail::PyLiteral& d : shape->items) {
    if (d.kind != Kind::kInt || d.integer < 0) throw_bad_input("header 'shape' holds a non-integer or negative dim");
    h.shape.push_back(d.integer);
    if (d.integer > Tensor::kMaxTensorBytes) throw_bad_input("header 'shape' declares an absurd size");
    numel *= static_cast<uint64_t>(d.integer);
    if (numel * static_cast<uint64_t>(h.dtype.item_bytes) > static_cast<uint64_t>(Tensor::kMaxTensorBytes)) {
      throw_bad_input(fmt::format("header 'shape' declares an absurd size (dims {}...), above the {} byte limit",
                                  shape_str(h.shape), Tensor::kMaxTensorBytes));
    }
  }
  return h;
}

NpyHeader read_header(const std::string& path) {
  detail::FileBytes prefix = detail::read_file_bytes(path, kPrefixBytes);
  const auto& p = prefix.bytes;
  if (p.size() < 10 || std::memcmp(p.data(), kMagic.data(), kMagic.size()) != 0) {
    throw_bad_input(path + ": not an NPY file (the magic \\x93NUMPY is missing)");
  }
  int major = p[6];
  if (major < 1 || major > 3) {
    throw_bad_input(fmt::format("{}: unsupported NPY version {}.{} (supported: 1.0, 2.0, 3.0)", path, major, p[7]));
  }
  uint64_t header_len = 0, text_start = 0;
  if (major == 1) {
    header_len = detail::load_le<uint16_t>(p.data() + 8);
    text_start = 10;
  } else {
    if (p.size() < 12) throw_bad_input(path + ": truncated: the NPY header length is cut off");
    header_len = detail::load_le<uint32_t>(p.data() + 8);
    text_start = 12;
  }
  if (header_len > kMaxHeaderBytes) {
    throw_bad_input(fmt::format("{}: NPY header length {} is absurd (limit {})", path, header_len, kMaxHeaderBytes));
  }
  detail::FileBytes head = detail::read_file_bytes(path, text_start + header_len);
  if (head.bytes.size() < text_start + header_len) {
    throw_bad_input(fmt::format("{}: truncated: the NPY header needs {} bytes, the file has {}", path,
                                text_start + header_len, head.bytes.size()));
  }
  std::string_view text(reinterpret_cast<const char*>(head.bytes.data() + text_start), header_len);
  NpyHeader h = with_error_context(path, [&] { return interpret_header(detail::parse_py_literal(text)); });
  h.data_offset = text_start + header_len;
  return h;
}

template <typename T>
void store_all(const Tensor& t, std::vector<uint8_t>& out) {
  const T* src = t.data<T>();
  size_t base = out.size();
  const int64_t n = t.numel();
  out.resize(base + sizeof(T) * static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) detail::store_le<T>(src[i], out.data() + base + sizeof(T) * i);
}

std::string shape_tuple(const Shape& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace

Tensor read_npy(const std::string& path) {
  NpyHeader h = read_header(path);
  uint64_t numel = static_cast<uint64_t>(shape_numel(h.shape));
  uint64_t expected = h.data_offset + numel * static_cast<uint64_t>(h.dtype.item_bytes);
  detail::FileBytes file = detail::read_file_bytes(path, expected);
  detail::require_exact_size(file, path, expected, fmt::format("NPY data of shape {}", shape_str(h.shape)));

  Tensor t(h.dtype.tensor_dtype, h.shape);
  const uint8_t* src = file.bytes.data() + h.data_offset;
  std::endian order = h.dtype.order;
  if (h.dtype.float64) {
    float* dst = t.data<float>();
    for (uint64_t i = 0; i < numel; ++i)
      dst[i] = static_cast<float>(detail::load_with_order<double>(src + 8 * i, order));
  } else if (h.dtype.tensor_dtype == DType::kBool) {
    bool* dst = t.data<bool>();
    for (uint64_t i = 0; i < numel; ++i) dst[i] = src[i] != 0;  // any other byte pattern would be UB as bool
  } else {
    detail::visit_element_type(t.dtype(),
                               [&]<typename T>(T) { detail::copy_with_order(src, t.data<T>(), numel, order); });
  }
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  std::string descr = descr_for(tensor.dtype());
  if (descr.empty()) {
    throw_bad_input(fmt::format("{}: cannot write a {} tensor as NPY (supported: f32, i8, u8, i16, i32, i64, bool)",
                                path, dtype_name(tensor.dtype())));
  }
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape_tuple(tensor.shape()));
  // Pad with spaces and end in '\n' so the data starts 64-byte aligned, as numpy does.
  bool v2 = (10 + dict.size() + 1 + 63) / 64 * 64 - 10 > 65535;  // the padded v1 length must fit 16 bits
  size_t prefix = v2 ? 12 : 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::vector<uint8_t> out(kMagic.begin(), kMagic.end());
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  out.resize(prefix);
  if (v2) {
    detail::store_le<uint32_t>(static_cast<uint32_t>(dict.size()), out.data() + 8);
  } else {
    detail::store_le<uint16_t>(static_cast<uint16_t>(dict.size()), out.data() + 8);
  }
  out.insert(out.end(), dict.begin(), dict.end());
  out.reserve(out.size() + tensor.nbytes());
  detail::visit_element_type(tensor.dtype(), [&]<typename T>(T) { store_all<T>(tensor, out); });
  detail::write_file_atomic(path, out);
}

}  // namespace tinyopt
