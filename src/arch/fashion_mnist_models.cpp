// The two Fashion-MNIST built-ins: the teacher CNN (`fmnist-cnn`, the default model tinyopt ships and
// optimizes) and a depthwise-separable student (`fmnist-ds`, 10-20k parameters) for distillation.
// Both are tinyopt's own designs (no external reference): 1x28x28 input, 10 classes, PyTorch-style
// symmetric padding, BatchNormalization (epsilon 1e-5) + ReLU after every conv, convs without bias.
#include "arch/arch_builder.h"
#include "arch/builtin_architectures.h"

namespace tinyopt::detail {

// conv3x3 32 -> conv3x3 32 -> maxpool 2 -> conv3x3 64 -> conv3x3 64 -> maxpool 2 -> conv3x3 128 ->
// GAP -> FC. 139.8k parameters (141.1k with BN), 21.9M MACs at width 1.
Graph build_fmnist_cnn(const ArchOptions& opts) {
  ArchBuilder b("fmnist-cnn", opts.seed);
  std::string x = b.input({1, 28, 28});
  auto conv3x3 = [&](const std::string& name, const std::string& in, int64_t channels) {
    return b.conv_bn_act(name, in, {.out_channels = scaled_channels(channels, opts.width)}, Act::kRelu);
  };
  x = conv3x3("conv1", x, 32);
  x = conv3x3("conv2", x, 32);
  x = b.max_pool("pool1", x, 2, 2);  // 14x14
  x = conv3x3("conv3", x, 64);
  x = conv3x3("conv4", x, 64);
  x = b.max_pool("pool2", x, 2, 2);  // 7x7
  x = conv3x3("conv5", x, 128);
  return b.finish_classifier(b.global_average_pool("gap", x), opts.num_classes);
}

// conv3x3 16 -> three depthwise-separable blocks (dw3x3 + pw1x1): 32 at stride 2 (14x14), 64 at
// stride 2 (7x7), 128 at stride 1 -> GAP -> FC. 13.2k parameters (14.6k with BN), 0.79M MACs at
// width 1: the MobileNet recipe shrunk to the teacher's input.
Graph build_fmnist_ds(const ArchOptions& opts) {
  ArchBuilder b("fmnist-ds", opts.seed);
  std::string x = b.input({1, 28, 28});
  x = b.conv_bn_act("conv1", x, {.out_channels = scaled_channels(16, opts.width)}, Act::kRelu);
  struct Block {
    int64_t out_channels;
    int64_t stride;
  };
  const Block blocks[] = {{32, 2}, {64, 2}, {128, 1}};
  int index = 2;
  for (const Block& block : blocks) {
    x = b.separable("block" + std::to_string(index++), x, scaled_channels(block.out_channels, opts.width),
                    block.stride, ConvSpec{}, Act::kRelu);
  }
  return b.finish_classifier(b.global_average_pool("gap", x), opts.num_classes);
}

}  // namespace tinyopt::detail
