// The test-only min/max QDQ quantizer (see exec_integer_qdq_builder.h).
#include "exec_integer_qdq_builder.h"  // same folder (bench/ compiles this file too)

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "tinyopt/exec/float_executor.h"

namespace tinyopt::testing {
namespace {

struct Range {
  float lo = 0.0f, hi = 0.0f;
};
struct ActQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
  bool int16 = false;
};

ActQuant act_quant(Range r, bool int16) {
  ActQuant q;
  q.int16 = int16;
  const float lo = std::min(r.lo, 0.0f), hi = std::max(r.hi, 0.0f);
  if (int16) {
    q.scale = std::max(std::max(-lo, hi), 1e-6f) / 32767.0f;
    return q;
  }
  q.scale = std::max(hi - lo, 1e-6f) / 255.0f;
  q.zero_point = static_cast<int32_t>(std::clamp<long>(std::lround(-128.0f - lo / q.scale), -128, 127));
  return q;
}

bool fusable_producer(OpType op) {
  return op == OpType::kConv || op == OpType::kGemm || op == OpType::kMatMul || op == OpType::kAdd;
}
bool keeps_input_quant(OpType op) {
  return op == OpType::kMaxPool || op == OpType::kFlatten || op == OpType::kReshape || op == OpType::kIdentity ||
         op == OpType::kPad || op == OpType::kRelu || op == OpType::kClip;
}

Tensor scalar_of(DType t, int32_t v) {
  Tensor x(t, Shape{});
  if (t == DType::kI8) x.data<int8_t>()[0] = static_cast<int8_t>(v);
  if (t == DType::kI16) x.data<int16_t>()[0] = static_cast<int16_t>(v);
  return x;
}

Tensor pack_int4(const std::vector<int32_t>& v, const Shape& shape) {
  Tensor t(DType::kI4, shape);
  for (size_t i = 0; i < v.size(); ++i) t.bytes()[i / 2] |= static_cast<uint8_t>((v[i] & 0xF) << ((i % 2) * 4));
  return t;
}

class Quantizer {
 public:
  Quantizer(const Graph& g, const TestQuantOptions& o) : src_(g), opts_(o) { out_ = g; out_.nodes.clear(); }

  Graph run(const std::vector<Tensor>& calibration) {
    FloatExecutor exec(src_, ExecOptions{1});
    for (const auto& [name, t] : exec.run_all(calibration)) {
      if (t.dtype() != DType::kF32 || t.numel() == 0) continue;
      const auto [lo, hi] = std::minmax_element(t.data<float>(), t.data<float>() + t.numel());
      ranges_[name] = {*lo, *hi};
    }
    for (const std::string& in : src_.inputs) quantize_value(in, new_quant(in));
    for (const Node& n : src_.nodes) {
      Node copy = n;
      for (auto& in : copy.inputs)
        if (renamed_.count(in)) in = renamed_[in];
      if (n.op == OpType::kConv || n.op == OpType::kGemm || n.op == OpType::kMatMul) quantize_weights(copy);
      out_.nodes.push_back(copy);
      const std::string& y = n.outputs.at(0);
      const std::vector<int> users = src_.consumers(y);
      const bool fused = fusable_producer(n.op) && users.size() == 1 &&
                         (src_.nodes[static_cast<size_t>(users[0])].op == OpType::kRelu ||
                          src_.nodes[static_cast<size_t>(users[0])].op == OpType::kClip);
      if (fused) continue;
      if (keeps_input_quant(n.op) && quant_.count(n.inputs[0])) {
        quantize_value(y, quant_[n.inputs[0]]);
      } else if (n.op == OpType::kConcat) {
        Range r{0, 0};
        for (const auto& in : n.inputs) {
          r.lo = std::min(r.lo, ranges_[in].lo);
          r.hi = std::max(r.hi, ranges_[in].hi);
        }
        quantize_value(y, act_quant(r, opts_.int16_values.count(y) != 0));
      } else {
        quantize_value(y, new_quant(y));
      }
    }
    for (auto& o : out_.outputs)
      if (renamed_.count(o)) o = renamed_[o];
    return out_;
  }

 private:
  ActQuant new_quant(const std::string& v) { return act_quant(ranges_[v], opts_.int16_values.count(v) != 0); }

  // v -> Q -> v/q -> DQ -> v/dq; later readers of v read v/dq.
  void quantize_value(const std::string& v, const ActQuant& q) {
    quant_[v] = q;
    const std::string s = v + "/scale", z = v + "/zp", vq = v + "/q", vdq = v + "/dq";
    out_.add_initializer(s, Tensor::scalar_f32(q.scale));
    out_.add_initializer(z, scalar_of(q.int16 ? DType::kI16 : DType::kI8, q.zero_point));
    add_node(OpType::kQuantizeLinear, {v, s, z}, vq);
    add_node(OpType::kDequantizeLinear, {vq, s, z}, vdq);
    renamed_[v] = vdq;
  }

  void add_node(OpType op, std::vector<std::string> inputs, const std::string& output, int64_t axis = -999) {
    Node n;
    n.name = output + "/" + std::string(op_name(op));
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    if (axis != -999) n.attrs["axis"] = axis;
    Value v;
    v.name = output;
    out_.set_value(v);
    out_.nodes.push_back(n);
  }

  void quantize_weights(Node& n) {
    const Tensor w = *src_.value(n.inputs.at(1)).data;
    const bool int4 = opts_.all_int4 || opts_.int4_layers.count(n.name) != 0;
    const int qmax = int4 ? 7 : 127;
    const bool trans_b = n.op == OpType::kGemm && n.attr_int("transB", 0) != 0;
    const int axis = n.op == OpType::kConv || trans_b ? 0 : 1;
    const int64_t channels = w.dim(axis);
    const int64_t inner = axis == 0 ? w.numel() / channels : 1;
    const int64_t stride = axis == 0 ? 1 : channels;  // element (c, i): index c*inner + i (axis 0) or i*C + c
    std::vector<float> scale(static_cast<size_t>(channels));
    std::vector<int32_t> q(static_cast<size_t>(w.numel()));
    const float* x = w.data<float>();
    const int64_t per_channel = w.numel() / channels;
    auto index = [&](int64_t c, int64_t i) { return axis == 0 ? c * inner + i : i * stride + c; };
    for (int64_t c = 0; c < channels; ++c) {
      float m = 0.0f;
      for (int64_t i = 0; i < per_channel; ++i) m = std::max(m, std::fabs(x[index(c, i)]));
      scale[static_cast<size_t>(c)] = std::max(m, 1e-8f) / static_cast<float>(qmax);
      for (int64_t i = 0; i < per_channel; ++i)
        q[static_cast<size_t>(index(c, i))] = static_cast<int32_t>(std::clamp<long>(
            std::lround(x[index(c, i)] / scale[static_cast<size_t>(c)]), -qmax, qmax));
    }
    const std::string wn = n.inputs[1];
    Tensor wq;
    if (int4) {
      wq = pack_int4(q, w.shape());
    } else {
      wq = Tensor(DType::kI8, w.shape());
      for (size_t i = 0; i < q.size(); ++i) wq.data<int8_t>()[i] = static_cast<int8_t>(q[i]);
    }
    out_.add_initializer(wn + "/q", wq);
    out_.add_initializer(wn + "/scale", Tensor::from_f32({channels}, scale));
    out_.add_initializer(wn + "/zp", int4 ? pack_int4(std::vector<int32_t>(static_cast<size_t>(channels), 0), {channels})
                                          : Tensor(DType::kI8, {channels}));
    add_node(OpType::kDequantizeLinear, {wn + "/q", wn + "/scale", wn + "/zp"}, wn + "/dq", axis);
    n.inputs[1] = wn + "/dq";
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const std::string bn = src_.nodes.empty() ? "" : n.inputs[2];
      const Tensor b = *src_.value(bn).data;
      const float s_in = quant_.at(input_float_name(n.inputs[0])).scale;
      std::vector<float> bs(static_cast<size_t>(channels));
      Tensor bq(DType::kI32, {channels});
      for (int64_t c = 0; c < channels; ++c) {
        bs[static_cast<size_t>(c)] = s_in * scale[static_cast<size_t>(c)];
        bq.data<int32_t>()[c] = static_cast<int32_t>(std::lround(b.data<float>()[c] / bs[static_cast<size_t>(c)]));
      }
      out_.add_initializer(bn + "/q", bq);
      out_.add_initializer(bn + "/scale", Tensor::from_f32({channels}, bs));
      out_.add_initializer(bn + "/zp", Tensor(DType::kI32, {channels}));
      add_node(OpType::kDequantizeLinear, {bn + "/q", bn + "/scale", bn + "/zp"}, bn + "/dq", 0);
      n.inputs[2] = bn + "/dq";
    }
  }

  // "x/dq" -> "x"
  std::string input_float_name(const std::string& dq) const {
    for (const auto& [orig, renamed] : renamed_)
      if (renamed == dq) return orig;
    return dq;
  }

  const Graph& src_;
  TestQuantOptions opts_;
  Graph out_;
  std::map<std::string, Range> ranges_;
  std::map<std::string, ActQuant> quant_;
  std::map<std::string, std::string> renamed_;
};

}  // namespace

Graph fold_batch_norm_for_test(const Graph& graph) {
  Graph g = graph;
  std::vector<Node> nodes;
  std::set<std::string> folded;  // BN node names
  for (const Node& n : graph.nodes) {
    if (n.op != OpType::kConv) continue;
    const std::vector<int> users = graph.consumers(n.outputs[0]);
    if (users.size() != 1) continue;
    const Node& bn = graph.nodes[static_cast<size_t>(users[0])];
    if (bn.op != OpType::kBatchNormalization) continue;
    const Tensor w = *graph.value(n.inputs[1]).data;
    const int64_t oc = w.dim(0), per = w.numel() / oc;
    auto vec = [&](size_t i) { return graph.value(bn.inputs[i]).data->data<float>(); };
    const float *gamma = vec(1), *beta = vec(2), *mean = vec(3), *var = vec(4);
    const float eps = bn.attr_float("epsilon", 1e-5f);
    Tensor nw(DType::kF32, w.shape()), nb(DType::kF32, {oc});
    const bool has_b = n.inputs.size() > 2 && !n.inputs[2].empty();
    for (int64_t c = 0; c < oc; ++c) {
      const float k = gamma[c] / std::sqrt(var[c] + eps);
      for (int64_t i = 0; i < per; ++i) nw.data<float>()[c * per + i] = w.data<float>()[c * per + i] * k;
      const float b = has_b ? graph.value(n.inputs[2]).data->data<float>()[c] : 0.0f;
      nb.data<float>()[c] = (b - mean[c]) * k + beta[c];
    }
    g.add_initializer(n.name + ".folded_w", nw);
    g.add_initializer(n.name + ".folded_b", nb);
    folded.insert(bn.name);
  }
  g.nodes.clear();
  for (const Node& n : graph.nodes) {
    if (folded.count(n.name)) continue;
    Node copy = n;
    if (n.op == OpType::kConv && g.has_value(n.name + ".folded_w")) {
      const Node& bn = graph.nodes[static_cast<size_t>(graph.consumers(n.outputs[0])[0])];
      copy.inputs = {n.inputs[0], n.name + ".folded_w", n.name + ".folded_b"};
      copy.outputs = {bn.outputs[0]};
    }
    g.nodes.push_back(copy);
  }
  return g;
}

Graph quantize_for_test(const Graph& float_graph, const std::vector<Tensor>& calibration,
                        const TestQuantOptions& opts) {
  return Quantizer(fold_batch_norm_for_test(float_graph), opts).run(calibration);
}

}  // namespace tinyopt::testing
