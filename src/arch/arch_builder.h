// ArchBuilder: a small fluent helper that appends layers to an IR Graph for the built-in architectures.
// Each call adds one node (or a fixed small group of nodes), creates and initializes its weights, records
// the output shape and returns the output value's name, so a network reads top to bottom:
//
//   ArchBuilder b("fmnist-cnn", opts.seed);
//   std::string x = b.input({1, 28, 28});
//   x = b.conv_bn_act("conv1", x, {.out_channels = 32}, Act::kRelu);  // conv1, conv1_bn, conv1_relu
//   ...
//   Graph g = b.finish(x, "logits");
//
// Naming: a node's output value has the node's name; weights are "<node>.weight" / "<node>.bias", BN
// parameters "<node>.scale|bias|mean|var". Layout NCHW, ONNX opset-18 forms (Clip bounds and Reshape
// shapes are initializer inputs). It is not a general graph-editing API: it only appends.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "arch/weight_init.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::detail {

enum class Padding {
  kSymmetric,  // kernel/2 on every side (PyTorch's padding=k//2); odd kernels
  kSameUpper,  // TensorFlow/Keras "same": out = ceil(in / stride), the odd extra pad row/col at the end
};

enum class Act { kNone, kRelu, kRelu6 };

struct ConvSpec {
  int64_t out_channels = 0;
  int64_t kernel_h = 3;
  int64_t kernel_w = 3;
  int64_t stride = 1;
  int64_t group = 1;  // group == in == out channels makes a depthwise conv
  bool bias = false;  // false when BatchNormalization follows (its beta is the bias)
  Padding padding = Padding::kSymmetric;
  float gain = kReluGain;  // Kaiming gain of what follows: kLinearGain before Add/Sigmoid/logits
};

// round(channels * width), at least 1.
int64_t scaled_channels(int64_t channels, float width);
// MobileNet's make_divisible: nearest multiple of `divisor` (at least `divisor`), never below 90% of v.
int64_t make_divisible(double v, int64_t divisor);

class ArchBuilder {
 public:
  ArchBuilder(std::string arch_name, uint64_t seed);

  // BatchNormalization epsilon for subsequent batch_norm calls (ONNX/PyTorch default 1e-5; Keras 1e-3).
  void set_bn_epsilon(float epsilon) { bn_epsilon_ = epsilon; }

  // Declares the graph input "input" with shape [-1, dims...] (batch 1 until finish()).
  std::string input(const Shape& dims_without_batch);

  std::string conv(const std::string& name, const std::string& x, const ConvSpec& spec);
  std::string batch_norm(const std::string& name, const std::string& x);
  std::string relu(const std::string& name, const std::string& x);
  std::string relu6(const std::string& name, const std::string& x);  // Clip(x, 0, 6)
  std::string sigmoid(const std::string& name, const std::string& x);
  // conv -> "<name>_bn" -> "<name>_relu" / "<name>_relu6" (no activation node for Act::kNone).
  std::string conv_bn_act(const std::string& name, const std::string& x, const ConvSpec& spec, Act act);
  // Depthwise-separable block: "<name>_dw" (dw3x3, stride) -> BN -> act -> "<name>_pw" (1x1 to
  // out_channels) -> BN -> act. `style` supplies padding and bias; its other fields are ignored.
  std::string separable(const std::string& name, const std::string& x, int64_t out_channels, int64_t stride,
                        const ConvSpec& style, Act act);
  // Gemm with transB=1: weight [out_features, in_features], bias [out_features].
  std::string dense(const std::string& name, const std::string& x, int64_t out_features,
                    float gain = kReluGain);

  std::string max_pool(const std::string& name, const std::string& x, int64_t kernel, int64_t stride,
                       int64_t pad = 0);
  std::string average_pool(const std::string& name, const std::string& x, int64_t kernel_h,
                           int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad = 0);
  // AveragePool whose kernel and stride cover the whole remaining H x W (Keras' AveragePooling2D over
  // the final feature map, as in the MLPerf Tiny reference models).
  std::string average_pool_all(const std::string& name, const std::string& x);
  std::string global_average_pool(const std::string& name, const std::string& x);
  std::string flatten(const std::string& name, const std::string& x);
  std::string add(const std::string& name, const std::string& a, const std::string& b);
  // Element-wise a * b where b may be [N, C, 1, 1] broadcast over a's [N, C, H, W].
  std::string mul(const std::string& name, const std::string& a, const std::string& b);
  std::string concat(const std::string& name, const std::vector<std::string>& xs);  // along channels
  // ShuffleNet's channel shuffle: "<name>_split" Reshape [N, g, C/g, H, W], "<name>_transpose"
  // (0, 2, 1, 3, 4), "<name>" Reshape back to [N, C, H, W].
  std::string channel_shuffle(const std::string& name, const std::string& x, int64_t groups);

  const Shape& shape(const std::string& x) const { return graph_.value(x).shape; }
  int64_t channels(const std::string& x) const { return shape(x).at(1); }

  // The common classifier head: "flatten" -> "fc" (Gemm, linear gain) -> graph output "logits"; then
  // finish().
  Graph finish_classifier(const std::string& pooled, int64_t num_classes);

  // Renames the value `last` (no consumers yet) to `output_name`, makes it the graph output, sets the
  // batch dimension of the input and every activation to -1 and returns the graph with metadata
  // "tinyopt.arch" = arch name and "tinyopt.arch.seed".
  Graph finish(const std::string& last, const std::string& output_name);

 private:
  // Appends the node with output value `name`, its shape from infer_node_shapes().
  void append(OpType op, const std::string& name, std::vector<std::string> inputs,
              std::map<std::string, Attribute> attrs);
  std::string initializer(const std::string& name, Tensor data);
  std::string pool(OpType op, const std::string& name, const std::string& x, int64_t kernel_h, int64_t kernel_w,
                   int64_t stride_h, int64_t stride_w, int64_t pad);
  void require_rank(const std::string& x, size_t rank, const char* what) const;

  Graph graph_;
  uint64_t seed_;
  float bn_epsilon_ = 1e-5f;
};

}  // namespace tinyopt::detail
