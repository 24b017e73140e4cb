// Element-wise activations for training: Relu, Clip (ReLU6), LeakyRelu, HardSwish, HardSigmoid,
// Sigmoid, Tanh. Each is a pair (value, gradient) where the gradient rule maps (x, y, dy) to
// dy * f'(x), from the input x or the output y. Rules compute every candidate first and then select,
// so the loops stay branch-free and vectorise. At kinks the derivative follows PyTorch: relu'(0) = 0,
// Clip passes the gradient only strictly inside (min, max) like hardtanh/ReLU6, hardswish'(x) = x/3 + 1/2
// on [-3, 3].
#include <algorithm>
#include <cmath>
#include <limits>

#include "train/ops/ops.h"

namespace tinyopt::train::detail {

float constant_scalar_input(const Graph& graph, const Node& node, size_t index, float fallback) {
  if (index >= node.inputs.size() || node.inputs[index].empty()) return fallback;
  const Value& v = graph.value(node.inputs[index]);
  if (!v.data || v.data->numel() != 1 || v.data->dtype() != DType::kF32)
    throw_bad_input(node.describe() + ": input '" + v.name + "' must be a constant float scalar for training");
  return v.data->data<float>()[0];
}

namespace {

struct UnaryParams {
  float a = 0.0f, b = 0.0f;  // Clip: min, max; LeakyRelu: alpha; HardSigmoid: alpha, beta
};

template <typename Fn, typename Grad>
class UnaryOp final : public TrainOp {
 public:
  UnaryOp(const Node& node, UnaryParams p) : TrainOp(node), p_(p) {}

  void setup(int) override {
    if (!in(0).batched) fail("training needs a batched input");
  }
  void forward(const RunContext& ctx) override {
    const float* x = in(0).data.data();
    float* y = out().data.data();
    const int64_t count = in(0).numel(ctx.batch);
    const UnaryParams p = p_;
#pragma omp parallel for simd num_threads(ctx.threads) schedule(static) if (count > 65536)
    for (int64_t i = 0; i < count; ++i) y[i] = Fn{}(x[i], p);
  }
  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    if (!in(0).has_grad()) return;
    const float* __restrict x = in(0).data.data();
    const float* __restrict y = out().data.data();
    const float* __restrict dy = out().grad.data();
    float* __restrict dx = in(0).grad.data();
    const int64_t count = in(0).numel(ctx.batch);
    const UnaryParams p = p_;
    if (overwrite(0)) {
#pragma omp parallel for simd num_threads(ctx.threads) schedule(static) if (count > 65536)
      for (int64_t i = 0; i < count; ++i) dx[i] = Grad{}(x[i], y[i], dy[i], p);
    } else {
#pragma omp parallel for simd num_threads(ctx.threads) schedule(static) if (count > 65536)
      for (int64_t i = 0; i < count; ++i) dx[i] += Grad{}(x[i], y[i], dy[i], p);
    }
  }

 private:
  UnaryParams p_;
};

struct ReluF { float operator()(float x, UnaryParams) const { return x < 0.0f ? 0.0f : x; } };  // NaN propagates
struct ReluG { float operator()(float x, float, float dy, UnaryParams) const { return x > 0.0f ? dy : 0.0f; } };
struct ClipF { float operator()(float x, UnaryParams p) const { return std::min(std::max(x, p.a), p.b); } };
struct ClipG {
  float operator()(float x, float, float dy, UnaryParams p) const { return (x > p.a) & (x < p.b) ? dy : 0.0f; }
};
struct LeakyF { float operator()(float x, UnaryParams p) const { return x > 0.0f ? x : p.a * x; } };
struct LeakyG {
  float operator()(float x, float, float dy, UnaryParams p) const {
    const float neg = p.a * dy;
    return x > 0.0f ? dy : neg;
  }
};
struct HardSwishF {
  float operator()(float x, UnaryParams) const { return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; }
};
struct HardSwishG {
  float operator()(float x, float, float dy, UnaryParams) const {
    const float mid = (x / 3.0f + 0.5f) * dy;
    return x < -3.0f ? 0.0f : (x <= 3.0f ? mid : dy);
  }
};
struct HardSigmoidF {
  float operator()(float x, UnaryParams p) const { return std::min(std::max(p.a * x + p.b, 0.0f), 1.0f); }
};
struct HardSigmoidG {
  float operator()(float x, float, float dy, UnaryParams p) const {
    const float v = p.a * x + p.b, g = p.a * dy;
    return (v > 0.0f) & (v < 1.0f) ? g : 0.0f;
  }
};
struct SigmoidF { float operator()(float x, UnaryParams) const { return 1.0f / (1.0f + std::exp(-x)); } };
struct SigmoidG { float operator()(float, float y, float dy, UnaryParams) const { return dy * y * (1.0f - y); } };
struct TanhF { float operator()(float x, UnaryParams) const { return std::tanh(x); } };
struct TanhG { float operator()(float, float y, float dy, UnaryParams) const { return dy * (1.0f - y * y); } };

}  // namespace

std::unique_ptr<TrainOp> make_unary(const Graph& graph, const Node& node) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (node.op) {
    case OpType::kRelu:
      return std::make_unique<UnaryOp<ReluF, ReluG>>(node, UnaryParams{});
    case OpType::kClip: {
      // Opset >= 11 carries min/max as inputs; older graphs kept as attributes are honoured too.
      const float lo = constant_scalar_input(graph, node, 1, node.attr_float("min", -kInf));
      const float hi = constant_scalar_input(graph, node, 2, node.attr_float("max", kInf));
      return std::make_unique<UnaryOp<ClipF, ClipG>>(node, UnaryParams{lo, hi});
    }
    case OpType::kLeakyRelu:
      return std::make_unique<UnaryOp<LeakyF, LeakyG>>(node, UnaryParams{node.attr_float("alpha", 0.01f), 0.0f});
    case OpType::kHardSwish:
      return std::make_unique<UnaryOp<HardSwishF, HardSwishG>>(node, UnaryParams{});
    case OpType::kHardSigmoid:
      return std::make_unique<UnaryOp<HardSigmoidF, HardSigmoidG>>(
          node, UnaryParams{node.attr_float("alpha", 0.2f), node.attr_float("beta", 0.5f)});
    case OpType::kSigmoid:
      return std::make_unique<UnaryOp<SigmoidF, SigmoidG>>(node, UnaryParams{});
    case OpType::kTanh:
      return std::make_unique<UnaryOp<TanhF, TanhG>>(node, UnaryParams{});
    default:
      throw_internal("make_unary called for " + node.describe());
  }
}

}  // namespace tinyopt::train::detail
