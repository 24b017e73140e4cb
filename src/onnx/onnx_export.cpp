// Graph -> ONNX ModelProto (the export half of tinyopt/onnx/onnx_io.h): ir_version 8, the default
// domain at opset 18 (or 17 on request), metadata, every initializer as raw_data, and value_info with
// dtype and shape for the graph inputs and outputs (a -1 leading dim becomes dim_param "N", other
// unknown dims are left without value). kI4 initializers are stored as INT8 and listed in metadata.
//
// Opset 17 differs from the IR's opset-18 semantics only in ReduceMean (axes as an attribute) and Pad
// (no axes input) among tinyopt's ops; exporting at 17 rewrites the first and refuses the second.
// QuantizeLinear/DequantizeLinear on int16 are written in the com.microsoft domain (onnx_qdq.h says why),
// which is then imported at version 1 beside the default domain.
#include <fmt/format.h>

#include <span>

#include "core/file_bytes.h"
#include "onnx/onnx_attribute.h"
#include "onnx/onnx_qdq.h"
#include "onnx/onnx_tensor.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {

namespace {

void fill_value_info(const Value& v, onnx::ValueInfoProto& info) {
  info.set_name(v.name);
  if (v.dtype == DType::kI4) {
    throw_bad_input(fmt::format("graph input/output '{}' is int4, which ONNX opset {} cannot declare", v.name,
                                kCanonicalOpset));
  }
  auto* tt = info.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(detail::onnx_elem_type(v.dtype));
  auto* shape = tt->mutable_shape();
  for (size_t i = 0; i < v.shape.size(); ++i) {
    auto* dim = shape->add_dim();
    if (v.shape[i] >= 0) {
      dim->set_dim_value(v.shape[i]);
    } else if (i == 0) {
      dim->set_dim_param("N");
    }
  }
}

// Opset 17 form of an opset-18 node, when it differs (ReduceMean axes input -> attribute).
Node to_opset17(const Graph& g, Node node) {
  if (node.op == OpType::kReduceMean) {
    if (node.attr_int("noop_with_empty_axes", 0) != 0) {
      throw_bad_input(node.describe() + ": noop_with_empty_axes has no opset-17 form; export at opset 18");
    }
    if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
      const Value& axes = g.value(node.inputs[1]);
      if (!axes.is_initializer() || axes.data->dtype() != DType::kI64) {
        throw_bad_input(node.describe() + ": axes must be a constant int64 tensor to export at opset 17");
      }
      const auto values = axes.data->span<int64_t>();
      node.attrs["axes"] = std::vector<int64_t>(values.begin(), values.end());
    }
    node.inputs.resize(1);
  } else if (node.op == OpType::kPad && node.inputs.size() > 3 && !node.inputs[3].empty()) {
    throw_bad_input(node.describe() + ": Pad with an axes input has no opset-17 form; export at opset 18");
  }
  return node;
}

void fill_node(const Node& node, const std::string& domain, onnx::NodeProto& np) {
  np.set_name(node.name);
  if (!domain.empty()) np.set_domain(domain);
  np.set_op_type(std::string(op_name(node.op)));
  for (const auto& in : node.inputs) np.add_input(in);
  for (const auto& out : node.outputs) np.add_output(out);
  for (const auto& [key, value] : node.attrs) *np.add_attribute() = detail::attribute_to_proto(key, value);
}

onnx::ModelProto to_model_proto(const Graph& g, const OnnxExportOptions& options) {
  if (options.opset != kCanonicalOpset && options.opset != 17) {
    throw_usage(fmt::format("ONNX export supports opsets 17 and 18, not {}", options.opset));
  }
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("tinyopt");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);

  onnx::GraphProto& gp = *model.mutable_graph();
  gp.set_name(g.name);
  std::vector<std::string> int4_names;
  for (const auto& [name, value] : g.values()) {
    if (!value.is_initializer()) continue;
    const Tensor& t = *value.data;
    if (t.dtype() == DType::kI4) int4_names.push_back(name);
    *gp.add_initializer() =
        detail::tensor_to_proto(t.dtype() == DType::kI4 ? detail::unpack_int4_to_int8(t) : t, name);
  }
  for (const auto& name : g.inputs) fill_value_info(g.value(name), *gp.add_input());
  for (const auto& name : g.outputs) fill_value_info(g.value(name), *gp.add_output());
  bool uses_microsoft_domain = false;
  for (const Node& node : g.nodes) {
    const bool microsoft = detail::qdq_needs_microsoft_domain(g, node);
    uses_microsoft_domain = uses_microsoft_domain || microsoft;
    fill_node(options.opset == 17 ? to_opset17(g, node) : node,
              microsoft ? std::string(detail::kMicrosoftDomain) : std::string(), *gp.add_node());
  }
  if (uses_microsoft_domain) {
    auto* ms = model.add_opset_import();
    ms->set_domain(std::string(detail::kMicrosoftDomain));
    ms->set_version(detail::kMicrosoftDomainVersion);
  }

  auto metadata = g.metadata;
  metadata.erase(kInt4TensorsMetadataKey);
  if (!int4_names.empty()) {
    std::string list;
    for (const auto& name : int4_names) list += (list.empty() ? "" : ",") + name;
    metadata[kInt4TensorsMetadataKey] = list;
  }
  for (const auto& [key, value] : metadata) {
    auto* entry = model.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
  }
  return model;
}

template <typename Message>
std::string serialize_message(const Message& message, const std::string& what) {
  std::string bytes;
  if (message.ByteSizeLong() > static_cast<size_t>(INT32_MAX) || !message.SerializeToString(&bytes)) {
    throw_bad_input(what + " is larger than protobuf's 2 GiB limit");
  }
  return bytes;
}

// Atomic (temporary file in the same folder + rename): no partial file is ever visible.
void write_atomically(const std::string& path, const std::string& bytes) {
  detail::write_file_atomic(path, std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace

std::string serialize_onnx(const Graph& g, const OnnxExportOptions& options) {
  return serialize_message(to_model_proto(g, options), "model '" + g.name + "'");
}

void save_onnx(const Graph& g, const std::string& path, const OnnxExportOptions& options) {
  write_atomically(path, serialize_onnx(g, options));
}

void save_tensor_proto(const Tensor& t, const std::string& name, const std::string& path) {
  write_atomically(path, serialize_message(detail::tensor_to_proto(t, name), "tensor '" + name + "'"));
}

}  // namespace tinyopt
