// Test-only min/max QDQ quantizer (see qdq_test_quantizer.h).
#include "qdq_test_quantizer.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "onnx/onnx_tensor.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/exec/float_executor.h"

namespace tinyopt::testing {

namespace {

struct ActParams {
  float scale = 1;
  int32_t zero_point = 0;
};

bool is_weighted(OpType op) { return op == OpType::kConv || op == OpType::kGemm; }
bool reuses_input_params(OpType op) {
  return op == OpType::kMaxPool || op == OpType::kFlatten || op == OpType::kReshape;
}

// Conv -> BatchNormalization (the Conv's only consumer) becomes one Conv with a bias.
void fold_batch_norm(Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node bn = g.nodes[i];
    if (bn.op != OpType::kBatchNormalization) continue;
    const int p = g.producer(bn.inputs[0]);
    if (p < 0 || g.nodes[static_cast<size_t>(p)].op != OpType::kConv || g.consumers(bn.inputs[0]).size() != 1) continue;
    Node& conv = g.nodes[static_cast<size_t>(p)];
    const auto gamma = g.value(bn.inputs[1]).data->span<float>();
    const auto beta = g.value(bn.inputs[2]).data->span<float>();
    const auto mean = g.value(bn.inputs[3]).data->span<float>();
    const auto var = g.value(bn.inputs[4]).data->span<float>();
    const float eps = bn.attr_float("epsilon", 1e-5f);
    Tensor w = g.value(conv.inputs[1]).data->clone();
    const int64_t cout = w.dim(0), per = w.numel() / cout;
    Tensor b(DType::kF32, {cout});
    if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) b = g.value(conv.inputs[2]).data->clone();
    for (int64_t c = 0; c < cout; ++c) {
      const float k = gamma[c] / std::sqrt(var[c] + eps);
      for (int64_t j = 0; j < per; ++j) w.data<float>()[c * per + j] *= k;
      b.data<float>()[c] = (b.data<float>()[c] - mean[c]) * k + beta[c];
    }
    g.add_initializer(conv.inputs[1], std::move(w));
    const std::string bias = g.unique_name(conv.name + "_folded_bias");
    g.add_initializer(bias, std::move(b));
    conv.inputs.resize(3);
    conv.inputs[2] = bias;
    g.erase_value(conv.outputs[0]);
    conv.outputs[0] = bn.outputs[0];
    for (size_t k = 1; k < bn.inputs.size(); ++k) g.erase_value(bn.inputs[k]);
    g.nodes.erase(g.nodes.begin() + static_cast<long>(i));
    --i;
  }
}

ActParams activation_params(const Tensor& t, int bits) {
  float lo = 0, hi = 0;
  for (float v : t.span<float>()) lo = std::min(lo, v), hi = std::max(hi, v);
  if (bits == 16) return {std::max(std::max(-lo, hi), 1e-8f) / 32767.0f, 0};
  const float scale = std::max(hi - lo, 1e-8f) / 255.0f;
  const auto zp = static_cast<int32_t>(std::clamp(std::nearbyint(-128.0f - lo / scale), -128.0f, 127.0f));
  return {scale, zp};
}

class Quantizer {
 public:
  Quantizer(Graph g, std::map<std::string, Tensor> calib, const TestQuantOptions& o)
      : g_(std::move(g)), calib_(std::move(calib)), o_(o) {}

  Graph run() {
    std::vector<Node> nodes;
    nodes.swap(g_.nodes);
    for (const auto& in : g_.inputs) quantize_output(in, calibrated(in));
    for (Node n : nodes) {
      for (auto& in : n.inputs) {
        if (renamed_.count(in) != 0) in = renamed_.at(in);
      }
      if (is_weighted(n.op)) quantize_weights(n);
      out_.push_back(n);
      const std::string& y = n.outputs[0];
      const auto consumers = consumers_of(nodes, y);
      const bool fused = is_weighted(n.op) && consumers.size() == 1 &&
                         (consumers[0]->op == OpType::kRelu || consumers[0]->op == OpType::kClip);
      if (fused) continue;
      quantize_output(y, reuses_input_params(n.op) ? params_.at(n.inputs[0]) : calibrated(y));
    }
    g_.nodes = std::move(out_);
    const Shape input_shape = g_.value(g_.inputs[0]).shape;
    infer_shapes(g_, 1);
    g_.value(g_.inputs[0]).shape = input_shape;
    verify_graph(g_);
    return std::move(g_);
  }

 private:
  static std::vector<const Node*> consumers_of(const std::vector<Node>& nodes, const std::string& v) {
    std::vector<const Node*> out;
    for (const Node& n : nodes) {
      if (std::find(n.inputs.begin(), n.inputs.end(), v) != n.inputs.end()) out.push_back(&n);
    }
    return out;
  }

  ActParams calibrated(const std::string& v) const { return activation_params(calib_.at(v), o_.activation_bits); }

  Node qdq_node(OpType op, const std::string& name, std::vector<std::string> in, const std::string& out,
                int64_t axis = -1) {
    Node n;
    n.op = op;
    n.name = g_.unique_name(name);
    n.inputs = std::move(in);
    n.outputs = {out};
    if (axis >= 0) n.attrs["axis"] = axis;
    Value v;
    v.name = out;
    g_.set_value(v);
    return n;
  }

  // x -> Q -> DQ; consumers read the DQ output. A graph output keeps its name on the DQ output.
  void quantize_output(const std::string& x, const ActParams& p) {
    const bool is_output = std::find(g_.outputs.begin(), g_.outputs.end(), x) != g_.outputs.end();
    std::string src = x;
    if (is_output) {  // the producer now writes x_float
      src = g_.unique_name(x + "_float");
      for (auto& n : out_) std::replace(n.outputs.begin(), n.outputs.end(), x, src);
      g_.set_value(Value{.name = src, .shape = {}, .dtype = DType::kF32, .quant = {}, .data = {}});
    }
    const std::string scale = g_.unique_name(x + "_scale"), zp = g_.unique_name(x + "_zero_point");
    g_.add_initializer(scale, Tensor::scalar_f32(p.scale));
    Tensor z(o_.activation_bits == 16 ? DType::kI16 : DType::kI8, {});
    if (o_.activation_bits == 16) {
      z.data<int16_t>()[0] = 0;
    } else {
      z.data<int8_t>()[0] = static_cast<int8_t>(p.zero_point);
    }
    g_.add_initializer(zp, std::move(z));
    const std::string q = g_.unique_name(x + "_quantized");
    const std::string dq = is_output ? x : g_.unique_name(x + "_dequantized");
    out_.push_back(qdq_node(OpType::kQuantizeLinear, x + "_quantize", {src, scale, zp}, q));
    out_.push_back(qdq_node(OpType::kDequantizeLinear, x + "_dequantize", {q, scale, zp}, dq));
    if (!is_output) renamed_[x] = dq;
    params_[dq] = p;
  }

  void quantize_weights(Node& n) {
    const std::string w_name = n.inputs[1];
    const Tensor w = *g_.value(w_name).data;
    const int64_t axis = n.op == OpType::kGemm && n.attr_int("transB", 0) == 0 ? 1 : 0;
    const int64_t cout = w.dim(static_cast<int>(axis));
    const int qmax = o_.weight_bits == 4 ? 7 : 127;
    const int64_t inner = axis == 0 ? w.numel() / cout : 1, outer = axis == 0 ? 1 : w.dim(0);
    std::vector<float> scale(static_cast<size_t>(cout), 0.0f);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < cout; ++c)
        for (int64_t j = 0; j < inner; ++j)
          scale[c] = std::max(scale[c], std::abs(w.data<float>()[(o * cout + c) * inner + j]));
    for (float& s : scale) s = s > 0 ? s / static_cast<float>(qmax) : 1.0f;
    Tensor q(DType::kI8, w.shape());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < cout; ++c)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t i = (o * cout + c) * inner + j;
          q.data<int8_t>()[i] = static_cast<int8_t>(
              std::clamp(std::nearbyint(w.data<float>()[i] / scale[c]), -float(qmax), float(qmax)));
        }
    Tensor zp(DType::kI8, {cout});
    if (o_.weight_bits == 4) {
      q = detail::pack_int8_to_int4(q, w_name);
      zp = detail::pack_int8_to_int4(zp, w_name);
    }
    g_.erase_value(w_name);
    const std::string wq = g_.unique_name(w_name + "_quantized"), ws = g_.unique_name(w_name + "_scale"),
                      wz = g_.unique_name(w_name + "_zero_point");
    g_.add_initializer(wq, q);
    g_.add_initializer(ws, Tensor::from_f32({cout}, scale));
    g_.add_initializer(wz, zp);
    out_.push_back(qdq_node(OpType::kDequantizeLinear, w_name + "_dequantize", {wq, ws, wz}, w_name, axis));

    if (n.inputs.size() < 3 || n.inputs[2].empty()) return;
    const std::string b_name = n.inputs[2];
    const Tensor b = *g_.value(b_name).data;
    const float s_in = params_.at(n.inputs[0]).scale;
    std::vector<float> bs(static_cast<size_t>(cout));
    Tensor bq(DType::kI32, {cout});
    for (int64_t c = 0; c < cout; ++c) {
      bs[c] = s_in * scale[c];
      bq.data<int32_t>()[c] = static_cast<int32_t>(std::nearbyint(b.data<float>()[c] / bs[c]));
    }
    g_.erase_value(b_name);
    const std::string bqn = g_.unique_name(b_name + "_quantized"), bsn = g_.unique_name(b_name + "_scale"),
                      bzn = g_.unique_name(b_name + "_zero_point");
    g_.add_initializer(bqn, bq);
    g_.add_initializer(bsn, Tensor::from_f32({cout}, bs));
    g_.add_initializer(bzn, Tensor(DType::kI32, {cout}));
    out_.push_back(qdq_node(OpType::kDequantizeLinear, b_name + "_dequantize", {bqn, bsn, bzn}, b_name, 0));
  }

  Graph g_;
  std::map<std::string, Tensor> calib_;
  TestQuantOptions o_;
  std::vector<Node> out_;
  std::map<std::string, std::string> renamed_;  // float value -> its DequantizeLinear output
  std::map<std::string, ActParams> params_;     // DequantizeLinear output -> its parameters
};

}  // namespace

Graph quantize_for_test(const Graph& float_graph, const Tensor& calib, const TestQuantOptions& options) {
  Graph g = float_graph;
  fold_batch_norm(g);
  ExecOptions exec;
  exec.threads = 1;
  std::map<std::string, Tensor> values = FloatExecutor(g, exec).run_all({calib});
  return Quantizer(std::move(g), std::move(values), options).run();
}

Graph widen_int4_to_int8(const Graph& g) {
  Graph out = g;
  for (const auto& [name, v] : g.values()) {
    if (v.is_initializer() && v.data->dtype() == DType::kI4) out.add_initializer(name, detail::unpack_int4_to_int8(*v.data));
  }
  return out;
}

}  // namespace tinyopt::testing
