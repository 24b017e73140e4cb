// Training-time augmentation of image batches: random crop with zero padding (torchvision's
// RandomCrop(size, padding=pad)) and random horizontal flip, in place on a float (N, C, H, W) batch.
// One crop offset and one flip decision per image, shared by its channels. Deterministic for a seed
// on every platform (draws use random_index.h, not std distributions). Not for evaluation data.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "tinyopt/core/tensor.h"

namespace tinyopt {

struct AugmentOptions {
  int pad = 0;                   // random crop: pad by `pad` zeros on each side, crop back to H x W; 0 = off
  bool horizontal_flip = false;  // mirror left-right with probability 1/2
};

class BatchAugmenter {
 public:
  // Throws kUsage for a negative pad.
  BatchAugmenter(AugmentOptions options, uint64_t seed);

  // Augments `batch` (N, C, H, W) float32 in place; throws kBadInput for another shape or dtype.
  // Allocation-free once it has seen an image of the largest H x W.
  void apply(Tensor& batch);

 private:
  AugmentOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> plane_;  // one H x W channel, the source of a shifted copy
};

}  // namespace tinyopt
