// Float executor, node level: the view ops (Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout),
// Transpose, Concat and Pad against index arithmetic written here, and QuantizeLinear/DequantizeLinear.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using testing::random_int;
using testing::random_tensor;
using testing::run_single;
using testing::values_of;

Tensor ints(std::vector<int64_t> v) { return Tensor::from_i64({static_cast<int64_t>(v.size())}, v); }

// Coordinates of flat index i in shape.
std::vector<int64_t> unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> c(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    c[d] = i % shape[d];
    i /= shape[d];
  }
  return c;
}
int64_t ravel(const std::vector<int64_t>& c, const Shape& shape) {
  int64_t i = 0;
  for (size_t d = 0; d < shape.size(); ++d) i = i * shape[d] + c[d];
  return i;
}

TEST(ExecShapeOps, ViewsReshapeWithoutChangingData) {
  std::mt19937 rng(20);
  const Tensor x = random_tensor(rng, {2, 3, 4});
  const auto same = values_of(x);
  auto shape_of = [&](OpType op, std::vector<Tensor> in, std::map<std::string, Attribute> attrs = {}) {
    const auto out = run_single(op, in, std::move(attrs));
    EXPECT_EQ(values_of(out[0]), same) << op_name(op);
    return out[0].shape();
  };
  EXPECT_EQ(shape_of(OpType::kFlatten, {x}), (Shape{2, 12}));
  EXPECT_EQ(shape_of(OpType::kFlatten, {x}, {{"axis", int64_t{0}}}), (Shape{1, 24}));
  EXPECT_EQ(shape_of(OpType::kFlatten, {x}, {{"axis", int64_t{-1}}}), (Shape{6, 4}));
  EXPECT_EQ(shape_of(OpType::kFlatten, {x}, {{"axis", int64_t{3}}}), (Shape{24, 1}));
  EXPECT_EQ(shape_of(OpType::kReshape, {x, ints({0, -1})}), (Shape{2, 12}));
  EXPECT_EQ(shape_of(OpType::kReshape, {x, ints({4, 0, 2})}), (Shape{4, 3, 2}));
  EXPECT_EQ(shape_of(OpType::kReshape, {x, ints({-1})}), (Shape{24}));
  EXPECT_EQ(shape_of(OpType::kIdentity, {x}), x.shape());
  const Tensor y = random_tensor(rng, {1, 3, 1, 2});
  EXPECT_EQ(run_single(OpType::kSqueeze, {y})[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(run_single(OpType::kSqueeze, {y, ints({-2})})[0].shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(run_single(OpType::kUnsqueeze, {y, ints({0, -1})})[0].shape(), (Shape{1, 1, 3, 1, 2, 1}));
  EXPECT_THROW(run_single(OpType::kSqueeze, {y, ints({1})}), Error);
  EXPECT_THROW(run_single(OpType::kReshape, {x, ints({5, -1})}), Error);
  // allowzero: a 0 is a real zero-size dim, so [0, 4] of a 0-element tensor stays [0, 4].
  const Tensor empty(DType::kF32, {0, 3});
  EXPECT_EQ(run_single(OpType::kReshape, {empty, ints({3, 0})}, {{"allowzero", int64_t{1}}})[0].shape(), (Shape{3, 0}));
}

TEST(ExecShapeOps, DropoutIsIdentityWithAllTrueMask) {
  std::mt19937 rng(21);
  const Tensor x = random_tensor(rng, {4, 5});
  const auto out = run_single(OpType::kDropout, {x, Tensor::scalar_f32(0.3f)}, {}, 2);
  EXPECT_EQ(values_of(out[0]), values_of(x));
  ASSERT_EQ(out[1].dtype(), DType::kBool);
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(out[1].bytes()[i], 1);
  Tensor training(DType::kBool, {});
  training.bytes()[0] = 1;
  EXPECT_THROW(run_single(OpType::kDropout, {x, Tensor::scalar_f32(0.3f), training}), Error);
}

TEST(ExecShapeOps, TransposeRandomPermutations) {
  std::mt19937 rng(22);
  for (int trial = 0; trial < 60; ++trial) {
    const auto rank = static_cast<size_t>(random_int(rng, 1, 5));
    Shape shape(rank);
    for (auto& d : shape) d = random_int(rng, 1, 4);
    std::vector<int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const Tensor x = random_tensor(rng, shape);
    const auto got = run_single(OpType::kTranspose, {x}, {{"perm", perm}}, 1, 1 + trial % 2);
    Shape out(rank);
    for (size_t j = 0; j < rank; ++j) out[j] = shape[static_cast<size_t>(perm[j])];
    ASSERT_EQ(got[0].shape(), out);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const auto c = unravel(i, out);
      std::vector<int64_t> src(rank);
      for (size_t j = 0; j < rank; ++j) src[static_cast<size_t>(perm[j])] = c[j];
      ASSERT_EQ(got[0].data<float>()[i], x.data<float>()[ravel(src, shape)]) << "trial " << trial;
    }
  }
  const Tensor m = random_tensor(rng, {2, 3});  // default perm reverses the dims
  EXPECT_EQ(run_single(OpType::kTranspose, {m})[0].shape(), (Shape{3, 2}));
}

TEST(ExecShapeOps, ConcatAlongEachAxis) {
  std::mt19937 rng(23);
  for (int64_t axis : {0, 1, 2, -1}) {
    const size_t a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
    std::vector<Tensor> parts;
    Shape out = {2, 3, 4};
    out[a] = 0;
    for (int64_t extent : {1, 3, 2}) {
      Shape s = {2, 3, 4};
      s[a] = extent;
      out[a] += extent;
      parts.push_back(random_tensor(rng, s));
    }
    const auto got = run_single(OpType::kConcat, parts, {{"axis", axis}});
    ASSERT_EQ(got[0].shape(), out);
    for (int64_t i = 0; i < got[0].numel(); ++i) {
      auto c = unravel(i, out);
      size_t part = 0;
      while (c[a] >= parts[part].shape()[a]) c[a] -= parts[part++].shape()[a];
      ASSERT_EQ(got[0].data<float>()[i], parts[part].data<float>()[ravel(c, parts[part].shape())]) << "axis " << axis;
    }
  }
}

TEST(ExecShapeOps, PadModesAxesAndNegativePads) {
  const Tensor x = Tensor::from_f32({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  auto pad = [&](std::vector<int64_t> pads, const std::string& mode, std::vector<Tensor> extra = {}) {
    std::vector<Tensor> in = {x, ints(std::move(pads))};
    for (auto& t : extra) in.push_back(t);
    return run_single(OpType::kPad, in, {{"mode", mode}})[0];
  };
  const Tensor c = pad({0, 1, 1, 2}, "constant", {Tensor::scalar_f32(9)});
  EXPECT_EQ(c.shape(), (Shape{3, 6}));
  EXPECT_EQ(values_of(c), (std::vector<float>{9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9}));
  const Tensor r = pad({1, 2, 0, 1}, "reflect");  // numpy.pad(x, ((1,0),(2,1)), 'reflect')
  EXPECT_EQ(values_of(r), (std::vector<float>{6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}));
  const Tensor e = pad({1, 1, 0, 1}, "edge");  // numpy.pad(x, ((1,0),(1,1)), 'edge')
  EXPECT_EQ(values_of(e), (std::vector<float>{1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6}));
  const Tensor neg = pad({0, -1, 0, 0}, "constant");  // crop the first column
  EXPECT_EQ(values_of(neg), (std::vector<float>{2, 3, 5, 6}));
  const Tensor axes = pad({1, 1}, "constant", {Tensor(), ints({-1})});  // pad only the last axis
  EXPECT_EQ(axes.shape(), (Shape{2, 5}));
  EXPECT_EQ(values_of(axes), (std::vector<float>{0, 1, 2, 3, 0, 0, 4, 5, 6, 0}));
  EXPECT_THROW(pad({0, 3, 0, 0}, "reflect"), Error);
}

TEST(ExecShapeOps, QuantizeDequantizeRoundHalfToEvenAndSaturate) {
  const Tensor x = Tensor::from_f32({6}, std::vector<float>{0.0f, 1.0f, 3.0f, 5.0f, -300.0f, 1000.0f});
  Tensor zp(DType::kU8, {});
  zp.data<uint8_t>()[0] = 128;
  const auto q = run_single(OpType::kQuantizeLinear, {x, Tensor::scalar_f32(2.0f), zp});
  ASSERT_EQ(q[0].dtype(), DType::kU8);
  // 0.5 -> 0 and 2.5 -> 2 (half to even); saturates at 0 and 255.
  EXPECT_EQ(std::vector<int>(q[0].data<uint8_t>(), q[0].data<uint8_t>() + 6), (std::vector<int>{128, 128, 130, 130, 0, 255}));
  const auto dq = run_single(OpType::kDequantizeLinear, {q[0], Tensor::scalar_f32(2.0f), zp});
  EXPECT_EQ(values_of(dq[0]), (std::vector<float>{0, 0, 4, 4, -256, 254}));
  // Per-axis int8 along axis 1.
  const Tensor x2 = Tensor::from_f32({2, 2}, std::vector<float>{1, 1, -1, -1});
  Tensor zp2(DType::kI8, {2});
  const auto q2 = run_single(OpType::kQuantizeLinear, {x2, Tensor::from_f32({2}, std::vector<float>{0.5f, 0.25f}), zp2});
  EXPECT_EQ(std::vector<int>(q2[0].data<int8_t>(), q2[0].data<int8_t>() + 4), (std::vector<int>{2, 4, -2, -4}));
}

}  // namespace
}  // namespace tinyopt
