// ArchBuilder implementation: node construction and weight creation for the built-in architectures.
// The graph is built at batch 1 so that core's infer_node_shapes() gives every output shape as it is
// appended (the builders need them: "same" padding, pooling over the final feature map, channel
// counts); finish() then marks the batch dimension unknown (-1).
#include "arch/arch_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"

namespace tinyopt::detail {
namespace {

constexpr int64_t kBuildBatch = 1;  // replaced by -1 (unknown) in finish()

// (begin, end) padding of one axis.
std::pair<int64_t, int64_t> axis_pads(Padding padding, int64_t in, int64_t kernel, int64_t stride) {
  if (padding == Padding::kSymmetric) return {kernel / 2, kernel / 2};
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}

}  // namespace

int64_t scaled_channels(int64_t channels, float width) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(channels) * width));
}

int64_t make_divisible(double v, int64_t divisor) {
  int64_t rounded = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * v) rounded += divisor;
  return rounded;
}

ArchBuilder::ArchBuilder(std::string arch_name, uint64_t seed) : seed_(seed) {
  graph_.name = std::move(arch_name);
  graph_.opset = 18;  // the IR's op semantics (Clip bounds and Reshape shape as inputs)
}

std::string ArchBuilder::input(const Shape& dims_without_batch) {
  Value v;
  v.name = "input";
  v.shape = {kBuildBatch};
  v.shape.insert(v.shape.end(), dims_without_batch.begin(), dims_without_batch.end());
  graph_.set_value(std::move(v));
  graph_.inputs.push_back("input");
  return "input";
}

void ArchBuilder::append(OpType op, const std::string& name, std::vector<std::string> inputs,
                         std::map<std::string, Attribute> attrs) {
  if (graph_.has_value(name)) throw_internal("architecture '" + graph_.name + "' reuses the name '" + name + "'");
  Node node;
  node.name = name;
  node.op = op;
  node.inputs = std::move(inputs);
  node.outputs = {name};
  node.attrs = std::move(attrs);
  Value out;
  out.name = name;
  try {
    out.shape = infer_node_shapes(graph_, node).at(0);
  } catch (const Error& e) {
    // The options were validated, so a layer that does not fit is a bug in the builder.
    throw_internal("architecture '" + graph_.name + "': " + e.what());
  }
  graph_.nodes.push_back(std::move(node));
  graph_.set_value(std::move(out));
}

std::string ArchBuilder::initializer(const std::string& name, Tensor data) {
  Value v;
  v.name = name;
  v.shape = data.shape();
  v.dtype = data.dtype();
  v.data = std::move(data);
  graph_.set_value(std::move(v));
  return name;
}

void ArchBuilder::require_rank(const std::string& x, size_t rank, const char* what) const {
  if (shape(x).size() != rank) {
    throw_internal("architecture '" + graph_.name + "': " + what + " expects a rank-" + std::to_string(rank) +
                   " input, '" + x + "' has shape " + shape_str(shape(x)));
  }
}

std::string ArchBuilder::conv(const std::string& name, const std::string& x, const ConvSpec& spec) {
  require_rank(x, 4, "Conv");
  const Shape& in = shape(x);
  const int64_t in_channels = in[1];
  if (spec.out_channels <= 0 || in_channels % spec.group != 0 || spec.out_channels % spec.group != 0) {
    throw_internal("architecture '" + graph_.name + "': conv '" + name + "' has " + std::to_string(in_channels) +
                   " -> " + std::to_string(spec.out_channels) + " channels in " + std::to_string(spec.group) +
                   " groups");
  }
  const auto [top, bottom] = axis_pads(spec.padding, in[2], spec.kernel_h, spec.stride);
  const auto [left, right] = axis_pads(spec.padding, in[3], spec.kernel_w, spec.stride);
  const int64_t in_per_group = in_channels / spec.group;
  const Shape weight_shape = {spec.out_channels, in_per_group, spec.kernel_h, spec.kernel_w};
  std::vector<std::string> inputs = {
      x, initializer(name + ".weight", kaiming_normal(weight_shape, in_per_group * spec.kernel_h * spec.kernel_w,
                                                      spec.gain, seed_, name + ".weight"))};
  if (spec.bias) inputs.push_back(initializer(name + ".bias", filled_f32({spec.out_channels}, 0.0f)));
  append(OpType::kConv, name, std::move(inputs),
         {{"kernel_shape", std::vector<int64_t>{spec.kernel_h, spec.kernel_w}},
          {"strides", std::vector<int64_t>{spec.stride, spec.stride}},
          {"pads", std::vector<int64_t>{top, left, bottom, right}},
          {"dilations", std::vector<int64_t>{1, 1}},
          {"group", spec.group}});
  return name;
}

std::string ArchBuilder::batch_norm(const std::string& name, const std::string& x) {
  const int64_t c = channels(x);
  std::vector<std::string> inputs = {x, initializer(name + ".scale", filled_f32({c}, 1.0f)),
                                     initializer(name + ".bias", filled_f32({c}, 0.0f)),
                                     initializer(name + ".mean", filled_f32({c}, 0.0f)),
                                     initializer(name + ".var", filled_f32({c}, 1.0f))};
  append(OpType::kBatchNormalization, name, std::move(inputs), {{"epsilon", bn_epsilon_}});
  return name;
}

std::string ArchBuilder::relu(const std::string& name, const std::string& x) {
  append(OpType::kRelu, name, {x}, {});
  return name;
}

std::string ArchBuilder::relu6(const std::string& name, const std::string& x) {
  std::vector<std::string> inputs = {x, initializer(name + ".min", Tensor::scalar_f32(0.0f)),
                                     initializer(name + ".max", Tensor::scalar_f32(6.0f))};
  append(OpType::kClip, name, std::move(inputs), {});
  return name;
}

std::string ArchBuilder::sigmoid(const std::string& name, const std::string& x) {
  append(OpType::kSigmoid, name, {x}, {});
  return name;
}

std::string ArchBuilder::conv_bn_act(const std::string& name, const std::string& x, const ConvSpec& spec,
                                     Act act) {
  std::string y = batch_norm(name + "_bn", conv(name, x, spec));
  if (act == Act::kRelu) return relu(name + "_relu", y);
  if (act == Act::kRelu6) return relu6(name + "_relu6", y);
  return y;
}

std::string ArchBuilder::separable(const std::string& name, const std::string& x, int64_t out_channels,
                                   int64_t stride, const ConvSpec& style, Act act) {
  const int64_t in_channels = channels(x);
  const std::string dw = conv_bn_act(name + "_dw", x,
                                     {.out_channels = in_channels, .stride = stride, .group = in_channels,
                                      .bias = style.bias, .padding = style.padding},
                                     act);
  return conv_bn_act(name + "_pw", dw,
                     {.out_channels = out_channels, .kernel_h = 1, .kernel_w = 1, .bias = style.bias,
                      .padding = style.padding},
                     act);
}

std::string ArchBuilder::dense(const std::string& name, const std::string& x, int64_t out_features, float gain) {
  require_rank(x, 2, "Gemm");
  const int64_t in_features = shape(x)[1];
  std::vector<std::string> inputs = {
      x,
      initializer(name + ".weight",
                  kaiming_normal({out_features, in_features}, in_features, gain, seed_, name + ".weight")),
      initializer(name + ".bias", filled_f32({out_features}, 0.0f))};
  append(OpType::kGemm, name, std::move(inputs), {{"transB", int64_t{1}}});
  return name;
}

std::string ArchBuilder::pool(OpType op, const std::string& name, const std::string& x, int64_t kernel_h,
                              int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad) {
  // AveragePool keeps count_include_pad = 0 (the ONNX default): padded cells do not dilute border averages.
  append(op, name, {x},
         {{"kernel_shape", std::vector<int64_t>{kernel_h, kernel_w}},
          {"strides", std::vector<int64_t>{stride_h, stride_w}},
          {"pads", std::vector<int64_t>{pad, pad, pad, pad}}});
  return name;
}

std::string ArchBuilder::max_pool(const std::string& name, const std::string& x, int64_t kernel, int64_t stride,
                                  int64_t pad) {
  return pool(OpType::kMaxPool, name, x, kernel, kernel, stride, stride, pad);
}

std::string ArchBuilder::average_pool(const std::string& name, const std::string& x, int64_t kernel_h,
                                      int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad) {
  return pool(OpType::kAveragePool, name, x, kernel_h, kernel_w, stride_h, stride_w, pad);
}

std::string ArchBuilder::average_pool_all(const std::string& name, const std::string& x) {
  require_rank(x, 4, "AveragePool");
  const Shape& in = shape(x);
  return average_pool(name, x, in[2], in[3], in[2], in[3]);
}

std::string ArchBuilder::global_average_pool(const std::string& name, const std::string& x) {
  append(OpType::kGlobalAveragePool, name, {x}, {});
  return name;
}

std::string ArchBuilder::flatten(const std::string& name, const std::string& x) {
  append(OpType::kFlatten, name, {x}, {{"axis", int64_t{1}}});
  return name;
}

std::string ArchBuilder::add(const std::string& name, const std::string& a, const std::string& b) {
  if (shape(a) != shape(b)) {
    throw_internal("architecture '" + graph_.name + "': Add '" + name + "' of " + shape_str(shape(a)) + " and " +
                   shape_str(shape(b)));
  }
  append(OpType::kAdd, name, {a, b}, {});
  return name;
}

std::string ArchBuilder::mul(const std::string& name, const std::string& a, const std::string& b) {
  append(OpType::kMul, name, {a, b}, {});
  return name;
}

std::string ArchBuilder::concat(const std::string& name, const std::vector<std::string>& xs) {
  append(OpType::kConcat, name, xs, {{"axis", int64_t{1}}});
  return name;
}

std::string ArchBuilder::channel_shuffle(const std::string& name, const std::string& x, int64_t groups) {
  require_rank(x, 4, "channel shuffle");
  const Shape in = shape(x);
  const int64_t c = in[1];
  if (c % groups != 0) {
    throw_internal("architecture '" + graph_.name + "': shuffle '" + name + "' of " + std::to_string(c) +
                   " channels in " + std::to_string(groups) + " groups");
  }
  // -1 stands for the batch dimension in both Reshape targets.
  const std::vector<int64_t> split = {-1, groups, c / groups, in[2], in[3]};
  const std::vector<int64_t> merged = {-1, c, in[2], in[3]};
  const std::string split_name = name + "_split";
  const std::string transpose_name = name + "_transpose";
  append(OpType::kReshape, split_name, {x, initializer(split_name + ".shape", Tensor::from_i64({5}, split))}, {});
  append(OpType::kTranspose, transpose_name, {split_name}, {{"perm", std::vector<int64_t>{0, 2, 1, 3, 4}}});
  append(OpType::kReshape, name, {transpose_name, initializer(name + ".shape", Tensor::from_i64({4}, merged))}, {});
  return name;
}

Graph ArchBuilder::finish_classifier(const std::string& pooled, int64_t num_classes) {
  return finish(dense("fc", flatten("flatten", pooled), num_classes, kLinearGain), "logits");
}

Graph ArchBuilder::finish(const std::string& last, const std::string& output_name) {
  if (last != output_name) {
    const int producer = graph_.producer(last);
    if (producer < 0 || !graph_.consumers(last).empty()) {
      throw_internal("architecture '" + graph_.name + "': output '" + last + "' is not a dangling node output");
    }
    for (std::string& out : graph_.nodes[static_cast<size_t>(producer)].outputs) {
      if (out == last) out = output_name;
    }
    Value v = graph_.value(last);
    graph_.erase_value(last);
    v.name = output_name;
    graph_.set_value(std::move(v));
  }
  graph_.outputs = {output_name};
  // Every activation here is batch-major (Reshape targets already say -1), so the batch becomes unknown.
  graph_.value("input").shape[0] = -1;
  for (const Node& node : graph_.nodes) graph_.value(node.outputs[0]).shape[0] = -1;
  graph_.metadata["tinyopt.arch"] = graph_.name;
  graph_.metadata["tinyopt.arch.seed"] = std::to_string(seed_);
  return std::move(graph_);
}

}  // namespace tinyopt::detail
