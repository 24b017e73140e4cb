// The shared description of "what to quantize how" (HELPERS.md, quantized models in the IR) and the pass
// that turns a float graph plus such a plan into a QDQ graph. Calibration (ptq), QAT and mixed precision
// (qat) produce QuantPlans; the integer executor (qexec) and ONNX export (qdq) consume the QDQ graph.
//
// The QDQ graph (opset-18 semantics, the form onnxruntime's quantizer writes):
//   * weights: an integer initializer `<w>_quantized` (kI8, or kI4 packed) -> DequantizeLinear(scale[Cout],
//     zero_point[Cout] = 0, axis = output-channel axis) -> `<w>` (the original name, read by the layer);
//     symmetric per output channel, int8 in [-127, 127], int4 in [-7, 7], values rounded half away from 0;
//   * bias: an int32 initializer `<b>_quantized` -> DequantizeLinear(scale = s_in * s_w[c], zp 0, axis 0)
//     -> `<b>`, with s_in the scale of the layer's quantized input;
//   * activations: per tensor, v -> QuantizeLinear -> `<v>_quantized` -> DequantizeLinear -> `<v>_dequantized`,
//     which every reader of v then reads. int8 is asymmetric (zp kI8), int16 symmetric (zp 0, kI16). A graph
//     output keeps its name on the DequantizeLinear output (its producer writes `<v>_float`), so logits come
//     out as float under the float model's output name. The QuantizeLinear output carries Value::quant.
// Where activations are quantized (find_quant_sites): each graph input; the output of every quantized op
// (Conv, Gemm, MatMul with a constant weight; Add; GlobalAveragePool, ReduceMean; HardSwish; Softmax, whose
// output is fixed at scale 1/256, zp -128) after its fused activation (a Relu or a Clip with constant bounds
// that is the op output's only reader); pass-through ops (MaxPool, AveragePool, Flatten, Reshape, Squeeze,
// Unsqueeze, Transpose, Pad, Identity, Dropout, a standalone Relu/Clip) re-quantize their output with their
// input's parameters. Concat gets its own (calibrated) parameters. Any other op cannot be quantized and
// find_quant_sites throws kBadInput naming the node and op (fold BatchNormalization first: fold_batch_norm.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tinyopt/core/graph.h"

namespace tinyopt::quant {

// Quantization parameters of one tensor: real = scale * (q - zero_point). One entry for per-tensor
// (activations), one per channel along `axis` for weights. bits: 8 or 16 for activations, 8 or 4 for weights.
struct TensorQuant {
  int bits = 8;
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = 0;
};

struct QuantPlan {
  std::map<std::string, TensorQuant> activations;  // float value name -> per-tensor params (bits 8 or 16)
  std::map<std::string, TensorQuant> weights;      // weight initializer name -> per-channel params (bits 8 or 4)
};

// Float graph (BN already folded) + plan -> the QDQ graph above. Biases are quantized here (int32, s_in*s_w).
// The plan needs params for every calibrated activation site and every layer weight; pass-through sites
// may be omitted (they take their input's params) and fixed sites (Softmax) are ignored. Throws kBadInput
// naming the value, node or weight that has no or invalid params.
Graph apply_quant_plan(const Graph& float_graph, const QuantPlan& plan);

// ---- Where quantization happens --------------------------------------------------------------------

// A quantized layer: an op with a constant weight (Conv, Gemm, MatMul).
struct QuantLayer {
  std::string node;            // node name
  OpType op = OpType::kConv;
  std::string input;           // the activation it reads (a site value, or one that shares a site's params)
  std::string weight;          // float weight initializer
  std::string bias;            // float bias initializer, "" when the layer has none
  int weight_axis = 0;         // output-channel axis of the weight
  std::string output;          // the op's own output (before a fused activation)
  std::string site;            // the value quantized after it (the fused activation's output, or `output`)
};

enum class SiteKind {
  kCalibrated,   // params come from the plan (graph inputs, quantized-op outputs, Concat)
  kSameAsInput,  // pass-through: params of `source`
  kFixed,        // params fixed by the op (Softmax output)
};

struct ActivationSite {
  std::string value;   // float value that gets a Q/DQ pair
  std::string node;    // node producing it ("" for a graph input)
  SiteKind kind = SiteKind::kCalibrated;
  std::string source;  // kSameAsInput: the site whose params it shares
};

struct QuantSites {
  std::vector<ActivationSite> activations;  // in topological order (graph inputs first)
  std::vector<QuantLayer> layers;           // in topological order
  // The site whose params govern each activation value a node reads (site values map to themselves;
  // the op outputs consumed by a fused activation are not in the map).
  std::map<std::string, std::string> site_of;
};

// Analyzes a float graph (BN folded). Throws kBadInput "node 'n' (Op): cannot be quantized: ..." for an op
// outside the lists above, a layer whose weight is not a constant, or a graph that is already quantized.
QuantSites find_quant_sites(const Graph& float_graph);

// ---- Parameter choice helpers (shared by PTQ and QAT) ------------------------------------------------

// Per-tensor activation params for the real range [lo, hi] (widened to contain 0): bits 8 -> asymmetric
// int8, scale (hi - lo) / 255, zero point round(-128 - lo / scale); bits 16 -> symmetric, scale
// max(|lo|, |hi|) / 32767, zp 0. An empty range gets scale 1.
TensorQuant activation_quant(float lo, float hi, int bits);

enum class WeightClip {
  kMax,  // scale = max|w| / qmax per channel
  kMse,  // scale = alpha * max|w| / qmax with alpha in [0.5, 1] minimizing the channel's squared error
};
// Symmetric per-channel params of a float weight along `axis`, bits 8 ([-127, 127]) or 4 ([-7, 7]).
TensorQuant weight_quant(const Tensor& w, int axis, int bits, WeightClip clip = WeightClip::kMax);

// The integer weight (kI8, or kI4 packed) for params q: clamp(round_half_away(w / s[c]), -qmax, qmax).
Tensor quantize_weight(const Tensor& w, const TensorQuant& q);
// The float weight the quantized one stands for: s[c] * round(...) (what DequantizeLinear gives back).
Tensor fake_quantize_weight(const Tensor& w, const TensorQuant& q);

// A copy of a QDQ graph in which kI4 initializers are stored as kI8 (same values), so that the float
// executor, which has no int4 DequantizeLinear, can simulate it. Graphs without kI4 come back unchanged.
Graph unpack_int4_initializers(const Graph& qdq_graph);

// The name, in a QDQ graph made by apply_quant_plan, of the dequantized counterpart of float value
// `value` (`<v>_dequantized`, or `v` itself for a graph output). Throws kBadInput when it has none.
std::string dequantized_name(const Graph& qdq_graph, const std::string& value);

}  // namespace tinyopt::quant
