// ONNX ModelProto -> Graph (the import half of tinyopt/onnx/onnx_io.h).
//
// Algorithm:
//   1. Parse the bytes; refuse empty files, protobuf garbage and models without a graph.
//   2. Read the default-domain opset and refuse opsets outside kOldestImportOpset..kCanonicalOpset.
//   3. Initializers, then graph inputs that are not initializers, then output declarations.
//   4. Nodes in file order: Constant nodes become initializers; every other node must be in the
//      default domain and an OpType; it gets a unique name and is canonicalized (step 1).
//   5. The verifier (structure), initializer value checks (initializer_checks.h), shape-dependent
//      canonicalization (step 2), int4 annotations, uint8 QDQ -> int8 (onnx_qdq.h),
//      shape inference and the verifier.
// Errors carry "<file>: node '<name>' (op '<op>', opset N): ..." context as they unwind.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/file_bytes.h"
#include "onnx/initializer_checks.h"
#include "onnx/onnx_attribute.h"
#include "onnx/onnx_canonicalize.h"
#include "onnx/onnx_qdq.h"
#include "onnx/onnx_tensor.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {

namespace {

using detail::node_named;
using detail::TensorSource;
using detail::value_named;

std::string supported_op_list() {
  std::string list;
#define TINYOPT_X(e, s) list += std::string(list.empty() ? "" : ", ") + s;
  TINYOPT_OP_TYPES(TINYOPT_X)
#undef TINYOPT_X
  return list + ", Constant";
}

// The file's bytes (gzip-compressed files are inflated), refusing files beyond protobuf's 2 GiB limit.
std::string read_protobuf_file(const std::string& path) {
  constexpr uint64_t kMaxBytes = uint64_t{INT32_MAX};
  const detail::FileBytes file = detail::read_file_bytes(path, kMaxBytes);
  if (file.has_more) throw_bad_input(path + ": larger than protobuf's 2 GiB limit");
  // A cut-off stream's prefix may still parse as a (smaller) model: refuse it here.
  if (file.gzip_cut_off) throw_bad_input(path + ": truncated: the gzip stream is cut off");
  return std::string(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size());
}

int64_t default_domain_opset(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  }
  if (model.opset_import_size() == 0 && model.ir_version() < 3) return 1;  // IR < 3 implies opset 1
  throw_bad_input("the model imports no opset of the default ONNX domain");
}

// -1 for unknown or symbolic dims.
Shape shape_from_proto(const onnx::TensorShapeProto& shape) {
  Shape out;
  for (const auto& d : shape.dim())
    out.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
  return out;
}

Value value_from_info(const onnx::ValueInfoProto& info, bool need_shape) {
  Value v = value_named(info.name());
  if (!info.type().has_tensor_type()) {
    throw_bad_input(fmt::format("'{}' is not a tensor; tinyopt handles tensors only", info.name()));
  }
  const auto& tt = info.type().tensor_type();
  if (tt.has_elem_type()) {
    const auto dtype = detail::dtype_from_onnx(tt.elem_type());
    if (!dtype) {
      throw_bad_input(fmt::format("'{}' has element type {}, which tinyopt does not support", info.name(),
                                  detail::onnx_elem_type_name(tt.elem_type())));
    }
    v.dtype = *dtype;
  }
  if (tt.has_shape()) {
    v.shape = shape_from_proto(tt.shape());
  } else if (need_shape) {
    throw_bad_input(
        fmt::format("graph input '{}' has no shape; tinyopt needs the rank of every input", info.name()));
  }
  return v;
}

// infer_shapes(), tolerating shapes that depend on runtime values (a Reshape whose shape is a graph
// input): inference stops at the first such node and later values keep an unknown (empty) shape, as
// the verifier allows. Returns false when it stopped early.
bool infer_static_shapes(Graph& graph, int64_t batch) {
  try {
    infer_shapes(graph, batch);
    return true;
  } catch (const Error& e) {
    if (std::string(e.what()).find("must be a constant") == std::string::npos) throw;
    return false;
  }
}

// infer_static_shapes() with a dynamic (-1) batch kept: inference runs at batch 1 and 2, and a leading
// dim that follows the batch (while the others do not) is recorded as -1, as on the graph inputs. A
// model that only works at batch 1 (e.g. a Reshape to a fixed [1, ...]) keeps its batch-1 shapes.
void infer_shapes_keeping_batch(Graph& graph) {
  std::vector<Shape> input_shapes;
  for (const auto& name : graph.inputs) input_shapes.push_back(graph.value(name).shape);
  Graph batch2 = graph;
  infer_static_shapes(graph, 1);
  for (size_t i = 0; i < graph.inputs.size(); ++i) graph.value(graph.inputs[i]).shape = input_shapes[i];
  if (std::none_of(input_shapes.begin(), input_shapes.end(),
                   [](const Shape& s) { return !s.empty() && s[0] < 0; })) {
    return;
  }
  try {
    infer_static_shapes(batch2, 2);
  } catch (const Error&) {
    return;
  }
  for (const Node& node : graph.nodes) {
    for (const auto& out : node.outputs) {
      if (out.empty()) continue;
      Shape& s1 = graph.value(out).shape;
      const Shape& s2 = batch2.value(out).shape;
      if (s1.empty() || s1.size() != s2.size() || s1[0] == s2[0]) continue;
      if (std::equal(s1.begin() + 1, s1.end(), s2.begin() + 1)) s1[0] = -1;
    }
  }
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string origin) : model_(model), origin_(std::move(origin)) {
    source_.model_dir = std::filesystem::path(origin_).parent_path().string();
    if (source_.model_dir.empty()) source_.model_dir = ".";
  }

  Graph run() {
    const onnx::GraphProto& gp = model_.graph();
    opset_ = default_domain_opset(model_);
    if (opset_ < kOldestImportOpset || opset_ > kCanonicalOpset) {
      throw_bad_input(
          fmt::format("opset {} is not supported (tinyopt reads opsets {}..{}); convert the "
                      "model with onnx.version_converter",
                      opset_, kOldestImportOpset, kCanonicalOpset));
    }
    if (gp.node_size() == 0) throw_bad_input("the graph has no nodes");
    if (gp.sparse_initializer_size() > 0) throw_bad_input("sparse initializers are not supported");
    graph_.name = gp.name().empty() ? "tinyopt" : gp.name();
    for (const auto& kv : model_.metadata_props()) graph_.metadata[kv.key()] = kv.value();
    read_initializers(gp);
    read_inputs_outputs(gp);
    detail::CanonicalizeContext ctx{.graph = graph_, .opset = opset_, .needs_shapes = {}};
    for (int i = 0; i < gp.node_size(); ++i) read_node(gp.node(i), i, ctx);
    verify_graph(graph_);  // structure (arity, dangling names, order) before anything infers shapes
    detail::check_initializer_values(graph_);  // finite weights, positive Q/DQ scales
    detail::canonicalize_with_shapes(ctx);
    apply_declared_outputs();
    apply_int4_annotation();
    detail::uint8_qdq_to_int8(graph_);
    graph_.opset = kCanonicalOpset;
    infer_shapes_keeping_batch(graph_);
    verify_graph(graph_);
    return std::move(graph_);
  }

 private:
  void read_initializers(const onnx::GraphProto& gp) {
    for (const auto& t : gp.initializer()) {
      if (t.name().empty()) throw_bad_input("an initializer has no name");
      if (graph_.has_value(t.name()))
        throw_bad_input(fmt::format("initializer '{}' is defined twice", t.name()));
      graph_.add_initializer(t.name(), detail::tensor_from_proto(t, source_));
    }
  }

  void read_inputs_outputs(const onnx::GraphProto& gp) {
    for (const auto& info : gp.input()) {
      if (graph_.has_value(info.name())) {
        // IR < 4 lists initializers among the inputs too; those are constants, not inputs.
        if (graph_.value(info.name()).is_initializer()) continue;
        throw_bad_input(fmt::format("graph input '{}' is declared twice", info.name()));
      }
      graph_.set_value(value_from_info(info, /*need_shape=*/true));
      graph_.inputs.push_back(info.name());
    }
    for (const auto& info : gp.output()) {
      if (info.name().empty()) throw_bad_input("a graph output has no name");
      graph_.outputs.push_back(info.name());
      if (!graph_.has_value(info.name())) declared_outputs_.push_back(value_from_info(info, false));
    }
  }

  std::string node_name(const onnx::NodeProto& np, int index) {
    std::string name = np.name();
    if (name.empty() || node_names_.count(name) != 0) {
      name = graph_.unique_name(fmt::format("{}_{}", np.op_type(), index));
      while (node_names_.count(name) != 0) name = graph_.unique_name(name + "_");
    }
    node_names_.insert(name);
    return name;
  }

  std::string node_context(const onnx::NodeProto& np, const std::string& name) const {
    return fmt::format("node '{}' (op '{}', opset {})", name, np.op_type(), opset_);
  }

  void read_node(const onnx::NodeProto& np, int index, detail::CanonicalizeContext& ctx) {
    const std::string name = node_name(np, index);
    const auto op = op_from_name(np.op_type());
    if (!op && np.op_type() != "Constant" && (np.domain().empty() || np.domain() == "ai.onnx")) {
      throw_bad_input(node_context(np, name) +
                      " is not supported by tinyopt; supported ops: " + supported_op_list());
    }
    with_error_context(node_context(np, name), [&] {
      if (!np.domain().empty() && np.domain() != "ai.onnx" &&
          !detail::is_supported_microsoft_op(np.domain(), np.op_type())) {
        throw_bad_input(
            fmt::format("domain '{}' is not supported; tinyopt reads only the default ONNX "
                        "domain (and com.microsoft QuantizeLinear/DequantizeLinear)",
                        np.domain()));
      }
      for (const auto& out : np.output()) {
        if (!out.empty() && graph_.has_value(out))
          throw_bad_input(fmt::format("value '{}' is produced twice", out));
      }
      if (np.op_type() == "Constant") return read_constant(np);
      Node node = node_named(name, *op);
      node.inputs.assign(np.input().begin(), np.input().end());
      node.outputs.assign(np.output().begin(), np.output().end());
      for (const auto& a : np.attribute()) {
        if (a.name().empty()) throw_bad_input("an attribute has no name");
        node.attrs[a.name()] = detail::attribute_from_proto(a, source_);
      }
      detail::canonicalize_node(ctx, node);
      for (const auto& out : node.outputs) {
        if (!out.empty()) graph_.set_value(value_named(out));
      }
      graph_.nodes.push_back(std::move(node));
    });
  }

  void read_constant(const onnx::NodeProto& np) {
    if (np.output_size() != 1 || np.attribute_size() != 1) {
      throw_bad_input("a Constant needs exactly one output and one value attribute");
    }
    const auto& a = np.attribute(0);
    Tensor t;
    if (a.name() == "value") {
      t = std::get<Tensor>(detail::attribute_from_proto(a, source_));
    } else if (a.name() == "value_float") {
      t = Tensor::scalar_f32(a.f());
    } else if (a.name() == "value_floats") {
      t = Tensor::from_f32({a.floats_size()}, std::vector<float>(a.floats().begin(), a.floats().end()));
    } else if (a.name() == "value_int") {
      const int64_t v = a.i();
      t = Tensor::from_i64({}, std::span<const int64_t>(&v, 1));
    } else if (a.name() == "value_ints") {
      t = Tensor::from_i64({a.ints_size()}, std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    } else {
      throw_bad_input(
          fmt::format("Constant attribute '{}' is not supported (supported: value, "
                      "value_float(s), value_int(s))",
                      a.name()));
    }
    graph_.add_initializer(np.output(0), std::move(t));
  }

  // Output declarations seed the dtype/shape of values produced by nodes; inference then has the say.
  void apply_declared_outputs() {
    for (Value& declared : declared_outputs_) {
      if (!graph_.has_value(declared.name)) continue;  // the verifier reports the missing producer
      Value& v = graph_.value(declared.name);
      v.dtype = declared.dtype;
      v.shape = declared.shape;
    }
  }

  void apply_int4_annotation() {
    const auto it = graph_.metadata.find(kInt4TensorsMetadataKey);
    if (it == graph_.metadata.end()) return;
    std::stringstream names(it->second);
    for (std::string name; std::getline(names, name, ',');) {
      if (name.empty()) continue;
      if (!graph_.has_value(name) || !graph_.value(name).is_initializer()) {
        throw_bad_input(fmt::format("metadata '{}' lists '{}', which is not an initializer",
                                    kInt4TensorsMetadataKey, name));
      }
      Value& v = graph_.value(name);
      v.data = detail::pack_int8_to_int4(*v.data, name);
      v.dtype = DType::kI4;
    }
    graph_.metadata.erase(it);
  }

  const onnx::ModelProto& model_;
  std::string origin_;
  TensorSource source_;
  Graph graph_;
  int64_t opset_ = 0;
  std::set<std::string> node_names_;
  std::vector<Value> declared_outputs_;
};

}  // namespace

Graph parse_onnx(std::string_view bytes, const std::string& origin) {
  return with_error_context(origin, [&] {
    if (bytes.empty()) throw_bad_input("the file is empty; is it an ONNX file?");
    onnx::ModelProto model;
    if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
        !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !model.has_graph()) {
      throw_bad_input("not a valid ONNX model (protobuf parse failed); is it an ONNX file?");
    }
    return Importer(model, origin).run();
  });
}

Graph load_onnx(const std::string& path) { return parse_onnx(read_protobuf_file(path), path); }

Tensor load_tensor_proto(const std::string& path) {
  const std::string bytes = read_protobuf_file(path);
  return with_error_context(path, [&] {
    onnx::TensorProto proto;
    if (bytes.empty() || !proto.ParseFromString(bytes)) {
      throw_bad_input("not a valid ONNX TensorProto (protobuf parse failed)");
    }
    TensorSource source{.model_dir = std::filesystem::path(path).parent_path().string()};
    if (source.model_dir.empty()) source.model_dir = ".";
    return detail::tensor_from_proto(proto, source);
  });
}

}  // namespace tinyopt
