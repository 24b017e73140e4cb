// Fake quantization for quantization-aware training (QAT): which values of a graph the training tape
// rounds to an integer grid, and how. A TrainGraph built with a FakeQuantMap inserts, after each named
// value (activation, graph input, or weight initializer), the op
//   q = clamp(round_half_even(x / s) + zp, qmin, qmax),   y = (q - zp) * s
// per tensor or per channel along `axis`. Its forward is exactly the float executor's
// QuantizeLinear -> DequantizeLinear for the same parameters (float32 division, half-to-even rounding);
// weights may round half away from zero instead, as the quantizer stores them (quant_plan.h).
// Backward (LSQ, Esser et al. 2020, in PyTorch's `_fake_quantize_learnable_per_*_affine` form, where
// "inside" means qmin <= round(x / s) + zp <= qmax):
//   dy/dx = 1 inside, 0 outside (the straight-through estimator)
//   dy/ds = round(x / s) - x / s inside, qmin - zp below, qmax - zp above
//   the scale gradient is multiplied by g = 1 / sqrt(N * Qp), N = elements per channel and per sample
//   (the layer's weights per output channel; an activation's features per sample), Qp = the number of
//   positive steps, max(qmax - zp, zp - qmin) (127 for int8 weights, 7 for int4, 255 for a ReLU output
//   with zp = -128).
// The zero point is fixed (calibrated before training). Learned scales are parameters named
// fake_quant_scale_name(value) that the optimizer updates without weight decay. A value `tied_to` another
// uses that value's scale parameter (re-quantization with the input's parameters after a pass-through op
// such as AveragePool): both contribute to its gradient.
//
// This header only describes the request; the op lives in src/train/ops/fake_quant_op.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tinyopt::train {

struct FakeQuant {
  int32_t qmin = -128;
  int32_t qmax = 127;
  std::vector<float> scale;         // one entry (per tensor) or one per channel along axis; > 0
  std::vector<int32_t> zero_point;  // empty (all 0) or as many entries as scale; in [qmin, qmax]
  int axis = 0;                     // the channel axis when per channel (weights: output channels)
  bool learn_scale = true;          // LSQ: train the scale
  bool round_half_away = false;     // round half away from zero (stored weights) instead of half to even
  std::string tied_to;              // non-empty: share this earlier value's scale (and ignore scale above)
};

// Value name -> how it is fake-quantized.
using FakeQuantMap = std::map<std::string, FakeQuant>;

// The name of the trained parameter that holds the scale of `value` ("<value>:lsq_scale").
std::string fake_quant_scale_name(const std::string& value);

}  // namespace tinyopt::train
