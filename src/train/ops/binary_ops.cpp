// Add, Sub, Mul, Div with numpy (multidirectional) broadcasting, for training. Either operand may be a
// batched activation or a constant/weight; Mul of (N, C, H, W) by (N, C, 1, 1) is the squeeze-excite
// gate. Backward reduces over the broadcast axes:
//   Add: da += dy, db += dy          Sub: da += dy, db -= dy
//   Mul: da += dy*b, db += dy*a      Div: da += dy/b, db -= dy*a/b^2
// The iteration collapses adjacent axes with the same broadcast pattern, so the inner loop is as long
// as possible; equal shapes take a flat, threaded loop.
#include <array>

#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

constexpr int kMaxRank = 8;

// Iteration over the output (contiguous) with element strides of a and b (0 on broadcast axes).
struct BroadcastPlan {
  int rank = 0;
  std::array<int64_t, kMaxRank> dims{}, sa{}, sb{};
};

BroadcastPlan make_plan(const Shape& a, const Shape& b, const Shape& y) {
  BroadcastPlan p;
  const int r = static_cast<int>(y.size());
  std::array<int64_t, kMaxRank> dims{}, sa{}, sb{};
  auto strides_of = [&](const Shape& s, std::array<int64_t, kMaxRank>& out) {
    const int off = r - static_cast<int>(s.size());
    int64_t stride = 1;
    for (int i = r - 1; i >= 0; --i) {
      const int64_t d = i >= off ? s[static_cast<size_t>(i - off)] : 1;
      out[static_cast<size_t>(i)] = (d == 1 && y[static_cast<size_t>(i)] != 1) ? 0 : stride;
      stride *= d;
    }
  };
  for (int i = 0; i < r; ++i) dims[static_cast<size_t>(i)] = y[static_cast<size_t>(i)];
  strides_of(a, sa);
  strides_of(b, sb);
  // Collapse from the inside out: axis i folds into the current inner axis when both operands continue
  // their pattern across it.
  for (int i = r - 1; i >= 0; --i) {
    const auto u = static_cast<size_t>(i);
    if (dims[u] == 1) continue;
    if (p.rank > 0) {
      const auto in = static_cast<size_t>(kMaxRank - p.rank);
      if (sa[u] == p.sa[in] * p.dims[in] && sb[u] == p.sb[in] * p.dims[in]) {
        p.dims[in] *= dims[u];
        continue;
      }
    }
    ++p.rank;
    const auto slot = static_cast<size_t>(kMaxRank - p.rank);
    p.dims[slot] = dims[u];
    p.sa[slot] = sa[u];
    p.sb[slot] = sb[u];
  }
  // Move the used axes to the front.
  BroadcastPlan q;
  q.rank = p.rank;
  for (int i = 0; i < p.rank; ++i) {
    const auto from = static_cast<size_t>(kMaxRank - p.rank + i);
    q.dims[static_cast<size_t>(i)] = p.dims[from];
    q.sa[static_cast<size_t>(i)] = p.sa[from];
    q.sb[static_cast<size_t>(i)] = p.sb[from];
  }
  if (q.rank == 0) {  // a scalar result
    q.rank = 1;
    q.dims[0] = 1;
  }
  return q;
}

// Calls fn(ia, ib, iy, count, step_a, step_b) for each run of the innermost axis.
template <typename Fn>
void for_each_run(const BroadcastPlan& p, Fn&& fn) {
  const int r = p.rank;
  const auto inner = static_cast<size_t>(r - 1);
  int64_t outer = 1;
  for (int i = 0; i + 1 < r; ++i) outer *= p.dims[static_cast<size_t>(i)];
  std::array<int64_t, kMaxRank> idx{};
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < outer; ++o) {
    fn(ia, ib, o * p.dims[inner], p.dims[inner], p.sa[inner], p.sb[inner]);
    for (int i = r - 2; i >= 0; --i) {
      const auto u = static_cast<size_t>(i);
      ++idx[u];
      ia += p.sa[u];
      ib += p.sb[u];
      if (idx[u] < p.dims[u]) break;
      ia -= p.sa[u] * p.dims[u];
      ib -= p.sb[u] * p.dims[u];
      idx[u] = 0;
    }
  }
}

struct AddF {
  static float f(float a, float b) { return a + b; }
  static float da(float, float) { return 1.0f; }
  static float db(float, float) { return 1.0f; }
};
struct SubF {
  static float f(float a, float b) { return a - b; }
  static float da(float, float) { return 1.0f; }
  static float db(float, float) { return -1.0f; }
};
struct MulF {
  static float f(float a, float b) { return a * b; }
  static float da(float, float b) { return b; }
  static float db(float a, float) { return a; }
};
struct DivF {
  static float f(float a, float b) { return a / b; }
  static float da(float, float b) { return 1.0f / b; }
  static float db(float a, float b) { return -a / (b * b); }
};

template <typename F>
class BinaryOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;

  void setup(int) override {
    if (in(0).shape.size() > kMaxRank || in(1).shape.size() > kMaxRank) fail("rank above 8 is not supported");
  }
  void forward(const RunContext& ctx) override {
    const float* a = in(0).data.data();
    const float* b = in(1).data.data();
    float* y = out().data.data();
    if (same_shape()) {
      const int64_t count = out().numel(ctx.batch);
#pragma omp parallel for simd num_threads(ctx.threads) schedule(static) if (count > 65536)
      for (int64_t i = 0; i < count; ++i) y[i] = F::f(a[i], b[i]);
      return;
    }
    for_each_run(plan(ctx), [&](int64_t ia, int64_t ib, int64_t iy, int64_t n, int64_t sa, int64_t sb) {
      for (int64_t j = 0; j < n; ++j) y[iy + j] = F::f(a[ia + j * sa], b[ib + j * sb]);
    });
  }
  void backward(const RunContext& ctx) override {
    const float* a = in(0).data.data();
    const float* b = in(1).data.data();
    const float* dy = out().grad.data();
    float* da = in(0).has_grad() ? in(0).grad.data() : nullptr;
    float* db = in(1).has_grad() ? in(1).grad.data() : nullptr;
    if (same_shape()) {
      const int64_t count = out().numel(ctx.batch);
#pragma omp parallel for simd num_threads(ctx.threads) schedule(static) if (count > 65536)
      for (int64_t i = 0; i < count; ++i) {
        if (da != nullptr) da[i] += dy[i] * F::da(a[i], b[i]);
        if (db != nullptr) db[i] += dy[i] * F::db(a[i], b[i]);
      }
      return;
    }
    for_each_run(plan(ctx), [&](int64_t ia, int64_t ib, int64_t iy, int64_t n, int64_t sa, int64_t sb) {
      for (int64_t j = 0; j < n; ++j) {
        const float av = a[ia + j * sa], bv = b[ib + j * sb], d = dy[iy + j];
        if (da != nullptr) da[ia + j * sa] += d * F::da(av, bv);
        if (db != nullptr) db[ib + j * sb] += d * F::db(av, bv);
      }
    });
  }

 private:
  bool same_shape() const {
    return in(0).batched == in(1).batched && in(0).shape == in(1).shape && in(0).shape == out().shape;
  }
  BroadcastPlan plan(const RunContext& ctx) const {
    return make_plan(in(0).shape_at(ctx.batch), in(1).shape_at(ctx.batch), out().shape_at(ctx.batch));
  }
};

}  // namespace

std::unique_ptr<TrainOp> make_binary(const Graph&, const Node& node) {
  switch (node.op) {
    case OpType::kAdd: return std::make_unique<BinaryOp<AddF>>(node);
    case OpType::kSub: return std::make_unique<BinaryOp<SubF>>(node);
    case OpType::kMul: return std::make_unique<BinaryOp<MulF>>(node);
    case OpType::kDiv: return std::make_unique<BinaryOp<DivF>>(node);
    default: throw_internal("make_binary called for " + node.describe());
  }
}

}  // namespace tinyopt::train::detail
