// Step 1 of opset canonicalization (see onnx_canonicalize.h): one rule per OpType, in a table that
// covers every op by construction (STYLE.md 7). A rule sees the node as read from the file (ONNX attrs
// of the model's opset) and leaves it in opset-18 form, or defers it to step 2 when it needs shapes.
#include "onnx/onnx_canonicalize.h"

#include <fmt/format.h>

#include <array>
#include <optional>

#include "onnx/onnx_attribute.h"
#include "tinyopt/core/error.h"

namespace tinyopt::detail {

std::string CanonicalizeContext::add_constant(const Node& node, const std::string& role, Tensor t) {
  const std::string name = graph.unique_name(node.name + "_" + role);
  graph.add_initializer(name, std::move(t));
  return name;
}

Value value_named(const std::string& name) {
  Value v;
  v.name = name;
  return v;
}

Node node_named(const std::string& name, OpType op) {
  Node n;
  n.name = name;
  n.op = op;
  return n;
}

namespace {

std::optional<Attribute> take_attr(Node& node, const std::string& key) {
  auto it = node.attrs.find(key);
  if (it == node.attrs.end()) return std::nullopt;
  Attribute value = std::move(it->second);
  node.attrs.erase(it);
  return value;
}

[[noreturn]] void wrong_kind(const std::string& key, const Attribute& value, const char* want) {
  throw_bad_input(fmt::format("attribute '{}' is {}, expected {}", key, attribute_kind_name(value), want));
}

float as_float(const std::string& key, const Attribute& value) {
  if (const auto* f = std::get_if<float>(&value)) return *f;
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<float>(*i);
  wrong_kind(key, value, "FLOAT");
}

int64_t as_int(const std::string& key, const Attribute& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return *i;
  wrong_kind(key, value, "INT");
}

std::vector<int64_t> as_ints(const std::string& key, const Attribute& value) {
  if (const auto* v = std::get_if<std::vector<int64_t>>(&value)) return *v;
  wrong_kind(key, value, "INTS");
}

std::string as_string(const std::string& key, const Attribute& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  wrong_kind(key, value, "STRING");
}

// Sets input `index`, filling skipped optional inputs with "".
void set_input(Node& node, size_t index, const std::string& name) {
  if (node.inputs.size() <= index) node.inputs.resize(index + 1);
  node.inputs[index] = name;
}

Tensor i64_vector(const std::vector<int64_t>& v) {
  return Tensor::from_i64({static_cast<int64_t>(v.size())}, v);
}

// Moves an INTS attribute `key` (if present) to input `index` as a 1-D int64 initializer.
void ints_attr_to_input(CanonicalizeContext& ctx, Node& node, const std::string& key, size_t index) {
  if (auto a = take_attr(node, key)) {
    set_input(node, index, ctx.add_constant(node, key, i64_vector(as_ints(key, *a))));
  }
}

// Moves a FLOAT attribute `key` (if present) to input `index` as a scalar f32 initializer.
void float_attr_to_input(CanonicalizeContext& ctx, Node& node, const std::string& key, size_t index) {
  if (auto a = take_attr(node, key)) {
    set_input(node, index, ctx.add_constant(node, key, Tensor::scalar_f32(as_float(key, *a))));
  }
}

// --- rules -----------------------------------------------------------------------------------------

void keep(CanonicalizeContext&, Node&) {}

// Conv, MaxPool, AveragePool: auto_pad -> explicit pads.
void auto_pad_to_pads(CanonicalizeContext& ctx, Node& node) {
  const auto auto_pad = take_attr(node, "auto_pad");
  if (!auto_pad) return;
  const std::string mode = as_string("auto_pad", *auto_pad);
  if (mode == "NOTSET") return;
  if (mode == "VALID") {
    node.attrs.erase("pads");
    return;
  }
  if (mode != "SAME_UPPER" && mode != "SAME_LOWER") {
    throw_bad_input(fmt::format("auto_pad '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", mode));
  }
  node.attrs["auto_pad"] = mode;  // step 1 or 2 replaces it by pads
  if (const auto pads = same_pads_without_shapes(ctx.graph, node)) {
    node.attrs.erase("auto_pad");
    node.attrs["pads"] = *pads;
  } else {
    ctx.needs_shapes.push_back(node.name);
  }
}

// Opset < 7 binary ops: `broadcast` is implied in opset 7+, `axis` aligned B at an axis (no equivalent).
void legacy_broadcast(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset >= 7) return;
  if (node.has_attr("axis")) {
    throw_bad_input(
        "legacy broadcasting with an 'axis' attribute (opset < 7) is not supported; "
        "convert the model to opset >= 7");
  }
  node.attrs.erase("broadcast");
}

void clip(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset >= 11) return;
  node.inputs.resize(1);
  float_attr_to_input(ctx, node, "min", 1);
  float_attr_to_input(ctx, node, "max", 2);
}

void softmax(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset >= 13) return;
  // Opset < 13: coerce to 2-D at `axis` (default 1). Equal to opset 13 only when axis is the last dim.
  const int64_t axis = node.has_attr("axis") ? as_int("axis", node.attrs.at("axis")) : 1;
  node.attrs["axis"] = axis;
  if (axis != -1) ctx.needs_shapes.push_back(node.name);
}

void batch_normalization(CanonicalizeContext& ctx, Node& node) {
  node.attrs.erase("is_test");  // opset 6: inference is the only mode tinyopt runs
  if (const auto spatial = take_attr(node, "spatial"); spatial && as_int("spatial", *spatial) == 0) {
    throw_bad_input("BatchNormalization with spatial=0 (per-element statistics) is not supported");
  }
  if (const auto training = node.attrs.find("training_mode");
      training != node.attrs.end() && as_int("training_mode", training->second) != 0) {
    throw_bad_input("BatchNormalization in training mode is not supported; export the model in eval mode");
  }
  int produced = 0;
  for (const auto& out : node.outputs) produced += out.empty() ? 0 : 1;
  if (produced > 1 && ctx.opset < 14) {
    throw_bad_input(
        "BatchNormalization with running-statistics outputs (training mode) is not "
        "supported; export the model in eval mode");
  }
}

void gemm(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset < 7) node.attrs.erase("broadcast");
}

void pad(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset >= 11) return;
  if (ctx.opset < 2) {  // Pad-1 called the attribute `paddings`
    if (auto paddings = take_attr(node, "paddings")) node.attrs["pads"] = *paddings;
  }
  if (!node.has_attr("pads")) throw_bad_input("Pad (opset < 11) needs the 'pads' attribute");
  node.inputs.resize(1);
  ints_attr_to_input(ctx, node, "pads", 1);
  float_attr_to_input(ctx, node, "value", 2);
}

void squeeze_unsqueeze(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset < 13) ints_attr_to_input(ctx, node, "axes", 1);
}

void reduce_mean(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset < 18) ints_attr_to_input(ctx, node, "axes", 1);
}

void reshape(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset < 5) ints_attr_to_input(ctx, node, "shape", 1);
}

void concat(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset < 4 && !node.has_attr("axis")) node.attrs["axis"] = int64_t{1};  // Concat-1 default
}

void dropout(CanonicalizeContext& ctx, Node& node) {
  node.attrs.erase("is_test");
  if (ctx.opset < 12) float_attr_to_input(ctx, node, "ratio", 1);
}

using Rule = void (*)(CanonicalizeContext&, Node&);
struct OpRule {
  OpType op;
  Rule rule;
};

constexpr std::array kRules = {
    OpRule{OpType::kConv, auto_pad_to_pads},
    OpRule{OpType::kConvTranspose, keep},  // attrs verbatim; the executor decides what it supports
    OpRule{OpType::kGemm, gemm},
    OpRule{OpType::kMatMul, keep},
    OpRule{OpType::kAdd, legacy_broadcast},
    OpRule{OpType::kSub, legacy_broadcast},
    OpRule{OpType::kMul, legacy_broadcast},
    OpRule{OpType::kDiv, legacy_broadcast},
    OpRule{OpType::kRelu, keep},
    OpRule{OpType::kClip, clip},
    OpRule{OpType::kLeakyRelu, keep},
    OpRule{OpType::kSigmoid, keep},
    OpRule{OpType::kHardSigmoid, keep},
    OpRule{OpType::kHardSwish, keep},
    OpRule{OpType::kTanh, keep},
    OpRule{OpType::kSoftmax, softmax},
    OpRule{OpType::kMaxPool, auto_pad_to_pads},
    OpRule{OpType::kAveragePool, auto_pad_to_pads},
    OpRule{OpType::kGlobalAveragePool, keep},
    OpRule{OpType::kReduceMean, reduce_mean},
    OpRule{OpType::kBatchNormalization, batch_normalization},
    OpRule{OpType::kFlatten, keep},
    OpRule{OpType::kReshape, reshape},
    OpRule{OpType::kSqueeze, squeeze_unsqueeze},
    OpRule{OpType::kUnsqueeze, squeeze_unsqueeze},
    OpRule{OpType::kTranspose, keep},
    OpRule{OpType::kConcat, concat},
    OpRule{OpType::kPad, pad},
    OpRule{OpType::kIdentity, keep},
    OpRule{OpType::kDropout, dropout},
    OpRule{OpType::kQuantizeLinear, keep},
    OpRule{OpType::kDequantizeLinear, keep},
};
static_assert(kRules.size() == kOpTypeCount, "every OpType needs an import rule");

constexpr bool rules_in_enum_order() {
  for (size_t i = 0; i < kRules.size(); ++i) {
    if (static_cast<size_t>(kRules[i].op) != i) return false;
  }
  return true;
}
static_assert(rules_in_enum_order(), "kRules must list OpTypes in enum order");

}  // namespace

void canonicalize_node(CanonicalizeContext& ctx, Node& node) {
  if (ctx.opset < 6) node.attrs.erase("consumed_inputs");  // an in-place hint of opsets 1..5, no meaning
  kRules[static_cast<size_t>(node.op)].rule(ctx, node);
  while (!node.inputs.empty() && node.inputs.back().empty()) node.inputs.pop_back();
  while (!node.outputs.empty() && node.outputs.back().empty()) node.outputs.pop_back();
}

}  // namespace tinyopt::detail
