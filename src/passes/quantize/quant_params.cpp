// Choosing and applying quantization parameters of single tensors (quant_plan.h, "Parameter choice
// helpers"): activation params from a real range, symmetric per-channel weight params (max or MSE clip),
// integer and fake-quantized weights, and int4 storage for the float executor's simulation.
#include <algorithm>
#include <cmath>
#include <limits>

#include "onnx/onnx_tensor.h"
#include "passes/graph_edit.h"
#include "tinyopt/core/error.h"
#include "tinyopt/passes/quant_plan.h"

namespace tinyopt::quant {
namespace {

int weight_qmax(int bits) {
  if (bits == 8) return 127;
  if (bits == 4) return 7;
  throw_bad_input("weights can be quantized to 8 or 4 bits, not " + std::to_string(bits));
}

// docs/numerics.md section 1: q = clamp(round_half_away(r / s), -qmax, qmax), r / s in float32.
int32_t quantize_symmetric(float r, float s, int qmax) {
  const float v = std::round(r / s);  // std::round rounds half away from zero
  if (std::isnan(v)) return 0;
  return static_cast<int32_t>(std::clamp(v, static_cast<float>(-qmax), static_cast<float>(qmax)));
}

double channel_error(const float* w, int64_t outer, int64_t channels, int64_t inner, int64_t c, float s, int qmax) {
  double err = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float x = w[(o * channels + c) * inner + i];
      const double d = x - s * static_cast<float>(quantize_symmetric(x, s, qmax));
      err += d * d;
    }
  return err;
}

void check_weight_params(const Tensor& w, const TensorQuant& q) {
  if (q.axis < 0 || q.axis >= w.rank())
    throw_bad_input("weight quantization axis " + std::to_string(q.axis) + " is out of range for shape " + shape_str(w.shape()));
  if (static_cast<int64_t>(q.scale.size()) != w.dim(q.axis))
    throw_bad_input("weight has " + std::to_string(w.dim(q.axis)) + " channels along axis " + std::to_string(q.axis) +
                    " but " + std::to_string(q.scale.size()) + " scales");
  for (float s : q.scale)
    if (!(s > 0) || !std::isfinite(s)) throw_bad_input("weight scale " + std::to_string(s) + " is not a positive finite number");
  for (int32_t z : q.zero_point)
    if (z != 0) throw_bad_input("weight zero points must be 0 (symmetric weights)");
}

}  // namespace

TensorQuant activation_quant(float lo, float hi, int bits) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) throw_bad_input("activation range is not finite");
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  TensorQuant q;
  q.bits = bits;
  if (bits == 8) {
    const float range = hi - lo;
    q.scale = {range > 0 ? range / 255.0f : 1.0f};
    const float zp = std::round(-128.0f - lo / q.scale[0]);
    q.zero_point = {static_cast<int32_t>(std::clamp(zp, -128.0f, 127.0f))};
  } else if (bits == 16) {
    const float m = std::max(-lo, hi);
    q.scale = {m > 0 ? m / 32767.0f : 1.0f};
    q.zero_point = {0};
  } else {
    throw_bad_input("activations can be quantized to 8 or 16 bits, not " + std::to_string(bits));
  }
  return q;
}

TensorQuant weight_quant(const Tensor& w, int axis, int bits, WeightClip clip) {
  const int qmax = weight_qmax(bits);
  if (w.dtype() != DType::kF32 || axis < 0 || axis >= w.rank()) throw_internal("weight_quant: bad weight or axis");
  const ChannelView v = channel_view(w.shape(), axis);
  const float* d = w.data<float>();
  TensorQuant q;
  q.bits = bits;
  q.axis = axis;
  q.zero_point.assign(static_cast<size_t>(v.channels), 0);
  for (int64_t c = 0; c < v.channels; ++c) {
    float m = 0;
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) m = std::max(m, std::abs(d[(o * v.channels + c) * v.inner + i]));
    if (!std::isfinite(m)) throw_bad_input("weight holds a non-finite value");
    float best = m > 0 ? m / static_cast<float>(qmax) : 1.0f;
    if (clip == WeightClip::kMse && m > 0) {
      double best_err = channel_error(d, v.outer, v.channels, v.inner, c, best, qmax);
      for (int step = 50; step < 100; ++step) {
        const float s = static_cast<float>(step) / 100.0f * m / static_cast<float>(qmax);
        const double err = channel_error(d, v.outer, v.channels, v.inner, c, s, qmax);
        if (err < best_err) best_err = err, best = s;
      }
    }
    q.scale.push_back(best);
  }
  return q;
}

Tensor quantize_weight(const Tensor& w, const TensorQuant& q) {
  check_weight_params(w, q);
  const int qmax = weight_qmax(q.bits);
  const ChannelView v = channel_view(w.shape(), q.axis);
  Tensor out(DType::kI8, w.shape());
  const float* d = w.data<float>();
  int8_t* o8 = out.data<int8_t>();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c)
      for (int64_t i = 0; i < v.inner; ++i) {
        const int64_t k = (o * v.channels + c) * v.inner + i;
        o8[k] = static_cast<int8_t>(quantize_symmetric(d[k], q.scale[static_cast<size_t>(c)], qmax));
      }
  return q.bits == 4 ? tinyopt::detail::pack_int8_to_int4(out, "weight") : out;
}

Tensor fake_quantize_weight(const Tensor& w, const TensorQuant& q) {
  check_weight_params(w, q);
  const int qmax = weight_qmax(q.bits);
  const ChannelView v = channel_view(w.shape(), q.axis);
  Tensor out = w.clone();
  float* d = out.data<float>();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c)
      for (int64_t i = 0; i < v.inner; ++i) {
        float& x = d[(o * v.channels + c) * v.inner + i];
        const float s = q.scale[static_cast<size_t>(c)];
        x = s * static_cast<float>(quantize_symmetric(x, s, qmax));
      }
  return out;
}

Graph unpack_int4_initializers(const Graph& qdq_graph) {
  Graph g = qdq_graph;
  std::vector<std::string> packed;
  for (const auto& [name, v] : g.values())
    if (v.data && v.data->dtype() == DType::kI4) packed.push_back(name);
  for (const std::string& name : packed) {
    Value& v = g.value(name);
    v.data = tinyopt::detail::unpack_int4_to_int8(*v.data);
    v.dtype = DType::kI8;
    if (v.quant) v.quant->storage = DType::kI8;
  }
  return g;
}

}  // namespace tinyopt::quant
