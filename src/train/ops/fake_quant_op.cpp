// The fake-quantization training op (QAT): forward rounds a value to its integer grid and back, exactly as
// QuantizeLinear -> DequantizeLinear in the float executor; backward applies the straight-through estimator
// to the input and the LSQ rule to the scale (formulas in include/tinyopt/train/fake_quant.h). It is not
// in the op-rule table: TrainGraph inserts it after the values a FakeQuantMap names. Inputs: the value and
// its scale (a parameter slot of one entry per channel); output: the fake-quantized value.
#include <algorithm>
#include <cmath>
#include <omp.h>

#include "tinyopt/train/fake_quant.h"
#include "train/ops/ops.h"

namespace tinyopt::train {

std::string fake_quant_scale_name(const std::string& value) { return value + ":lsq_scale"; }

namespace detail {
namespace {

// Scales are kept positive: an optimizer step that would make one zero or negative is undone here.
constexpr float kMinScale = 1e-12f;

// (outer, channels, inner) view of a tensor quantized along `axis` (channels = 1 per tensor).
struct Layout {
  int64_t outer = 1, channels = 1, inner = 1;
};

class FakeQuantOp final : public TrainOp {
 public:
  FakeQuantOp(const Node& node, FakeQuant spec) : TrainOp(node), spec_(std::move(spec)) {}

  void setup(int threads) override {
    const size_t channels = spec_.scale.size();
    if (channels == 0) fail("no scale");
    if (!spec_.zero_point.empty() && spec_.zero_point.size() != channels)
      fail("has " + std::to_string(spec_.zero_point.size()) + " zero points for " + std::to_string(channels) + " scales");
    if (spec_.qmin >= spec_.qmax) fail("empty integer range [" + std::to_string(spec_.qmin) + ", " + std::to_string(spec_.qmax) + "]");
    for (size_t c = 0; c < channels; ++c) {
      if (!(spec_.scale[c] > 0.0f) || !std::isfinite(spec_.scale[c]))
        fail("scale " + std::to_string(spec_.scale[c]) + " of channel " + std::to_string(c) + " must be positive and finite");
      if (zp(static_cast<int64_t>(c)) < spec_.qmin || zp(static_cast<int64_t>(c)) > spec_.qmax)
        fail("zero point " + std::to_string(zp(static_cast<int64_t>(c))) + " outside [" + std::to_string(spec_.qmin) + ", " +
             std::to_string(spec_.qmax) + "]");
    }
    if (static_cast<size_t>(in(1).sample_numel) != channels) fail("scale slot does not match the spec");
    if (channels > 1) {
      const Shape& s = in(0).shape;
      if (spec_.axis < 0 || spec_.axis >= static_cast<int>(s.size()) || (in(0).batched && spec_.axis == 0))
        fail("channel axis " + std::to_string(spec_.axis) + " is not a channel axis of shape " + shape_str(s));
      if (s[static_cast<size_t>(spec_.axis)] != static_cast<int64_t>(channels))
        fail(std::to_string(channels) + " scales for axis " + std::to_string(spec_.axis) + " of size " +
             std::to_string(s[static_cast<size_t>(spec_.axis)]));
    }
    // The LSQ gradient scale of each channel.
    const Layout l = layout(1);
    const double n = static_cast<double>(l.outer * l.inner);
    grad_scale_.resize(channels);
    for (size_t c = 0; c < channels; ++c) {
      const int32_t z = zp(static_cast<int64_t>(c));
      const double qp = std::max(std::max(spec_.qmax - z, z - spec_.qmin), 1);
      grad_scale_[c] = 1.0 / std::sqrt(n * qp);
    }
    partial_.assign(static_cast<size_t>(std::max(1, threads)) * channels, 0.0);
  }

  void forward(const RunContext& ctx) override {
    float* s = in(1).data.data();
    for (size_t c = 0; c < spec_.scale.size(); ++c)
      if (!(s[c] >= kMinScale)) s[c] = kMinScale;  // also catches NaN
    const Layout l = layout(ctx.batch);
    const float* x = in(0).data.data();
    float* y = out().data.data();
    const float lo = static_cast<float>(spec_.qmin), hi = static_cast<float>(spec_.qmax);
    const int64_t rows = l.outer * l.channels;
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (rows * l.inner > 65536)
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t c = row % l.channels;
      const float sc = s[c], z = static_cast<float>(zp(c));
      const float* xr = x + row * l.inner;
      float* yr = y + row * l.inner;
      for (int64_t i = 0; i < l.inner; ++i) {
        // The float executor's QuantizeLinear then DequantizeLinear, operation for operation.
        const float q = round(xr[i] / sc) + z;
        const float qc = std::isnan(q) ? z : std::min(std::max(q, lo), hi);
        yr[i] = (qc - z) * sc;
      }
    }
  }

  bool supports_overwrite(size_t input) const override { return input == 0; }

  void backward(const RunContext& ctx) override {
    const Layout l = layout(ctx.batch);
    const float* x = in(0).data.data();
    const float* s = in(1).data.data();
    const float* dy = out().grad.data();
    float* dx = in(0).has_grad() ? in(0).grad.data() : nullptr;
    const bool store = overwrite(0);
    const bool learn = in(1).has_grad();
    const float lo = static_cast<float>(spec_.qmin), hi = static_cast<float>(spec_.qmax);
    const int64_t rows = l.outer * l.channels;
    const auto channels = static_cast<size_t>(l.channels);
    const int threads = std::max(1, std::min(ctx.threads, static_cast<int>(partial_.size() / channels)));
    std::fill(partial_.begin(), partial_.end(), 0.0);
    // Rows are split into the same contiguous blocks for a given thread count and the per-thread sums
    // are added in thread order, so results are deterministic for a fixed thread count.
#pragma omp parallel num_threads(threads) if (rows * l.inner > 65536)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t begin = rows * t / nt, end = rows * (t + 1) / nt;
      double* part = partial_.data() + static_cast<size_t>(t) * channels;
      for (int64_t row = begin; row < end; ++row) {
        const int64_t c = row % l.channels;
        const float sc = s[c], z = static_cast<float>(zp(c));
        const float below = lo - z, above = hi - z;
        const float* xr = x + row * l.inner;
        const float* dyr = dy + row * l.inner;
        float* dxr = dx != nullptr ? dx + row * l.inner : nullptr;
        double acc = 0.0;
        for (int64_t i = 0; i < l.inner; ++i) {
          const float v = xr[i] / sc;
          const float r = round(v);
          const float q = r + z;
          const bool inside = q >= lo && q <= hi;
          if (dxr != nullptr) {
            const float g = inside ? dyr[i] : 0.0f;
            dxr[i] = store ? g : dxr[i] + g;
          }
          if (learn) acc += static_cast<double>(dyr[i]) * (inside ? static_cast<double>(r - v) : (q < lo ? below : above));
        }
        part[c] += acc;
      }
    }
    if (!learn) return;
    float* ds = in(1).grad.data();
    for (size_t c = 0; c < channels; ++c) {
      double sum = 0.0;
      for (int t = 0; t < threads; ++t) sum += partial_[static_cast<size_t>(t) * channels + c];
      ds[c] += static_cast<float>(sum * grad_scale_[c]);
    }
  }

 private:
  float round(float v) const { return spec_.round_half_away ? std::round(v) : std::nearbyint(v); }
  int32_t zp(int64_t c) const { return spec_.zero_point.empty() ? 0 : spec_.zero_point[static_cast<size_t>(c)]; }

  Layout layout(int64_t batch) const {
    const Shape shape = in(0).shape_at(batch);
    Layout l;
    if (spec_.scale.size() == 1) {
      l.inner = shape_numel(shape);
      return l;
    }
    const auto axis = static_cast<size_t>(spec_.axis);
    for (size_t i = 0; i < axis; ++i) l.outer *= shape[i];
    l.channels = shape[axis];
    for (size_t i = axis + 1; i < shape.size(); ++i) l.inner *= shape[i];
    return l;
  }

  FakeQuant spec_;
  std::vector<double> grad_scale_;  // per channel
  std::vector<double> partial_;     // (threads, channels) scale-gradient sums
};

}  // namespace

std::unique_ptr<TrainOp> make_fake_quant(const std::string& value, const FakeQuant& spec) {
  Node node;
  node.name = "fake_quant(" + value + ")";
  node.op = OpType::kIdentity;
  node.inputs = {value, fake_quant_scale_name(value)};
  node.outputs = {value + ":fake_quant"};
  return std::make_unique<FakeQuantOp>(node, spec);
}

}  // namespace detail
}  // namespace tinyopt::train
