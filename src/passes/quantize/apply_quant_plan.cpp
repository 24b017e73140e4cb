// apply_quant_plan: float graph + QuantPlan -> QDQ graph (the form is specified in quant_plan.h).
//
// Steps: 1. find_quant_sites; 2. resolve every site's params (plan, its input's, or the op's fixed ones)
// and check them; 3. walk the nodes in order, emitting before each layer the DequantizeLinear of its
// integer weight and int32 bias, then the node with its activation inputs rewired to the dequantized
// values, then the Q/DQ pair of its output when that output is a site.
#include <cmath>
#include <limits>
#include <set>

#include "passes/graph_edit.h"
#include "tinyopt/core/error.h"
#include "tinyopt/passes/quant_plan.h"

namespace tinyopt::quant {
namespace {

DType activation_dtype(int bits) { return bits == 16 ? DType::kI16 : DType::kI8; }

void check_activation_params(const std::string& value, const TensorQuant& q) {
  const std::string what = "activation '" + value + "'";
  if (q.bits != 8 && q.bits != 16) throw_bad_input(what + ": activations are quantized to 8 or 16 bits, not " + std::to_string(q.bits));
  if (q.scale.size() != 1 || q.zero_point.size() != 1) throw_bad_input(what + ": needs one scale and one zero point (per tensor)");
  if (!(q.scale[0] > 0) || !std::isfinite(q.scale[0])) throw_bad_input(what + ": scale must be positive and finite");
  const int32_t z = q.zero_point[0];
  if (q.bits == 8 ? (z < -128 || z > 127) : z != 0)
    throw_bad_input(what + ": zero point " + std::to_string(z) + " is outside the int" + std::to_string(q.bits) + " rule");
}

TensorQuant fixed_params(int bits) {
  TensorQuant q;  // Softmax: probabilities in [0, 1] (docs/numerics.md section 8)
  q.bits = bits;
  q.scale = {bits == 16 ? 1.0f / 32768.0f : 1.0f / 256.0f};
  q.zero_point = {bits == 16 ? 0 : -128};
  return q;
}

Tensor zero_points(DType dtype, const TensorQuant& q, bool per_tensor) {
  const Shape shape = per_tensor ? Shape{} : Shape{static_cast<int64_t>(q.zero_point.size())};
  Tensor t(dtype, shape);  // zero filled; only activations have non-zero points
  if (dtype == DType::kI8) {
    for (size_t i = 0; i < q.zero_point.size(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(q.zero_point[i]);
  } else if (dtype == DType::kI16) {
    for (size_t i = 0; i < q.zero_point.size(); ++i) t.data<int16_t>()[i] = static_cast<int16_t>(q.zero_point[i]);
  }
  return t;
}

QuantParams to_value_params(const TensorQuant& q, DType storage) {
  return QuantParams{q.scale, q.zero_point, q.axis, storage};
}

class QdqBuilder {
 public:
  QdqBuilder(const Graph& float_graph, const QuantPlan& plan) : src_(float_graph), plan_(plan), g_(float_graph) {
    g_.nodes.clear();
    sites_ = find_quant_sites(float_graph);
    resolve_sites();
  }

  Graph build() {
    for (const std::string& in : src_.inputs)
      if (params_.count(in)) quantize_activation(in);
    for (const Node& n : src_.nodes) {
      Node node = n;
      for (const QuantLayer& l : sites_.layers)
        if (l.node == n.name) emit_layer_constants(l);
      for (std::string& in : node.inputs) {
        auto it = dequantized_.find(in);
        if (it != dequantized_.end()) in = it->second;
      }
      const std::string out = node.outputs.empty() ? "" : node.outputs[0];
      const bool site = params_.count(out) != 0;
      if (site && is_graph_output(g_, out)) {
        // The graph output keeps its name on the DequantizeLinear; the node writes "<v>_float".
        Value v = g_.value(out);
        v.name = g_.unique_name(out + "_float");
        node.outputs[0] = v.name;
        g_.set_value(v);
        g_.nodes.push_back(std::move(node));
        quantize_activation(out, v.name);
      } else {
        g_.nodes.push_back(std::move(node));
        if (site) quantize_activation(out);
      }
    }
    remove_unused_initializers(g_);
    return std::move(g_);
  }

 private:
  void resolve_sites() {
    for (const ActivationSite& s : sites_.activations) {
      TensorQuant q;
      if (s.kind == SiteKind::kCalibrated) {
        auto it = plan_.activations.find(s.value);
        if (it == plan_.activations.end())
          throw_bad_input("quantization plan has no parameters for activation '" + s.value + "'" +
                          (s.node.empty() ? " (graph input)" : " (output of node '" + s.node + "')"));
        q = it->second;
      } else if (s.kind == SiteKind::kSameAsInput) {
        q = params_.at(s.source);
      } else {
        const Node& n = src_.nodes[static_cast<size_t>(src_.producer(s.value))];
        q = fixed_params(params_.at(sites_.site_of.at(n.inputs.at(0))).bits);
      }
      q.axis = 0;
      check_activation_params(s.value, q);
      params_[s.value] = q;
    }
  }

  std::string add_constant(const std::string& base, Tensor t) {
    const std::string name = g_.unique_name(base);
    g_.add_initializer(name, std::move(t));
    return name;
  }

  // value -> QuantizeLinear -> "<v>_quantized" -> DequantizeLinear -> dq_name (default "<v>_dequantized").
  void quantize_activation(const std::string& value, const std::string& float_input = "") {
    const TensorQuant& q = params_.at(value);
    const std::string in = float_input.empty() ? value : float_input;
    const DType dt = activation_dtype(q.bits);
    const std::string scale = add_constant(value + "_scale", Tensor::scalar_f32(q.scale[0]));
    const std::string zp = add_constant(value + "_zero_point", zero_points(dt, q, true));
    Value qv = g_.value(in);
    qv.name = g_.unique_name(value + "_quantized");
    qv.dtype = dt;
    qv.data.reset();
    qv.quant = to_value_params(q, dt);
    g_.set_value(qv);
    std::string dq = value;
    if (float_input.empty()) {
      Value dv = g_.value(in);
      dv.name = g_.unique_name(value + "_dequantized");
      dv.quant.reset();
      g_.set_value(dv);
      dq = dv.name;
      dequantized_[value] = dq;
    }
    emit(OpType::kQuantizeLinear, value + "_QuantizeLinear", {in, scale, zp}, qv.name, -1);
    emit(OpType::kDequantizeLinear, value + "_DequantizeLinear", {qv.name, scale, zp}, dq, -1);
  }

  void emit(OpType op, const std::string& base, std::vector<std::string> inputs, const std::string& output, int axis) {
    Node n;
    n.name = g_.unique_name(base);
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    if (axis >= 0) n.attrs["axis"] = int64_t{axis};
    g_.nodes.push_back(std::move(n));
  }

  // Replaces the float initializer `name` by integer data -> DequantizeLinear -> `name`.
  void emit_dequantized_constant(const std::string& name, Tensor qdata, const TensorQuant& q, DType zp_dtype) {
    Value v = g_.value(name);
    v.data.reset();
    v.shape = qdata.shape();
    g_.set_value(v);
    const std::string scale = add_constant(name + "_scale", Tensor::from_f32({static_cast<int64_t>(q.scale.size())}, q.scale));
    const std::string zp = add_constant(name + "_zero_point", zero_points(zp_dtype, q, false));
    const DType storage = qdata.dtype();
    const std::string qname = add_constant(name + "_quantized", std::move(qdata));
    g_.value(qname).quant = to_value_params(q, storage);
    emit(OpType::kDequantizeLinear, name + "_DequantizeLinear", {qname, scale, zp}, name, q.axis);
  }

  void emit_layer_constants(const QuantLayer& l) {
    auto it = plan_.weights.find(l.weight);
    if (it == plan_.weights.end())
      throw_bad_input("quantization plan has no parameters for weight '" + l.weight + "' of node '" + l.node + "'");
    const TensorQuant& wq = it->second;
    if (wq.axis != l.weight_axis)
      throw_bad_input("weight '" + l.weight + "' of node '" + l.node + "' must be quantized along axis " +
                      std::to_string(l.weight_axis) + " (its output channels), the plan says " + std::to_string(wq.axis));
    const Tensor& w = *src_.value(l.weight).data;
    if (!done_.count(l.weight)) {
      Tensor qw = with_error_context("weight '" + l.weight + "'", [&] { return quantize_weight(w, wq); });
      const DType zp_dtype = qw.dtype();
      emit_dequantized_constant(l.weight, std::move(qw), wq, zp_dtype);
      done_.insert(l.weight);
    }
    if (l.bias.empty()) return;
    if (done_.count(l.bias)) throw_bad_input("bias '" + l.bias + "' is shared by several layers; it cannot be quantized");
    const TensorQuant& in = params_.at(sites_.site_of.at(l.input));
    const Tensor& b = *src_.value(l.bias).data;
    TensorQuant bq;
    bq.bits = 32;
    bq.axis = 0;
    Tensor qb(DType::kI32, {b.numel()});
    // int8 activations keep |bias| <= 2^30 (docs/numerics.md section 1); int16 ones are limited to int32 here.
    const double limit = in.bits == 8 ? double(1 << 30) : double(std::numeric_limits<int32_t>::max());
    for (int64_t c = 0; c < b.numel(); ++c) {
      const double s = static_cast<double>(in.scale[0]) * static_cast<double>(wq.scale[static_cast<size_t>(c)]);
      const double v = std::round(static_cast<double>(b.data<float>()[c]) / s);
      qb.data<int32_t>()[c] = static_cast<int32_t>(std::clamp(std::isnan(v) ? 0.0 : v, -limit, limit));
      bq.scale.push_back(static_cast<float>(s));
      bq.zero_point.push_back(0);
    }
    emit_dequantized_constant(l.bias, std::move(qb), bq, DType::kI32);
    done_.insert(l.bias);
  }

  const Graph& src_;
  const QuantPlan& plan_;
  Graph g_;
  QuantSites sites_;
  std::map<std::string, TensorQuant> params_;        // every site value -> resolved params
  std::map<std::string, std::string> dequantized_;   // site value -> its DequantizeLinear output
  std::set<std::string> done_;                        // weights and biases already quantized
};

}  // namespace

Graph apply_quant_plan(const Graph& float_graph, const QuantPlan& plan) {
  return QdqBuilder(float_graph, plan).build();
}

std::string dequantized_name(const Graph& g, const std::string& value) {
  const int p = g.producer(value);
  if (p >= 0 && g.nodes[static_cast<size_t>(p)].op == OpType::kDequantizeLinear) return value;
  for (int q : g.consumers(value)) {
    const Node& qn = g.nodes[static_cast<size_t>(q)];
    if (qn.op != OpType::kQuantizeLinear) continue;
    for (int d : g.consumers(qn.outputs[0]))
      if (g.nodes[static_cast<size_t>(d)].op == OpType::kDequantizeLinear) return g.nodes[static_cast<size_t>(d)].outputs[0];
  }
  throw_bad_input("value '" + value + "' is not quantized in this graph");
}

}  // namespace tinyopt::quant
