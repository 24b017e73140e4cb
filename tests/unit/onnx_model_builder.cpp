// OnnxModelBuilder (see onnx_model_builder.h).
#include "onnx_model_builder.h"

#include <gtest/gtest.h>

#include <cstring>

namespace tinyopt::testing {

namespace {

void fill_info(onnx::ValueInfoProto& info, const std::string& name, const Shape& dims, int32_t elem_type) {
  info.set_name(name);
  auto* tt = info.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0) {
      shape->add_dim()->set_dim_param("N");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}

onnx::AttributeProto& add_attr(onnx::NodeProto& n, const std::string& key,
                               onnx::AttributeProto::AttributeType t) {
  auto* a = n.add_attribute();
  a->set_name(key);
  a->set_type(t);
  return *a;
}

}  // namespace

OnnxModelBuilder::OnnxModelBuilder(int64_t opset) {
  model_.set_ir_version(opset >= 15 ? 8 : 7);
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name("test");
}

OnnxModelBuilder& OnnxModelBuilder::input(const std::string& name, const Shape& dims, int32_t elem_type) {
  fill_info(*model_.mutable_graph()->add_input(), name, dims, elem_type);
  return *this;
}

OnnxModelBuilder& OnnxModelBuilder::output(const std::string& name, const Shape& dims, int32_t elem_type) {
  fill_info(*model_.mutable_graph()->add_output(), name, dims, elem_type);
  return *this;
}

OnnxModelBuilder& OnnxModelBuilder::initializer(const std::string& name, const Tensor& t) {
  onnx::TensorProto p;
  p.set_name(name);
  static constexpr int32_t kOnnxType[] = {onnx::TensorProto::FLOAT,
                                          onnx::TensorProto::INT8,
                                          onnx::TensorProto::UINT8,
                                          onnx::TensorProto::INT16,
                                          onnx::TensorProto::INT32,
                                          onnx::TensorProto::INT64,
                                          22 /* INT4 */,
                                          onnx::TensorProto::BOOL};
  p.set_data_type(kOnnxType[static_cast<int>(t.dtype())]);
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(t.bytes(), t.nbytes());
  return initializer(p);
}

OnnxModelBuilder& OnnxModelBuilder::initializer(const onnx::TensorProto& t) {
  *model_.mutable_graph()->add_initializer() = t;
  return *this;
}

onnx::NodeProto& OnnxModelBuilder::node(const std::string& op, std::vector<std::string> inputs,
                                        std::vector<std::string> outputs, const std::string& name) {
  auto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *n;
}

OnnxModelBuilder& OnnxModelBuilder::metadata(const std::string& key, const std::string& value) {
  auto* kv = model_.add_metadata_props();
  kv->set_key(key);
  kv->set_value(value);
  return *this;
}

std::string OnnxModelBuilder::bytes() const { return model_.SerializeAsString(); }

void attr_int(onnx::NodeProto& n, const std::string& key, int64_t v) {
  add_attr(n, key, onnx::AttributeProto::INT).set_i(v);
}
void attr_float(onnx::NodeProto& n, const std::string& key, float v) {
  add_attr(n, key, onnx::AttributeProto::FLOAT).set_f(v);
}
void attr_string(onnx::NodeProto& n, const std::string& key, const std::string& v) {
  add_attr(n, key, onnx::AttributeProto::STRING).set_s(v);
}
void attr_ints(onnx::NodeProto& n, const std::string& key, const std::vector<int64_t>& v) {
  auto& a = add_attr(n, key, onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}
void attr_floats(onnx::NodeProto& n, const std::string& key, const std::vector<float>& v) {
  auto& a = add_attr(n, key, onnx::AttributeProto::FLOATS);
  for (float x : v) a.add_floats(x);
}

Tensor ramp_f32(const Shape& shape) {
  Tensor t(DType::kF32, shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = 0.1f * static_cast<float>(i % 17) - 0.8f;
  return t;
}

OnnxModelBuilder small_cnn_onnx(int64_t opset) {
  OnnxModelBuilder b(opset);
  b.input("x", {-1, 3, 16, 16}).output("y", {-1, 10});
  b.initializer("conv1.w", ramp_f32({8, 3, 3, 3})).initializer("conv1.b", ramp_f32({8}));
  b.initializer("bn.scale", ramp_f32({8})).initializer("bn.bias", ramp_f32({8}));
  b.initializer("bn.mean", ramp_f32({8}));
  Tensor var = ramp_f32({8});
  for (float& v : var.span<float>()) v = v * v + 0.5f;
  b.initializer("bn.var", var);
  b.initializer("dw.w", ramp_f32({8, 1, 3, 3})).initializer("fc.w", ramp_f32({10, 8}));
  b.initializer("fc.b", ramp_f32({10}));
  auto& conv = b.node("Conv", {"x", "conv1.w", "conv1.b"}, {"c1"}, "conv1");
  attr_ints(conv, "pads", {1, 1, 1, 1});
  attr_ints(conv, "kernel_shape", {3, 3});
  attr_float(b.node("BatchNormalization", {"c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"b1"}, "bn"),
             "epsilon", 1e-3f);
  b.node("Relu", {"b1"}, {"r1"}, "relu");
  auto& pool = b.node("MaxPool", {"r1"}, {"p1"}, "pool");
  attr_ints(pool, "kernel_shape", {2, 2});
  attr_ints(pool, "strides", {2, 2});
  auto& dw = b.node("Conv", {"p1", "dw.w"}, {"d1"}, "dw");
  attr_int(dw, "group", 8);
  attr_ints(dw, "pads", {1, 1, 1, 1});
  if (opset < 11) {
    auto& clip = b.node("Clip", {"d1"}, {"k1"}, "relu6");
    attr_float(clip, "min", 0.0f);
    attr_float(clip, "max", 6.0f);
  } else {
    b.initializer("zero", Tensor::scalar_f32(0.0f)).initializer("six", Tensor::scalar_f32(6.0f));
    b.node("Clip", {"d1", "zero", "six"}, {"k1"}, "relu6");
  }
  b.node("GlobalAveragePool", {"k1"}, {"g1"}, "gap");
  attr_int(b.node("Flatten", {"g1"}, {"f1"}, "flatten"), "axis", 1);
  auto& fc = b.node("Gemm", {"f1", "fc.w", "fc.b"}, {"logits"}, "fc");
  attr_int(fc, "transB", 1);
  attr_float(fc, "alpha", 1.0f);
  attr_int(b.node("Softmax", {"logits"}, {"y"}, "softmax"), "axis", opset < 13 ? 1 : -1);
  b.metadata("tinyopt.preprocessing", "scale=1/255");
  return b;
}

namespace {

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         (a.nbytes() == 0 || std::memcmp(a.bytes(), b.bytes(), a.nbytes()) == 0);
}

bool same_attr(const Attribute& a, const Attribute& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, Tensor>) {
          return same_tensor(x, y);
        } else {
          return x == y;
        }
      },
      a);
}

}  // namespace

void expect_same_graph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.opset, b.opset);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.values().size(), b.values().size());
  for (const auto& [name, va] : a.values()) {
    ASSERT_TRUE(b.has_value(name)) << name;
    const Value& vb = b.value(name);
    EXPECT_EQ(va.dtype, vb.dtype) << name;
    EXPECT_EQ(va.shape, vb.shape) << name;
    ASSERT_EQ(va.is_initializer(), vb.is_initializer()) << name;
    if (va.is_initializer()) {
      EXPECT_TRUE(same_tensor(*va.data, *vb.data)) << "initializer " << name;
    }
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& na = a.nodes[i];
    const Node& nb = b.nodes[i];
    EXPECT_EQ(na.name, nb.name);
    EXPECT_EQ(na.op, nb.op) << na.name;
    EXPECT_EQ(na.inputs, nb.inputs) << na.name;
    EXPECT_EQ(na.outputs, nb.outputs) << na.name;
    ASSERT_EQ(na.attrs.size(), nb.attrs.size()) << na.name;
    for (const auto& [key, value] : na.attrs) {
      ASSERT_TRUE(nb.has_attr(key)) << na.name << "." << key;
      EXPECT_TRUE(same_attr(value, nb.attrs.at(key))) << na.name << "." << key;
    }
  }
}

}  // namespace tinyopt::testing
