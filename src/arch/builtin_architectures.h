// Builders of the individual built-in architectures, one function each, grouped by family in
// fashion_mnist_models.cpp, mlperf_tiny_models.cpp and lightweight_families.cpp. The public entry point
// (architectures.h / architectures.cpp) validates the options and fills num_classes with the
// architecture's default before calling these, so a builder sees width > 0 and num_classes > 0.
#pragma once

#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::detail {

Graph build_fmnist_cnn(const ArchOptions& opts);
Graph build_fmnist_ds(const ArchOptions& opts);

Graph build_ds_cnn(const ArchOptions& opts);
Graph build_resnet8(const ArchOptions& opts);
Graph build_mobilenet_v1(const ArchOptions& opts);
Graph build_fc_autoencoder(const ArchOptions& opts);

Graph build_squeezenet_fire(const ArchOptions& opts);
Graph build_shufflenet(const ArchOptions& opts);
Graph build_mbconv(const ArchOptions& opts);

}  // namespace tinyopt::detail
