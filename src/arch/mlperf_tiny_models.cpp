// The four MLPerf Tiny v1.x reference models (closed division), transcribed layer by layer from the
// Keras definitions in github.com/mlcommons/tiny (snapshot 1afd2c9), so that weights trained there map
// one to one onto these graphs. Faithful details: every conv and dense has a bias even when
// BatchNormalization follows (Keras' use_bias default), BN epsilon is Keras' 1e-3, convs use Keras
// "same" padding (extra pad row/col at the end), and the classifier averages the whole final feature
// map with AveragePool. Left out: Dropout (identity at inference) and the final Softmax (tinyopt
// graphs end in logits; training applies the loss to them).
//
// At width 1 (0.25 for mobilenetv1) the conv/dense weights + biases and MACs equal the published
// figures of the int8 reference .tflite files (BatchNormalization folded there), see
// docs/architectures.md and tests/unit/arch_test.cpp.
#include "arch/arch_builder.h"
#include "arch/builtin_architectures.h"

namespace tinyopt::detail {
namespace {

constexpr float kKerasBnEpsilon = 1e-3f;

ConvSpec same_conv(int64_t out_channels, int64_t kernel_h, int64_t kernel_w, int64_t stride = 1) {
  return {.out_channels = out_channels,
          .kernel_h = kernel_h,
          .kernel_w = kernel_w,
          .stride = stride,
          .bias = true,
          .padding = Padding::kSameUpper};
}

// Padding and bias of every Keras conv here, for ArchBuilder::separable.
constexpr ConvSpec kKerasStyle = {.bias = true, .padding = Padding::kSameUpper};

}  // namespace

// KWS DS-CNN: benchmark/training/keyword_spotting/keras_model.py, model_name 'ds_cnn'. Input 49x10
// MFCC (1x49x10 NCHW); conv 64 10x4 stride 2 -> 4x (dw3x3 + pw1x1 64) -> AveragePool 25x5 (the trained
// reference model's pool size) -> FC 12. 22,604 params, 2,656,768 MACs.
Graph build_ds_cnn(const ArchOptions& opts) {
  ArchBuilder b("ds-cnn", opts.seed);
  b.set_bn_epsilon(kKerasBnEpsilon);
  const int64_t filters = scaled_channels(64, opts.width);
  std::string x = b.input({1, 49, 10});
  x = b.conv_bn_act("conv1", x, same_conv(filters, 10, 4, 2), Act::kRelu);  // 25x5
  for (int block = 1; block <= 4; ++block) {
    x = b.separable("block" + std::to_string(block), x, filters, 1, kKerasStyle, Act::kRelu);
  }
  return b.finish_classifier(b.average_pool_all("avgpool", x), opts.num_classes);
}

// IC ResNet-8: benchmark/training/image_classification/keras_model.py, resnet_v1_eembc(conv_filters=16).
// Input 3x32x32; conv3x3 16 -> three stacks (16, 32 stride 2, 64 stride 2), each y = BN(conv3x3(ReLU(
// BN(conv3x3(x))))), x = ReLU(x + y), with a plain 1x1 conv (bias, no BN) on x when the stack strides
// -> AveragePool 8x8 -> FC 10. 77,706 params, 12,501,632 MACs.
Graph build_resnet8(const ArchOptions& opts) {
  ArchBuilder b("resnet8", opts.seed);
  b.set_bn_epsilon(kKerasBnEpsilon);
  std::string x = b.input({3, 32, 32});
  x = b.conv_bn_act("conv1", x, same_conv(scaled_channels(16, opts.width), 3, 3), Act::kRelu);
  const int64_t stack_filters[] = {16, 32, 64};
  for (int stack = 0; stack < 3; ++stack) {
    const std::string name = "stack" + std::to_string(stack + 1);
    const int64_t filters = scaled_channels(stack_filters[stack], opts.width);
    const int64_t stride = stack == 0 ? 1 : 2;
    std::string y = b.conv_bn_act(name + "_conv1", x, same_conv(filters, 3, 3, stride), Act::kRelu);
    ConvSpec second = same_conv(filters, 3, 3);
    second.gain = kLinearGain;  // feeds the residual Add, not a ReLU
    y = b.conv_bn_act(name + "_conv2", y, second, Act::kNone);
    std::string shortcut = x;
    if (stride != 1 || b.channels(x) != filters) {
      ConvSpec projection = same_conv(filters, 1, 1, stride);
      projection.gain = kLinearGain;
      shortcut = b.conv(name + "_shortcut", x, projection);
    }
    x = b.relu(name + "_relu", b.add(name + "_add", shortcut, y));
  }
  return b.finish_classifier(b.average_pool_all("avgpool", x), opts.num_classes);
}

// VWW MobileNetV1: benchmark/training/visual_wake_words/vww_model.py (from SiliconLabs
// platform_ml_models mobilenet_v1_eembc.py), there hard-coded at alpha 0.25 (num_filters = 8). Here
// opts.width is MobileNet's alpha, channels make_divisible(c * alpha, 8). Input 3x96x96; conv3x3
// 32a stride 2 -> 13 blocks (dw3x3 + pw1x1) 64a, 128a/2, 128a, 256a/2, 256a, 512a/2, 5x 512a,
// 1024a/2, 1024a -> AveragePool 3x3 -> FC 2, BN + ReLU after every conv (the reference uses ReLU, not
// ReLU6). At alpha 0.25: 210,850 params, 7,489,664 MACs.
Graph build_mobilenet_v1(const ArchOptions& opts) {
  ArchBuilder b("mobilenetv1", opts.seed);
  b.set_bn_epsilon(kKerasBnEpsilon);
  auto channels = [&](int64_t c) { return make_divisible(static_cast<double>(c) * opts.width, 8); };
  std::string x = b.input({3, 96, 96});
  x = b.conv_bn_act("conv1", x, same_conv(channels(32), 3, 3, 2), Act::kRelu);  // 48x48
  struct Block {
    int64_t out_channels;
    int64_t stride;
  };
  const Block blocks[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                          {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int index = 2;
  for (const Block& block : blocks) {
    x = b.separable("block" + std::to_string(index++), x, channels(block.out_channels), block.stride, kKerasStyle,
                    Act::kRelu);
  }
  return b.finish_classifier(b.average_pool_all("avgpool", x), opts.num_classes);
}

// AD FC autoencoder: benchmark/training/anomaly_detection/keras_model.py, get_model(640). Input 640
// (5 frames x 128 log-mel bins); Dense 128 x4 -> Dense 8 -> Dense 128 x4, each with BN + ReLU ->
// Dense 640 (linear reconstruction, graph output "output"). 265,864 params, 264,192 MACs.
Graph build_fc_autoencoder(const ArchOptions& opts) {
  ArchBuilder b("fc-ae", opts.seed);
  b.set_bn_epsilon(kKerasBnEpsilon);
  constexpr int64_t kInputDim = 640;
  std::string x = b.input({kInputDim});
  const int64_t hidden[] = {128, 128, 128, 128, 8, 128, 128, 128, 128};
  int index = 1;
  for (int64_t units : hidden) {
    const std::string name = "dense" + std::to_string(index++);
    x = b.relu(name + "_relu", b.batch_norm(name + "_bn", b.dense(name, x, scaled_channels(units, opts.width))));
  }
  x = b.dense("dense" + std::to_string(index), x, kInputDim, kLinearGain);
  return b.finish(x, "output");
}

}  // namespace tinyopt::detail
