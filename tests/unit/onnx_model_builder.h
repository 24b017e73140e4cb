// Test helpers for the ONNX import/export tests: a fluent builder of onnx::ModelProto bytes, so each test
// states the model it feeds in a few lines (opset, inputs, initializers, nodes, outputs) instead of raw
// protobuf calls; a small reference CNN; and a field-by-field graph comparison. Test-only; the builder
// writes whatever it is told, including invalid models, on purpose.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx/onnx.pb.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::testing {

class OnnxModelBuilder {
 public:
  explicit OnnxModelBuilder(int64_t opset = 13);

  // dims < 0 become dim_param "N".
  OnnxModelBuilder& input(const std::string& name, const Shape& dims,
                          int32_t elem_type = onnx::TensorProto::FLOAT);
  OnnxModelBuilder& output(const std::string& name, const Shape& dims = {},
                           int32_t elem_type = onnx::TensorProto::FLOAT);
  // An initializer stored as raw_data.
  OnnxModelBuilder& initializer(const std::string& name, const Tensor& t);
  // An initializer written as given (typed fields, wrong sizes, ...).
  OnnxModelBuilder& initializer(const onnx::TensorProto& t);
  // Adds a node and returns it, so attributes can be set with the attr_* helpers below.
  onnx::NodeProto& node(const std::string& op, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& name = "");
  OnnxModelBuilder& metadata(const std::string& key, const std::string& value);

  onnx::ModelProto& proto() { return model_; }
  std::string bytes() const;

 private:
  onnx::ModelProto model_;
};

void attr_int(onnx::NodeProto& n, const std::string& key, int64_t v);
void attr_float(onnx::NodeProto& n, const std::string& key, float v);
void attr_string(onnx::NodeProto& n, const std::string& key, const std::string& v);
void attr_ints(onnx::NodeProto& n, const std::string& key, const std::vector<int64_t>& v);
void attr_floats(onnx::NodeProto& n, const std::string& key, const std::vector<float>& v);

// A float tensor of the given shape filled with 0.1 * (i % 17) - 0.8 (deterministic, not all equal).
Tensor ramp_f32(const Shape& shape);

// x(N,3,16,16) -> Conv 8 3x3 p1 -> BatchNormalization -> Relu -> MaxPool 2 -> depthwise Conv 3x3 p1
// (group 8) -> Clip(0,6) -> GlobalAveragePool -> Flatten -> Gemm(10, transB) -> Softmax -> y(N,10).
// Clip is written in the form of `opset` (attrs below 11).
OnnxModelBuilder small_cnn_onnx(int64_t opset);

// Adds gtest failures for every difference: name, opset, inputs, outputs, metadata, values (dtype,
// shape, initializer bytes) and nodes (name, op, inputs, outputs, attributes incl. tensor bytes).
void expect_same_graph(const Graph& a, const Graph& b);

}  // namespace tinyopt::testing
