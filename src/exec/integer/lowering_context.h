// The state of one QDQ-graph lowering (lower_qdq.cpp) and the helpers every op's lowering shares:
// resolving a float input to the integer tensor it dequantizes, reading a dequantized constant (weights,
// bias), finding the activation + QuantizeLinear that follow a node, adding tensors and steps (the step's
// kernel is selected and validated here, so a program never holds parameters the runtime rejects).
// Internal to src/exec; the result is the public IntegerProgram.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt::exec {

// A float value that is an integer tensor seen through DequantizeLinear (or a view op after one).
struct ActView {
  int tensor = -1;
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// A DequantizeLinear of an integer initializer (weights, bias), values unpacked to int32.
struct ConstDq {
  std::string name;  // the initializer
  DType dtype = DType::kI8;
  Shape shape;
  std::vector<int32_t> values;  // row-major in the IR layout (int4 unpacked)
  std::vector<float> scale;     // 1 (per tensor) or per channel along `axis`
  std::vector<int32_t> zero_point;
  int axis = 0;
};

// The QuantizeLinear (and the fused Relu / Clip before it) that ends a node's chain.
struct OutputChain {
  const Node* activation = nullptr;  // Relu or Clip, or null
  const Node* quantize = nullptr;
  std::string value;  // the QuantizeLinear output (the integer value)
  DType dtype = DType::kI8;
  float scale = 1.0f;
  int32_t zero_point = 0;
  int32_t act_min = -128, act_max = 127;  // the dtype range narrowed by the fused activation
};

class LoweringContext {
 public:
  explicit LoweringContext(const Graph& graph) : graph(graph) {}

  const Graph& graph;  // with shapes inferred at batch 1
  IntegerProgram program;
  std::map<std::string, int> int_value;       // integer IR value (QuantizeLinear output) -> tensor
  std::map<std::string, ActView> float_view;  // float IR value -> the integer tensor it stands for
  std::set<const Node*> lowered;              // nodes already lowered as part of another node's chain

  [[noreturn]] void fail(const Node& node, const std::string& why) const;

  // Input i of `node` as an integer activation; fails naming the node when it is not a dequantized
  // integer tensor.
  ActView activation_input(const Node& node, size_t i) const;
  // Input i of `node` as a DequantizeLinear of an integer initializer.
  ConstDq constant_input(const Node& node, size_t i) const;
  bool has_input(const Node& node, size_t i) const { return i < node.inputs.size() && !node.inputs[i].empty(); }
  // A float initializer input (Clip min/max, Pad constant) as a scalar, or `fallback` when omitted.
  float float_scalar_input(const Node& node, size_t i, float fallback) const;
  std::vector<int64_t> int_list_input(const Node& node, size_t i) const;

  // The chain after `node`: optionally one Relu / Clip (when fuse_activation), then one QuantizeLinear;
  // fails when the output is not quantized. Marks the chain's nodes lowered.
  OutputChain output_chain(const Node& node, bool fuse_activation);
  // Quantization parameters of a QuantizeLinear node (per tensor; int8 or int16).
  void quantize_params(const Node& q, float* scale, int32_t* zero_point, DType* dtype) const;
  // The clamp a Relu / Clip applies in the integer domain of (scale, zero_point, dtype).
  void activation_range(const Node& act, float scale, int32_t zero_point, DType dtype, int32_t* lo,
                        int32_t* hi) const;

  const Shape& shape_of(const std::string& value) const { return graph.value(value).shape; }
  // Adds an activation tensor for IR value `name` of shape `shape` (batch 1): channels-last when 4-D.
  int add_activation(const std::string& name, DType dtype, const Shape& shape, float scale, int32_t zero_point);
  int add_constant(const std::string& name, DType dtype, Shape shape, std::vector<uint8_t> bytes);
  // Binds, selects and validates the step's kernel, fills scratch / weight bytes, appends it.
  void add_step(IntegerStep step, const std::vector<const Node*>& sources);
  // The tensor `chain` writes: a new activation named after the QuantizeLinear output.
  int chain_output(const OutputChain& chain);
  // Makes `src` appear in the output's quantization (scale, zero point, dtype), adding a requantize step
  // (int8 -> int8 as a one-input concat, otherwise a requantize kernel) unless they agree.
  int requantize_into(int src, const OutputChain& chain, const Node& node);
  // Writes a copy of `src` (int8 or int16) converted to `dtype` at scale `scale`, zero point 0 for int16.
  int convert(int src, DType dtype, float scale, int32_t zero_point, int32_t act_min, int32_t act_max,
              const std::string& name, const Node& node);

  // A clamp_s8 step src -> out (out may be src: in place).
  void add_clamp(int src, int out, int32_t act_min, int32_t act_max, const Node& node);

  std::string temp_name(const Node& node, const std::string& what) const;
};

// Per-op lowerings (lower_conv_dense.cpp, lower_elementwise_pool.cpp).
void lower_conv(LoweringContext& c, const Node& node);
void lower_dense(LoweringContext& c, const Node& node);  // Gemm and MatMul
void lower_add(LoweringContext& c, const Node& node);
void lower_pool(LoweringContext& c, const Node& node);         // MaxPool, AveragePool
void lower_global_pool(LoweringContext& c, const Node& node);  // GlobalAveragePool, ReduceMean over H, W
void lower_concat(LoweringContext& c, const Node& node);
void lower_pad(LoweringContext& c, const Node& node);
void lower_clamp(LoweringContext& c, const Node& node);  // standalone Relu / Clip
void lower_hardswish(LoweringContext& c, const Node& node);
void lower_softmax(LoweringContext& c, const Node& node);

// (multiplier, shift) of a real multiplier; fails naming the node when it is out of the runtime's range.
topt_requant quantize_multiplier(const LoweringContext& c, const Node& node, double real, int32_t max_shift = 30);

}  // namespace tinyopt::exec
