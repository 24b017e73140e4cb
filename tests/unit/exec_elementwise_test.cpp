// Float executor: broadcasting Add/Sub/Mul/Div (float and integer), activations and Softmax against
// direct formulas evaluated here element by element.
#include <gtest/gtest.h>

#include <cmath>

#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using testing::all_close;
using testing::random_int;
using testing::random_tensor;
using testing::run_single;
using testing::values_of;

// Flat offset into `shape` (right-aligned to out's rank, size-1 dims broadcast) of output coordinate `coord`.
int64_t broadcast_offset(const Shape& shape, const Shape& out, const std::vector<int64_t>& coord) {
  int64_t off = 0;
  const size_t skip = out.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) off = off * shape[i] + (shape[i] == 1 ? 0 : coord[skip + i]);
  return off;
}

template <typename T, typename Fn>
std::vector<T> naive_binary(const Shape& sa, const std::vector<T>& a, const Shape& sb, const std::vector<T>& b, Fn fn) {
  const size_t rank = std::max(sa.size(), sb.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - sa.size() ? 1 : sa[i - (rank - sa.size())];
    const int64_t db = i < rank - sb.size() ? 1 : sb[i - (rank - sb.size())];
    out[i] = std::max(da, db);
  }
  std::vector<T> y(static_cast<size_t>(shape_numel(out)));
  std::vector<int64_t> coord(rank, 0);
  for (size_t i = 0; i < y.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i);
    for (size_t d = rank; d-- > 0;) {
      coord[d] = rem % out[d];
      rem /= out[d];
    }
    y[i] = fn(a[static_cast<size_t>(broadcast_offset(sa, out, coord))], b[static_cast<size_t>(broadcast_offset(sb, out, coord))]);
  }
  return y;
}

// Random pair of broadcast-compatible shapes: each dim of each operand is the full size or 1, ranks differ.
std::pair<Shape, Shape> random_broadcast_shapes(std::mt19937& rng) {
  const auto rank = static_cast<size_t>(random_int(rng, 0, 4));
  Shape full(rank), a, b;
  for (auto& d : full) d = random_int(rng, 1, 5);
  const auto ra = static_cast<size_t>(random_int(rng, 0, static_cast<int64_t>(rank)));
  const auto rb = static_cast<size_t>(random_int(rng, 0, static_cast<int64_t>(rank)));
  for (size_t i = rank - ra; i < rank; ++i) a.push_back(random_int(rng, 0, 2) == 0 ? 1 : full[i]);
  for (size_t i = rank - rb; i < rank; ++i) b.push_back(random_int(rng, 0, 2) == 0 ? 1 : full[i]);
  return {a, b};
}

TEST(ExecElementwise, FloatBinaryOpsBroadcastLikeNumpy) {
  std::mt19937 rng(1);
  const std::pair<OpType, float (*)(float, float)> ops[] = {
      {OpType::kAdd, [](float x, float y) { return x + y; }},
      {OpType::kSub, [](float x, float y) { return x - y; }},
      {OpType::kMul, [](float x, float y) { return x * y; }},
      {OpType::kDiv, [](float x, float y) { return x / y; }},
  };
  for (int trial = 0; trial < 200; ++trial) {
    auto [sa, sb] = random_broadcast_shapes(rng);
    if (trial == 0) { sa = {2, 3, 4, 5}; sb = {1, 3, 1, 1}; }  // per-channel bias
    const Tensor a = random_tensor(rng, sa), b = random_tensor(rng, sb, 0.5f, 2.0f);
    const auto& [op, fn] = ops[trial % 4];
    const auto want = naive_binary(sa, values_of(a), sb, values_of(b), fn);
    const auto got = run_single(op, {a, b}, {}, 1, 1 + trial % 2);
    ASSERT_TRUE(all_close(values_of(got[0]), want, 1e-6f, 1e-6f))
        << op_name(op) << " " << shape_str(sa) << " with " << shape_str(sb);
  }
}

TEST(ExecElementwise, IntegerBinaryOpsTruncateAndBroadcast) {
  const Tensor a = Tensor::from_i64({2, 3}, std::vector<int64_t>{7, -7, 9, 10, 11, 12});
  const Tensor b = Tensor::from_i64({3}, std::vector<int64_t>{2, 2, 0});
  const auto div = run_single(OpType::kDiv, {a, b});
  EXPECT_EQ(std::vector<int64_t>(div[0].data<int64_t>(), div[0].data<int64_t>() + 6),
            (std::vector<int64_t>{3, -3, 0, 5, 5, 0}));  // x/0 gives 0 instead of trapping
  const auto sub = run_single(OpType::kSub, {a, b});
  EXPECT_EQ(sub[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(sub[0].data<int64_t>()[1], -9);
  Tensor u(DType::kU8, {3}), v(DType::kU8, {3});
  for (int i = 0; i < 3; ++i) { u.data<uint8_t>()[i] = static_cast<uint8_t>(250 + i); v.data<uint8_t>()[i] = 10; }
  const auto add = run_single(OpType::kAdd, {u, v});
  EXPECT_EQ(add[0].data<uint8_t>()[0], 4);  // wraps like numpy uint8
}

TEST(ExecElementwise, MismatchedShapesAndDtypesAreErrors) {
  std::mt19937 rng(2);
  EXPECT_THROW(run_single(OpType::kAdd, {random_tensor(rng, {2, 3}), random_tensor(rng, {4})}), Error);
  EXPECT_THROW(run_single(OpType::kAdd, {random_tensor(rng, {3}), Tensor::from_i64({3}, std::vector<int64_t>{1, 2, 3})}),
               Error);
}

TEST(ExecElementwise, ActivationsMatchOnnxFormulas) {
  std::mt19937 rng(3);
  const Tensor x = random_tensor(rng, {3, 7, 5}, -8.0f, 8.0f);
  const auto xs = values_of(x);
  auto check = [&](OpType op, std::map<std::string, Attribute> attrs, auto fn) {
    std::vector<float> want;
    for (float v : xs) want.push_back(fn(v));
    const auto got = run_single(op, {x}, std::move(attrs));
    EXPECT_TRUE(all_close(values_of(got[0]), want, 1e-6f, 1e-5f)) << op_name(op);
  };
  check(OpType::kRelu, {}, [](float v) { return std::max(v, 0.0f); });
  check(OpType::kLeakyRelu, {}, [](float v) { return v < 0 ? 0.01f * v : v; });
  check(OpType::kLeakyRelu, {{"alpha", 0.3f}}, [](float v) { return v < 0 ? 0.3f * v : v; });
  check(OpType::kSigmoid, {}, [](float v) { return static_cast<float>(1.0 / (1.0 + std::exp(-double{v}))); });
  check(OpType::kTanh, {}, [](float v) { return static_cast<float>(std::tanh(double{v})); });
  check(OpType::kHardSigmoid, {}, [](float v) { return std::clamp(0.2f * v + 0.5f, 0.0f, 1.0f); });
  check(OpType::kHardSigmoid, {{"alpha", 0.5f}, {"beta", 0.6f}}, [](float v) { return std::clamp(0.5f * v + 0.6f, 0.0f, 1.0f); });
  check(OpType::kHardSwish, {}, [](float v) { return v * std::clamp(v / 6.0f + 0.5f, 0.0f, 1.0f); });
}

TEST(ExecElementwise, ClipTakesOptionalBoundsAsInputs) {
  const Tensor x = Tensor::from_f32({5}, std::vector<float>{-3, -1, 0, 2, 9});
  const auto both = run_single(OpType::kClip, {x, Tensor::scalar_f32(-1.5f), Tensor::scalar_f32(4.0f)});
  EXPECT_EQ(values_of(both[0]), (std::vector<float>{-1.5f, -1, 0, 2, 4}));
  const auto max_only = run_single(OpType::kClip, {x, Tensor(), Tensor::scalar_f32(1.0f)});
  EXPECT_EQ(values_of(max_only[0]), (std::vector<float>{-3, -1, 0, 1, 1}));
  const auto none = run_single(OpType::kClip, {x});
  EXPECT_EQ(values_of(none[0]), values_of(x));
  Tensor q(DType::kI8, {3}), lo(DType::kI8, {}), hi(DType::kI8, {});
  q.data<int8_t>()[0] = -100; q.data<int8_t>()[1] = 5; q.data<int8_t>()[2] = 100;
  lo.data<int8_t>()[0] = -10; hi.data<int8_t>()[0] = 10;
  const auto qi = run_single(OpType::kClip, {q, lo, hi});
  EXPECT_EQ(qi[0].data<int8_t>()[0], -10);
  EXPECT_EQ(qi[0].data<int8_t>()[2], 10);
}

TEST(ExecElementwise, SoftmaxAlongEachAxis) {
  std::mt19937 rng(4);
  const Shape shape = {2, 3, 4};
  const Tensor x = random_tensor(rng, shape, -30.0f, 30.0f);
  const auto xs = values_of(x);
  for (int64_t axis : {0, 1, 2, -1, -3}) {
    const int64_t a = axis < 0 ? axis + 3 : axis;
    std::vector<float> want(xs.size());
    const auto strides = shape_strides(shape);
    for (size_t i = 0; i < xs.size(); ++i) {
      // Sum over the axis line through element i.
      const int64_t coord = (static_cast<int64_t>(i) / strides[static_cast<size_t>(a)]) % shape[static_cast<size_t>(a)];
      const int64_t base = static_cast<int64_t>(i) - coord * strides[static_cast<size_t>(a)];
      double mx = -1e30, sum = 0;
      for (int64_t k = 0; k < shape[static_cast<size_t>(a)]; ++k)
        mx = std::max(mx, double{xs[static_cast<size_t>(base + k * strides[static_cast<size_t>(a)])]});
      for (int64_t k = 0; k < shape[static_cast<size_t>(a)]; ++k)
        sum += std::exp(xs[static_cast<size_t>(base + k * strides[static_cast<size_t>(a)])] - mx);
      want[i] = static_cast<float>(std::exp(xs[i] - mx) / sum);
    }
    const auto got = run_single(OpType::kSoftmax, {x}, {{"axis", axis}});
    EXPECT_TRUE(all_close(values_of(got[0]), want, 1e-6f, 1e-5f)) << "axis " << axis;
  }
  const auto def = run_single(OpType::kSoftmax, {x});  // default axis -1 (opset 13)
  const auto last = run_single(OpType::kSoftmax, {x}, {{"axis", int64_t{2}}});
  EXPECT_EQ(values_of(def[0]), values_of(last[0]));
}

}  // namespace
}  // namespace tinyopt
