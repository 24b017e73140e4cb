// Conversion between onnx::TensorProto and tinyopt::Tensor, shared by import, export and the test-data
// reader. Internal to src/onnx/. It checks everything a hostile file could get wrong (negative or huge
// dims, data size not matching dims, unsupported element types, external data outside the model's
// folder) and names the tensor in each error; it knows nothing about graphs or nodes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "onnx/onnx.pb.h"
#include "tinyopt/core/tensor.h"

namespace tinyopt::detail {

// ONNX TensorProto.DataType number of INT4 (onnx >= 1.16; absent from the 1.12 .proto we compile).
inline constexpr int32_t kOnnxInt4 = 22;

// ONNX element type number of `t`, and back (nullopt when tinyopt has no such dtype).
int32_t onnx_elem_type(DType t);
std::optional<DType> dtype_from_onnx(int32_t elem_type);
// "FLOAT", "DOUBLE", ... for messages; "type 42" for numbers ONNX does not define.
std::string onnx_elem_type_name(int32_t elem_type);

// Where external data may be read from: the folder of the model file ("" = external data refused).
struct TensorSource {
  std::string model_dir;
};

// Decodes `proto`. Throws kBadInput "tensor 'w': ..." on any inconsistency.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const TensorSource& source);

// Encodes `t` as raw_data (little-endian). kI4 is written packed, as ONNX INT4.
onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name);

// kI4 <-> one int8 per element (sign-extended nibbles), for files whose opset has no INT4.
Tensor unpack_int4_to_int8(const Tensor& t);
Tensor pack_int8_to_int4(const Tensor& t, const std::string& name);  // throws when a value is not in [-8,7]

}  // namespace tinyopt::detail
