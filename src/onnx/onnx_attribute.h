// Conversion between onnx::AttributeProto and the IR's typed Attribute, shared by import and export.
// Internal to src/onnx/. Only the attribute kinds the IR can hold are accepted (INT, FLOAT, STRING,
// INTS, FLOATS, TENSOR); graphs, strings lists, sparse tensors and function references are refused
// with an error naming the attribute, since no op tinyopt supports takes them.
#pragma once

#include <string>

#include "onnx/onnx.pb.h"
#include "onnx/onnx_tensor.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::detail {

// Throws kBadInput "attribute 'x': ..." when the kind is not representable.
Attribute attribute_from_proto(const onnx::AttributeProto& proto, const TensorSource& source);

onnx::AttributeProto attribute_to_proto(const std::string& name, const Attribute& value);

// "INT", "FLOATS", ... of an attribute value, for messages.
std::string attribute_kind_name(const Attribute& value);

}  // namespace tinyopt::detail
