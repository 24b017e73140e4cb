// Small members of three lightweight CNN families, sized for Fashion-MNIST (1x28x28, 10 classes): the
// building blocks the redesign stage offers (DESIGN.md section 1, stage 0), in the shape each paper
// defines, with BatchNormalization (epsilon 1e-5) after every conv. They are tinyopt's own small
// instances, not the papers' ImageNet networks:
//   squeezenet-fire  SqueezeNet fire modules (Iandola et al. 2016, arXiv:1602.07360)
//   shufflenet       ShuffleNet v1 units, groups 4 (Zhang et al. 2018, arXiv:1707.01083)
//   mbconv           EfficientNet MBConv with squeeze-and-excitation (Tan & Le 2019, arXiv:1905.11946),
//                    ReLU6 as in EfficientNet-lite (integer-friendly, no swish)
#include <algorithm>
#include <cmath>

#include "arch/arch_builder.h"
#include "arch/builtin_architectures.h"

namespace tinyopt::detail {
namespace {

ConvSpec pointwise(int64_t out_channels, int64_t group = 1) {
  return {.out_channels = out_channels, .kernel_h = 1, .kernel_w = 1, .group = group};
}

ConvSpec depthwise(int64_t channels, int64_t stride, float gain = kReluGain) {
  return {.out_channels = channels, .stride = stride, .group = channels, .gain = gain};
}

// Fire module: squeeze 1x1 -> (expand 1x1 || expand 3x3) -> Concat, BN + ReLU after each conv.
std::string fire(ArchBuilder& b, const std::string& name, const std::string& x, int64_t squeeze,
                 int64_t expand) {
  const std::string s = b.conv_bn_act(name + "_squeeze", x, pointwise(squeeze), Act::kRelu);
  const std::string e1 = b.conv_bn_act(name + "_expand1x1", s, pointwise(expand), Act::kRelu);
  const std::string e3 = b.conv_bn_act(name + "_expand3x3", s, {.out_channels = expand}, Act::kRelu);
  return b.concat(name + "_concat", {e1, e3});
}

// ShuffleNet v1 unit. Stride 1: x + branch(x), then ReLU. Stride 2: Concat(AvgPool3x3/2(x), branch(x))
// with the branch producing out - in channels, then ReLU. Branch: grouped 1x1 (bottleneck = out/4) ->
// BN ReLU -> channel shuffle -> dw3x3 -> BN -> grouped 1x1 -> BN.
std::string shuffle_unit(ArchBuilder& b, const std::string& name, const std::string& x, int64_t out_channels,
                         int64_t stride, int64_t groups) {
  const int64_t in_channels = b.channels(x);
  const int64_t branch_out = stride == 1 ? out_channels : out_channels - in_channels;
  const int64_t bottleneck = out_channels / 4 / groups * groups;
  std::string y = b.conv_bn_act(name + "_gconv1", x, pointwise(bottleneck, groups), Act::kRelu);
  y = b.channel_shuffle(name + "_shuffle", y, groups);
  y = b.conv_bn_act(name + "_dw", y, depthwise(bottleneck, stride, kLinearGain), Act::kNone);
  ConvSpec expand = pointwise(branch_out, groups);
  expand.gain = kLinearGain;  // feeds an Add/Concat, not a ReLU
  y = b.conv_bn_act(name + "_gconv2", y, expand, Act::kNone);
  if (stride == 1) return b.relu(name + "_relu", b.add(name + "_add", x, y));
  const std::string shortcut = b.average_pool(name + "_shortcut", x, 3, 3, 2, 2, 1);
  return b.relu(name + "_relu", b.concat(name + "_concat", {shortcut, y}));
}

// Squeeze-and-excitation: x * Sigmoid(Conv1x1(ReLU(Conv1x1(GAP(x))))), the two 1x1 convs with bias
// acting as the FC layers on [N, C, 1, 1].
std::string squeeze_excite(ArchBuilder& b, const std::string& name, const std::string& x, int64_t reduced) {
  std::string s = b.global_average_pool(name + "_gap", x);
  s = b.relu(name + "_reduce_relu", b.conv(name + "_reduce", s, {.out_channels = reduced, .kernel_h = 1,
                                                                 .kernel_w = 1, .bias = true}));
  s = b.conv(name + "_expand", s,
             {.out_channels = b.channels(x), .kernel_h = 1, .kernel_w = 1, .bias = true, .gain = kLinearGain});
  return b.mul(name + "_scale", x, b.sigmoid(name + "_gate", s));
}

// MBConv: expand 1x1 (skipped when expand_ratio is 1) -> dw3x3 -> SE (reduced to in/4) -> project 1x1
// (linear bottleneck) -> + x when the shapes allow.
std::string mbconv_block(ArchBuilder& b, const std::string& name, const std::string& x, int64_t expand_ratio,
                         int64_t out_channels, int64_t stride) {
  const int64_t in_channels = b.channels(x);
  std::string y = x;
  if (expand_ratio != 1) {
    y = b.conv_bn_act(name + "_expand", y, pointwise(in_channels * expand_ratio), Act::kRelu6);
  }
  y = b.conv_bn_act(name + "_dw", y, depthwise(b.channels(y), stride), Act::kRelu6);
  y = squeeze_excite(b, name + "_se", y, std::max<int64_t>(1, in_channels / 4));
  ConvSpec project = pointwise(out_channels);
  project.gain = kLinearGain;
  y = b.conv_bn_act(name + "_project", y, project, Act::kNone);
  if (stride == 1 && in_channels == out_channels) y = b.add(name + "_add", x, y);
  return y;
}

}  // namespace

// conv3x3 32 -> maxpool 2 (14x14) -> fire(16, 32+32) -> fire(16, 32+32) -> maxpool 2 (7x7) ->
// fire(32, 64+64) -> conv1x1 to the classes (SqueezeNet's conv10 classifier) -> GAP -> Flatten.
Graph build_squeezenet_fire(const ArchOptions& opts) {
  ArchBuilder b("squeezenet-fire", opts.seed);
  auto c = [&](int64_t channels) { return scaled_channels(channels, opts.width); };
  std::string x = b.input({1, 28, 28});
  x = b.conv_bn_act("conv1", x, {.out_channels = c(32)}, Act::kRelu);
  x = b.max_pool("pool1", x, 2, 2);
  x = fire(b, "fire2", x, c(16), c(32));
  x = fire(b, "fire3", x, c(16), c(32));
  x = b.max_pool("pool3", x, 2, 2);
  x = fire(b, "fire4", x, c(32), c(64));
  x = b.conv("classifier", x,
             {.out_channels = opts.num_classes, .kernel_h = 1, .kernel_w = 1, .bias = true, .gain = kLinearGain});
  x = b.flatten("flatten", b.global_average_pool("gap", x));
  return b.finish(x, "logits");
}

// conv3x3 24 -> stage 2: unit 96 stride 2 (14x14), unit 96 -> stage 3: unit 192 stride 2 (7x7),
// unit 192 -> GAP -> FC. Width scaling rounds the stem to a multiple of the groups and stage 2 to
// a multiple of 4 * groups, so every grouped conv, bottleneck (out/4) and shuffle divides evenly.
Graph build_shufflenet(const ArchOptions& opts) {
  constexpr int64_t kGroups = 4;
  ArchBuilder b("shufflenet", opts.seed);
  auto round_to = [&](int64_t channels, int64_t multiple) {
    const double scaled = static_cast<double>(channels) * opts.width / static_cast<double>(multiple);
    return std::max<int64_t>(multiple, std::llround(scaled) * multiple);
  };
  const int64_t stage2 = round_to(96, 4 * kGroups);
  const int64_t stage3 = 2 * stage2;
  std::string x = b.input({1, 28, 28});
  x = b.conv_bn_act("conv1", x, {.out_channels = round_to(24, kGroups)}, Act::kRelu);
  x = shuffle_unit(b, "stage2_unit1", x, stage2, 2, kGroups);
  x = shuffle_unit(b, "stage2_unit2", x, stage2, 1, kGroups);
  x = shuffle_unit(b, "stage3_unit1", x, stage3, 2, kGroups);
  x = shuffle_unit(b, "stage3_unit2", x, stage3, 1, kGroups);
  return b.finish_classifier(b.global_average_pool("gap", x), opts.num_classes);
}

// conv3x3 16 -> MBConv(e1, 16) -> MBConv(e4, 24, /2) -> MBConv(e4, 24) -> MBConv(e4, 40, /2) ->
// MBConv(e4, 40) -> conv1x1 128 -> GAP -> FC, i.e. EfficientNet-B0's first stages at 28x28 -> 7x7.
Graph build_mbconv(const ArchOptions& opts) {
  ArchBuilder b("mbconv", opts.seed);
  auto c = [&](int64_t channels) { return scaled_channels(channels, opts.width); };
  std::string x = b.input({1, 28, 28});
  x = b.conv_bn_act("stem", x, {.out_channels = c(16)}, Act::kRelu6);
  struct Block {
    int64_t expand_ratio;
    int64_t out_channels;
    int64_t stride;
  };
  const Block blocks[] = {{1, 16, 1}, {4, 24, 2}, {4, 24, 1}, {4, 40, 2}, {4, 40, 1}};
  int index = 1;
  for (const Block& block : blocks) {
    x = mbconv_block(b, "block" + std::to_string(index++), x, block.expand_ratio, c(block.out_channels),
                     block.stride);
  }
  x = b.conv_bn_act("head", x, pointwise(c(128)), Act::kRelu6);
  return b.finish_classifier(b.global_average_pool("gap", x), opts.num_classes);
}

}  // namespace tinyopt::detail
