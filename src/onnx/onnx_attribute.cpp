// AttributeProto <-> Attribute (see onnx_attribute.h).
#include "onnx/onnx_attribute.h"

#include <fmt/format.h>

#include <cmath>

#include "tinyopt/core/error.h"

namespace tinyopt::detail {

namespace {

using onnx::AttributeProto;

// Models older than IR version 0.0.2 may leave `type` unset; the filled field then tells the kind.
AttributeProto::AttributeType effective_type(const AttributeProto& proto) {
  if (proto.type() != AttributeProto::UNDEFINED) return proto.type();
  if (proto.has_f()) return AttributeProto::FLOAT;
  if (proto.has_i()) return AttributeProto::INT;
  if (proto.has_s()) return AttributeProto::STRING;
  if (proto.has_t()) return AttributeProto::TENSOR;
  if (proto.floats_size() > 0) return AttributeProto::FLOATS;
  if (proto.ints_size() > 0) return AttributeProto::INTS;
  return AttributeProto::UNDEFINED;
}

}  // namespace

Attribute attribute_from_proto(const AttributeProto& proto, const TensorSource& source) {
  if (!proto.ref_attr_name().empty()) {
    throw_bad_input(
        fmt::format("attribute '{}' refers to a function attribute, which tinyopt does "
                    "not support",
                    proto.name()));
  }
  const auto type = effective_type(proto);
  // A NaN attribute (alpha, epsilon, ...) silently turns every output into NaN; +-inf stays allowed
  // (legacy Clip bounds).
  auto refuse_nan = [&](float v) {
    if (std::isnan(v)) throw_bad_input(fmt::format("attribute '{}' is NaN", proto.name()));
  };
  switch (type) {
    case AttributeProto::FLOAT:
      refuse_nan(proto.f());
      return proto.f();
    case AttributeProto::INT:
      return static_cast<int64_t>(proto.i());
    case AttributeProto::STRING:
      return proto.s();
    case AttributeProto::INTS:
      return std::vector<int64_t>(proto.ints().begin(), proto.ints().end());
    case AttributeProto::FLOATS:
      for (float v : proto.floats()) refuse_nan(v);
      return std::vector<float>(proto.floats().begin(), proto.floats().end());
    case AttributeProto::TENSOR:
      return with_error_context(fmt::format("attribute '{}'", proto.name()),
                                [&] { return tensor_from_proto(proto.t(), source); });
    default:
      break;
  }
  const std::string kind = AttributeProto::AttributeType_IsValid(type)
                               ? AttributeProto::AttributeType_Name(type)
                               : fmt::format("{}", static_cast<int>(type));
  throw_bad_input(
      fmt::format("attribute '{}' has kind {}, which tinyopt does not support", proto.name(), kind));
}

AttributeProto attribute_to_proto(const std::string& name, const Attribute& value) {
  AttributeProto proto;
  proto.set_name(name);
  struct Visitor {
    AttributeProto& p;
    void operator()(int64_t v) const {
      p.set_type(AttributeProto::INT);
      p.set_i(v);
    }
    void operator()(float v) const {
      p.set_type(AttributeProto::FLOAT);
      p.set_f(v);
    }
    void operator()(const std::string& v) const {
      p.set_type(AttributeProto::STRING);
      p.set_s(v);
    }
    void operator()(const std::vector<int64_t>& v) const {
      p.set_type(AttributeProto::INTS);
      for (int64_t x : v) p.add_ints(x);
    }
    void operator()(const std::vector<float>& v) const {
      p.set_type(AttributeProto::FLOATS);
      for (float x : v) p.add_floats(x);
    }
    void operator()(const Tensor& v) const {
      p.set_type(AttributeProto::TENSOR);
      *p.mutable_t() = tensor_to_proto(v.dtype() == DType::kI4 ? unpack_int4_to_int8(v) : v, "");
    }
  };
  std::visit(Visitor{proto}, value);
  return proto;
}

std::string attribute_kind_name(const Attribute& value) {
  static constexpr const char* kNames[] = {"INT", "FLOAT", "STRING", "INTS", "FLOATS", "TENSOR"};
  static_assert(std::size(kNames) == std::variant_size_v<Attribute>);
  return kNames[value.index()];
}

}  // namespace tinyopt::detail
