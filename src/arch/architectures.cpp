// The registry of built-in architectures: one table row per name (builder, default class count,
// description), option validation and the provenance metadata every built graph carries.
#include "tinyopt/arch/architectures.h"

#include <cmath>

#include <fmt/format.h>

#include "arch/builtin_architectures.h"
#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

// Bounds that keep a typo from allocating gigabytes: mobilenetv1 at width 4 already has ~50M weights.
constexpr float kMaxWidth = 4.0f;
constexpr int kMaxClasses = 100000;

struct ArchEntry {
  const char* name;
  Graph (*build)(const ArchOptions&);
  int default_classes;  // 0: the architecture has no class count (fc-ae reconstructs its input)
  const char* description;
};

constexpr ArchEntry kArchitectures[] = {
    {"fmnist-cnn", detail::build_fmnist_cnn, 10,
     "Fashion-MNIST teacher: 5 conv3x3 (32-32-64-64-128) + BN/ReLU, 2 max-pools, GAP, FC; 1x28x28"},
    {"fmnist-ds", detail::build_fmnist_ds, 10,
     "Fashion-MNIST depthwise-separable student (13k params): conv3x3 16, 3 dw+pw blocks, GAP, FC; 1x28x28"},
    {"ds-cnn", detail::build_ds_cnn, 12,
     "MLPerf Tiny KWS DS-CNN: conv 10x4/2 64, 4 dw+pw 64 blocks, avgpool, FC 12; 1x49x10 MFCC"},
    {"resnet8", detail::build_resnet8, 10,
     "MLPerf Tiny IC ResNet-8: conv3x3 16, 3 residual stacks (16, 32/2, 64/2), avgpool, FC 10; 3x32x32"},
    {"mobilenetv1", detail::build_mobilenet_v1, 2,
     "MobileNetV1 (width = alpha; 0.25 is the MLPerf Tiny VWW model): conv3x3/2, 13 dw+pw blocks, avgpool, "
     "FC 2; 3x96x96"},
    {"fc-ae", detail::build_fc_autoencoder, 0,
     "MLPerf Tiny AD autoencoder: dense 640-128x4-8-128x4-640 with BN/ReLU; input 640, output 'output'"},
    {"squeezenet-fire", detail::build_squeezenet_fire, 10,
     "SqueezeNet-style: conv3x3 32, 3 fire modules (squeeze 1x1, expand 1x1+3x3, concat), conv1x1 "
     "classifier, GAP; 1x28x28"},
    {"shufflenet", detail::build_shufflenet, 10,
     "ShuffleNet v1-style: conv3x3 24, 4 units (grouped 1x1 g=4, channel shuffle, dw3x3; Add/Concat), GAP, "
     "FC; 1x28x28"},
    {"mbconv", detail::build_mbconv, 10,
     "EfficientNet-style: conv3x3 16, 5 MBConv blocks (expand 1x1, dw3x3, squeeze-excite, project 1x1, "
     "residual), conv1x1 128, GAP, FC; 1x28x28"},
};

std::string known_names() {
  std::string names;
  for (const ArchEntry& entry : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

const ArchEntry& find_architecture(const std::string& name) {
  for (const ArchEntry& entry : kArchitectures) {
    if (name == entry.name) return entry;
  }
  throw_usage("unknown architecture '" + name + "'; built-in architectures are: " + known_names());
}

}  // namespace

Graph build_architecture(const std::string& name, const ArchOptions& opts) {
  const ArchEntry& entry = find_architecture(name);
  if (!std::isfinite(opts.width) || opts.width <= 0.0f || opts.width > kMaxWidth) {
    throw_usage(fmt::format("architecture '{}': width must be in (0, {}], got {}", name, kMaxWidth, opts.width));
  }
  if (opts.num_classes < 0 || opts.num_classes > kMaxClasses) {
    throw_usage(fmt::format("architecture '{}': num_classes must be in [1, {}] (0 = default), got {}", name,
                            kMaxClasses, opts.num_classes));
  }
  if (entry.default_classes == 0 && opts.num_classes != 0) {
    throw_usage(fmt::format("architecture '{}' has no class count (its output reconstructs its input)", name));
  }
  ArchOptions resolved = opts;
  if (resolved.num_classes == 0) resolved.num_classes = entry.default_classes;
  Graph graph = entry.build(resolved);
  graph.metadata["tinyopt.arch.width"] = fmt::format("{}", opts.width);
  return graph;
}

std::vector<std::string> architecture_names() {
  std::vector<std::string> names;
  for (const ArchEntry& entry : kArchitectures) names.emplace_back(entry.name);
  return names;
}

std::string architecture_description(const std::string& name) { return find_architecture(name).description; }

}  // namespace tinyopt
