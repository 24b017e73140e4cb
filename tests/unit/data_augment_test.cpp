// Batch augmentation: shape kept, determinism per seed, crop = shifted copy with zero fill, flip =
// mirrored rows, channels of one image moved together.
#include <gtest/gtest.h>

#include <cmath>

#include "tinyopt/core/error.h"
#include "tinyopt/data/augment.h"

namespace tinyopt {
namespace {

// (n, c, h, w) with distinct positive values: 1 + index.
Tensor ramp(int64_t n, int64_t c, int64_t h, int64_t w) {
  Tensor t(DType::kF32, {n, c, h, w});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(1 + i);
  return t;
}

bool same(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a.data<float>()[i] != b.data<float>()[i]) return false;
  return true;
}

TEST(DataAugment, KeepsShapeAndIsDeterministicPerSeed) {
  Tensor a = ramp(16, 3, 8, 8), b = a.clone(), c = a.clone(), original = a.clone();
  BatchAugmenter aug_a({2, true}, 11), aug_b({2, true}, 11), aug_c({2, true}, 12);
  aug_a.apply(a);
  aug_b.apply(b);
  aug_c.apply(c);
  EXPECT_EQ(a.shape(), original.shape());
  EXPECT_TRUE(same(a, b));
  EXPECT_FALSE(same(a, c));
  EXPECT_FALSE(same(a, original));
  // The next batch draws new offsets: applying again to a copy of the original gives another result.
  Tensor again = original.clone();
  aug_b.apply(again);
  EXPECT_FALSE(same(again, a));
}

// Each augmented image must be its original shifted by some (dy, dx) in [-pad, pad], zero-filled,
// maybe mirrored, with one transform for all channels.
TEST(DataAugment, CropIsAZeroFilledShiftAndFlipMirrors) {
  const int pad = 2;
  const int64_t n = 32, ch = 2, h = 5, w = 6;
  Tensor x = ramp(n, ch, h, w), original = x.clone();
  BatchAugmenter aug({pad, true}, 3);
  aug.apply(x);
  int flips = 0, shifted = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip) {
      for (int dy = -pad; dy <= pad && !found; ++dy) {
        for (int dx = -pad; dx <= pad && !found; ++dx) {
          bool ok = true;
          for (int64_t c = 0; c < ch && ok; ++c) {
            for (int64_t y = 0; y < h && ok; ++y) {
              for (int64_t xx = 0; xx < w && ok; ++xx) {
                int64_t cx = flip ? w - 1 - xx : xx;  // flip is applied after the crop
                int64_t sy = y + dy, sx = cx + dx;
                float want = (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                 ? 0.0f
                                 : original.data<float>()[((i * ch + c) * h + sy) * w + sx];
                ok = x.data<float>()[((i * ch + c) * h + y) * w + xx] == want;
              }
            }
          }
          if (ok) {
            found = true;
            flips += flip;
            shifted += (dy != 0 || dx != 0);
          }
        }
      }
    }
    EXPECT_TRUE(found) << "image " << i << " is not a shifted/flipped copy of its original";
  }
  EXPECT_GT(flips, 4);
  EXPECT_LT(flips, 28);
  EXPECT_GT(shifted, 16);
}

TEST(DataAugment, NoOpOptionsLeaveTheBatchAlone) {
  Tensor x = ramp(4, 1, 3, 3), original = x.clone();
  BatchAugmenter aug({0, false}, 1);
  aug.apply(x);
  EXPECT_TRUE(same(x, original));
}

TEST(DataAugment, RejectsBadShapesAndOptions) {
  BatchAugmenter aug({1, true}, 1);
  Tensor flat(DType::kF32, {4, 10});
  EXPECT_THROW(aug.apply(flat), Error);
  Tensor bytes(DType::kU8, {1, 1, 2, 2});
  EXPECT_THROW(aug.apply(bytes), Error);
  EXPECT_THROW(BatchAugmenter({-1, false}, 1), Error);
}

}  // namespace
}  // namespace tinyopt
