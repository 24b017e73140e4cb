// TensorProto <-> Tensor (see onnx_tensor.h). Every size is checked before anything is allocated or
// copied, so a corrupt or hostile file yields an error naming the tensor, never a crash or a huge
// allocation.
#include "onnx/onnx_tensor.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "tinyopt/core/error.h"

namespace tinyopt::detail {

static_assert(std::endian::native == std::endian::little,
              "ONNX raw_data is little-endian; tinyopt copies it without byte swapping");

namespace {

namespace fs = std::filesystem;
using onnx::TensorProto;

[[noreturn]] void fail(const std::string& tensor, const std::string& what) {
  throw_bad_input(fmt::format("tensor '{}': {}", tensor, what));
}

// Element count of `dims`, refusing negative dims and sizes beyond Tensor::kMaxTensorBytes.
int64_t checked_numel(const TensorProto& proto, DType dtype) {
  int64_t numel = 1;
  for (int i = 0; i < proto.dims_size(); ++i) {
    const int64_t d = proto.dims(i);
    if (d < 0) fail(proto.name(), fmt::format("dimension {} is {}, dims must be >= 0", i, d));
    if (d != 0 && numel > Tensor::kMaxTensorBytes / d) {
      fail(proto.name(), "declared dims are absurdly large (more than 4 GiB of data)");
    }
    numel *= d;
  }
  if (static_cast<int64_t>(dtype_storage_bytes(dtype, numel)) > Tensor::kMaxTensorBytes) {
    fail(proto.name(), "declared dims are absurdly large (more than 4 GiB of data)");
  }
  return numel;
}

std::string external_entry(const TensorProto& proto, const std::string& key) {
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == key) return kv.value();
  }
  return "";
}

uint64_t parse_u64(const TensorProto& proto, const std::string& key) {
  const std::string text = external_entry(proto, key);
  if (text.empty()) return 0;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > (std::numeric_limits<uint64_t>::max() - 9) / 10) {
      fail(proto.name(), fmt::format("external data {} '{}' is not a number", key, text));
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// Reads the bytes of an external-data tensor from a file inside source.model_dir.
std::string read_external(const TensorProto& proto, const TensorSource& source, size_t expected) {
  const std::string location = external_entry(proto, "location");
  if (location.empty()) fail(proto.name(), "external data without a 'location'");
  const fs::path rel(location);
  bool escapes = rel.is_absolute() || rel.has_root_name();
  for (const auto& part : rel) escapes = escapes || part == "..";
  if (escapes) {
    fail(proto.name(), fmt::format("external data location '{}' is outside the model's folder; "
                                   "tinyopt reads external data only from the model's folder",
                                   location));
  }
  const fs::path dir = source.model_dir.empty() ? fs::path(".") : fs::path(source.model_dir);
  std::error_code ec;
  const fs::path file = fs::weakly_canonical(dir / rel, ec);
  const fs::path root = fs::weakly_canonical(dir, ec);
  const auto [root_end, file_it] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (ec || root_end != root.end()) {
    fail(proto.name(),
         fmt::format("external data location '{}' resolves outside the model's folder", location));
  }
  const uint64_t offset = parse_u64(proto, "offset");
  const uint64_t length = parse_u64(proto, "length");
  if (!external_entry(proto, "length").empty() && length != expected) {
    fail(proto.name(), fmt::format("external data length is {} bytes, the dims need {}", length, expected));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(proto.name(), fmt::format("cannot open external data file '{}'", file.string()));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (offset > size || size - offset < expected) {
    fail(proto.name(), fmt::format("external data file '{}' has {} bytes, the tensor needs {} at "
                                   "offset {}",
                                   file.string(), size, expected, offset));
  }
  std::string bytes(expected, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(expected));
  if (!in) fail(proto.name(), fmt::format("cannot read external data file '{}'", file.string()));
  return bytes;
}

template <typename T>
void copy_int32_field(const TensorProto& proto, Tensor& t) {
  T* out = t.data<T>();
  for (int i = 0; i < proto.int32_data_size(); ++i) {
    const int32_t v = proto.int32_data(i);
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
      fail(proto.name(), fmt::format("value {} at index {} does not fit {}", v, i, dtype_name(t.dtype())));
    }
    out[i] = static_cast<T>(v);
  }
}

void fill_from_typed_fields(const TensorProto& proto, Tensor& t) {
  const int64_t numel = t.numel();
  auto check_count = [&](int have, int64_t want, const char* field) {
    if (have != want) {
      fail(proto.name(),
           fmt::format("{} has {} values, dims {} need {}", field, have, shape_str(t.shape()), want));
    }
  };
  switch (t.dtype()) {
    case DType::kF32:
      check_count(proto.float_data_size(), numel, "float_data");
      if (numel != 0) std::memcpy(t.bytes(), proto.float_data().data(), t.nbytes());  // empty: both null
      return;
    case DType::kI64:
      check_count(proto.int64_data_size(), numel, "int64_data");
      if (numel != 0) std::memcpy(t.bytes(), proto.int64_data().data(), t.nbytes());
      return;
    case DType::kI4:  // two nibbles per int32 entry, low nibble first
      check_count(proto.int32_data_size(), (numel + 1) / 2, "int32_data");
      for (int i = 0; i < proto.int32_data_size(); ++i) {
        t.bytes()[i] = static_cast<uint8_t>(proto.int32_data(i));
      }
      return;
    default:
      break;
  }
  check_count(proto.int32_data_size(), numel, "int32_data");
  switch (t.dtype()) {
    case DType::kI8:
      return copy_int32_field<int8_t>(proto, t);
    case DType::kU8:
      return copy_int32_field<uint8_t>(proto, t);
    case DType::kI16:
      return copy_int32_field<int16_t>(proto, t);
    case DType::kI32:
      return copy_int32_field<int32_t>(proto, t);
    case DType::kBool:
      for (int i = 0; i < proto.int32_data_size(); ++i) t.bytes()[i] = proto.int32_data(i) != 0;
      return;
    default:
      throw_internal("unhandled dtype in fill_from_typed_fields");
  }
}

}  // namespace

int32_t onnx_elem_type(DType t) {
  switch (t) {
    case DType::kF32:
      return TensorProto::FLOAT;
    case DType::kI8:
      return TensorProto::INT8;
    case DType::kU8:
      return TensorProto::UINT8;
    case DType::kI16:
      return TensorProto::INT16;
    case DType::kI32:
      return TensorProto::INT32;
    case DType::kI64:
      return TensorProto::INT64;
    case DType::kI4:
      return kOnnxInt4;
    case DType::kBool:
      return TensorProto::BOOL;
  }
  throw_internal("unknown DType");
}

std::optional<DType> dtype_from_onnx(int32_t elem_type) {
  for (int i = 0; i < kDTypeCount; ++i) {
    const auto t = static_cast<DType>(i);
    if (onnx_elem_type(t) == elem_type) return t;
  }
  return std::nullopt;
}

std::string onnx_elem_type_name(int32_t elem_type) {
  if (elem_type == kOnnxInt4) return "INT4";
  if (TensorProto::DataType_IsValid(elem_type)) {
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(elem_type));
  }
  return fmt::format("type {}", elem_type);
}

Tensor tensor_from_proto(const TensorProto& proto, const TensorSource& source) {
  const auto dtype = dtype_from_onnx(proto.data_type());
  if (!dtype) {
    fail(proto.name(), fmt::format("element type {} is not supported by tinyopt (supported: FLOAT, "
                                   "UINT8, INT8, INT16, INT32, INT64, BOOL, INT4)",
                                   onnx_elem_type_name(proto.data_type())));
  }
  if (proto.has_segment()) fail(proto.name(), "segmented tensors are not supported");
  const int64_t numel = checked_numel(proto, *dtype);
  Tensor t(*dtype, Shape(proto.dims().begin(), proto.dims().end()));
  const size_t nbytes = dtype_storage_bytes(*dtype, numel);
  if (proto.data_location() == TensorProto::EXTERNAL) {
    if (source.model_dir.empty()) fail(proto.name(), "external data is not supported here");
    const std::string bytes = read_external(proto, source, nbytes);
    if (nbytes != 0) std::memcpy(t.bytes(), bytes.data(), nbytes);
  } else if (proto.has_raw_data()) {
    if (proto.raw_data().size() != nbytes) {
      fail(proto.name(), fmt::format("raw_data has {} bytes, dims {} of {} need {}", proto.raw_data().size(),
                                     shape_str(t.shape()), dtype_name(*dtype), nbytes));
    }
    if (nbytes != 0) std::memcpy(t.bytes(), proto.raw_data().data(), nbytes);
  } else {
    fill_from_typed_fields(proto, t);
  }
  if (*dtype == DType::kBool) {  // any nonzero byte means true; keep storage a valid bool
    for (size_t i = 0; i < nbytes; ++i) t.bytes()[i] = t.bytes()[i] != 0;
  }
  return t;
}

TensorProto tensor_to_proto(const Tensor& t, const std::string& name) {
  TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(onnx_elem_type(t.dtype()));
  for (int64_t d : t.shape()) proto.add_dims(d);
  proto.set_raw_data(t.bytes(), t.nbytes());
  return proto;
}

Tensor unpack_int4_to_int8(const Tensor& t) {
  Tensor out(DType::kI8, t.shape());
  int8_t* dst = out.data<int8_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    const uint8_t byte = t.bytes()[i / 2];
    const int nibble = (i % 2 == 0) ? (byte & 0x0F) : (byte >> 4);
    dst[i] = static_cast<int8_t>(nibble >= 8 ? nibble - 16 : nibble);
  }
  return out;
}

Tensor pack_int8_to_int4(const Tensor& t, const std::string& name) {
  if (t.dtype() != DType::kI8) {
    fail(name,
         fmt::format("listed as an int4 tensor but stored as {}, expected INT8", dtype_name(t.dtype())));
  }
  Tensor out(DType::kI4, t.shape());
  const int8_t* src = t.data<int8_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (src[i] < -8 || src[i] > 7) {
      fail(name,
           fmt::format("listed as an int4 tensor but value {} at index {} is outside [-8, 7]", src[i], i));
    }
    const auto nibble = static_cast<uint8_t>(src[i] & 0x0F);
    out.bytes()[i / 2] |= static_cast<uint8_t>(i % 2 == 0 ? nibble : nibble << 4);
  }
  return out;
}

}  // namespace tinyopt::detail
