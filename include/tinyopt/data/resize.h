// Image resizing for datasets: what a model whose input resolution was scaled (redesign.h,
// scale_resolution) needs to be trained and evaluated on the original data. Bilinear interpolation with
// half-pixel centers (PyTorch's F.interpolate(mode="bilinear", align_corners=False) without antialiasing,
// and the ONNX Resize "half_pixel" mode). Not an augmentation (augment.h) and not part of the model.
#pragma once

#include <cstdint>

#include "tinyopt/data/dataset.h"

namespace tinyopt {

// The dataset with every (N, C, H, W) image resized to height x width; labels are kept. A dataset already
// at that size is returned unchanged. Throws Error(kBadInput) for data that is not rank-4 images and
// Error(kUsage) for a size below 1.
Dataset resize_images(const Dataset& data, int64_t height, int64_t width);

}  // namespace tinyopt
