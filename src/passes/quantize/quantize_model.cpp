// The post-training quantization pipeline (quantize.h): plan from statistics, bias correction, SQNR, and
// quantize_model, which chains them after fold_batch_norm and calibration.
#include "tinyopt/passes/quantize.h"

#include <cmath>
#include <limits>

#include "passes/graph_edit.h"
#include "passes/quantize/dataset_batches.h"
#include "tinyopt/core/error.h"
#include "tinyopt/exec/evaluate.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/passes/fold_batch_norm.h"

namespace tinyopt::quant {
namespace {

int layer_weight_bits(const QuantizeOptions& o, const std::string& node) {
  auto it = o.weight_bits_by_layer.find(node);
  const int bits = it == o.weight_bits_by_layer.end() ? o.weight_bits : it->second;
  if (bits != 8 && bits != 4) throw_usage("layer '" + node + "': weights can be 8 or 4 bits, not " + std::to_string(bits));
  return bits;
}

// Axis of the output channels in a layer's output value: 1 for Conv (NCHW) and Gemm, the last for MatMul.
int output_channel_axis(const QuantLayer& l, const Tensor& y) { return l.op == OpType::kMatMul ? y.rank() - 1 : 1; }

// Adds sum over (outer, inner) of y per channel to `sums`.
void add_channel_sums(const Tensor& y, int axis, std::vector<double>& sums) {
  const ChannelView v = channel_view(y.shape(), axis);
  sums.resize(static_cast<size_t>(v.channels), 0.0);
  const float* d = y.data<float>();
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c) {
      double s = 0;
      const float* p = d + (o * v.channels + c) * v.inner;
      for (int64_t i = 0; i < v.inner; ++i) s += p[i];
      sums[static_cast<size_t>(c)] += s;
    }
}

// The name the node called `node` gives its first output in `g` (apply_quant_plan renames graph outputs).
const std::string& node_output(const Graph& g, const std::string& node) {
  for (const Node& n : g.nodes)
    if (n.name == node) return n.outputs.at(0);
  throw_internal("node '" + node + "' is missing from the quantized graph");
}

// Gives every layer a bias (zeros) so that bias correction has something to correct.
Graph with_biases(const Graph& folded, const QuantSites& sites) {
  Graph g = folded;
  for (const QuantLayer& l : sites.layers) {
    if (!l.bias.empty()) continue;
    for (Node& n : g.nodes) {
      if (n.name != l.node) continue;
      const int64_t channels = g.value(l.weight).shape.at(static_cast<size_t>(l.weight_axis));
      if (n.op == OpType::kMatMul) break;  // MatMul has no bias input
      const std::string name = g.unique_name(l.node + ".bias");
      g.add_initializer(name, Tensor(DType::kF32, {channels}));
      n.inputs.resize(3);
      n.inputs[2] = name;
    }
  }
  return g;
}

}  // namespace

double sqnr_db(double signal, double noise) {
  if (noise <= 0) return std::numeric_limits<double>::infinity();
  if (signal <= 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

QuantPlan make_quant_plan(const Graph& folded, const QuantSites& sites, const std::map<std::string, ValueHistogram>& stats,
                          const QuantizeOptions& o) {
  QuantPlan plan;
  for (const ActivationSite& s : sites.activations) {
    if (s.kind != SiteKind::kCalibrated) continue;
    auto it = stats.find(s.value);
    if (it == stats.end()) throw_internal("no calibration statistics for '" + s.value + "'");
    const Range r = calibrate_range(it->second, o.calibrator, o.activation_bits, o.percentile);
    plan.activations[s.value] = activation_quant(r.lo, r.hi, o.activation_bits);
  }
  for (const QuantLayer& l : sites.layers) {
    if (plan.weights.count(l.weight)) continue;
    const int bits = layer_weight_bits(o, l.node);
    const WeightClip clip = o.weight_clip.value_or(bits == 4 ? WeightClip::kMse : WeightClip::kMax);
    plan.weights[l.weight] = with_error_context(l.node, [&] {
      return weight_quant(*folded.value(l.weight).data, l.weight_axis, bits, clip);
    });
  }
  return plan;
}

Graph correct_biases(const Graph& folded, const QuantPlan& plan, const Dataset& data, const QuantizeOptions& o,
                     std::map<std::string, double>* shifts, const QuantizeProgress& progress) {
  const QuantSites sites = find_quant_sites(folded);
  Graph g = with_biases(folded, sites);
  // E[y] of every layer's own output in the float model: one pass.
  std::map<std::string, std::vector<double>> float_sums;
  {
    FloatExecutor exec(g, ExecOptions{o.calibration.threads});
    detail::for_each_batch(data, o.calibration.batch, [&](const Tensor& x, int64_t) {
      const auto all = exec.run_all({x});
      for (const QuantLayer& l : sites.layers) {
        const Tensor& y = all.at(l.output);
        add_channel_sums(y, output_channel_axis(l, y), float_sums[l.output]);
      }
    });
  }
  int64_t done = 0;
  for (const QuantLayer& l : sites.layers) {
    if (progress) progress("bias-correction", done++, static_cast<int64_t>(sites.layers.size()));
    const Node* node = nullptr;
    for (const Node& n : g.nodes)
      if (n.name == l.node) node = &n;
    if (!node || node->inputs.size() < 3 || node->inputs[2].empty()) continue;  // MatMul: nothing to correct
    const Graph qdq = unpack_int4_initializers(apply_quant_plan(g, plan));
    const std::string& out = node_output(qdq, l.node);
    std::vector<double> quant_sums;
    double per_channel = 0;  // elements per output channel over the whole data set
    FloatExecutor exec(qdq, ExecOptions{o.calibration.threads});
    detail::for_each_batch(data, o.calibration.batch, [&](const Tensor& x, int64_t) {
      const auto all = exec.run_all({x});
      const Tensor& y = all.at(out);
      const int axis = output_channel_axis(l, y);
      add_channel_sums(y, axis, quant_sums);
      per_channel += static_cast<double>(y.numel() / y.dim(axis));
    });
    const std::vector<double>& fs = float_sums.at(l.output);
    Tensor& bias = *g.value(node->inputs[2]).data;
    bias = bias.clone();  // storage is shared with the caller's graph
    const int64_t channels = bias.numel();
    double total_shift = 0;
    for (int64_t c = 0; c < channels; ++c) {
      const double shift = (quant_sums[static_cast<size_t>(c)] - fs[static_cast<size_t>(c)]) / per_channel;
      bias.data<float>()[c] -= static_cast<float>(shift);
      total_shift += std::abs(shift);
    }
    if (shifts) (*shifts)[l.node] = total_shift / static_cast<double>(channels);
  }
  if (progress) progress("bias-correction", done, static_cast<int64_t>(sites.layers.size()));
  return g;
}

std::map<std::string, double> layer_sqnr(const Graph& float_graph, const Graph& qdq_graph, const Dataset& data,
                                         const CalibrationOptions& o, const QuantizeProgress& progress) {
  const QuantSites sites = find_quant_sites(float_graph);
  const Graph qdq = unpack_int4_initializers(qdq_graph);
  std::map<std::string, std::string> qname;  // layer site -> its dequantized value in qdq
  for (const QuantLayer& l : sites.layers) qname[l.site] = dequantized_name(qdq, l.site);
  std::map<std::string, std::pair<double, double>> sums;  // site -> (signal, noise)
  FloatExecutor fexec(float_graph, ExecOptions{o.threads});
  FloatExecutor qexec(qdq, ExecOptions{o.threads});
  detail::for_each_batch(data, o.batch, [&](const Tensor& x, int64_t done) {
    const auto fy = fexec.run_all({x});
    const auto qy = qexec.run_all({x});
    for (const auto& [site, name] : qname) {
      const Tensor& a = fy.at(site);
      const Tensor& b = qy.at(name);
      auto& [signal, noise] = sums[site];
      for (int64_t i = 0; i < a.numel(); ++i) {
        const double r = a.data<float>()[i], d = r - b.data<float>()[i];
        signal += r * r;
        noise += d * d;
      }
    }
    if (progress) progress("sqnr", done, data.size());
  });
  std::map<std::string, double> out;
  for (const QuantLayer& l : sites.layers) out[l.node] = sqnr_db(sums[l.site].first, sums[l.site].second);
  return out;
}

QuantizeResult quantize_model(const Graph& float_model, const Dataset& calibration, const QuantizeOptions& o,
                              const QuantizeProgress& progress) {
  if (o.activation_bits != 8 && o.activation_bits != 16)
    throw_usage("activations can be 8 or 16 bits, not " + std::to_string(o.activation_bits));
  if (calibration.size() == 0) throw_bad_input("calibration data '" + calibration.name + "' has no samples");
  check_dataset_fits_model(float_model, calibration);
  QuantizeResult r;
  Graph folded = fold_batch_norm(float_model);
  const QuantSites sites = find_quant_sites(folded);
  std::vector<std::string> calibrated;
  for (const ActivationSite& s : sites.activations)
    if (s.kind == SiteKind::kCalibrated) calibrated.push_back(s.value);
  CalibrationOptions copts = o.calibration;
  copts.histograms = o.calibrator != Calibrator::kMinMax;
  const int passes = copts.histograms ? 2 : 1;
  const auto stats = collect_activation_stats(folded, calibration, calibrated, copts, [&](int pass, int64_t done, int64_t total) {
    if (progress) progress("calibrate", (pass - 1) * total + done, passes * total);
  });
  r.plan = make_quant_plan(folded, sites, stats, o);
  std::map<std::string, double> shifts;
  if (o.bias_correction) folded = correct_biases(folded, r.plan, calibration, o, &shifts, progress);
  r.qdq = apply_quant_plan(folded, r.plan);
  const std::map<std::string, double> sqnr = layer_sqnr(folded, r.qdq, calibration, o.calibration, progress);
  for (const QuantLayer& l : sites.layers) {
    LayerReport rep;
    rep.name = l.node;
    rep.op = l.op;
    rep.weight_bits = r.plan.weights.at(l.weight).bits;
    rep.act_bits = o.activation_bits;
    rep.sqnr_db = sqnr.at(l.node);
    rep.bias_shift = shifts.count(l.node) ? shifts.at(l.node) : 0.0;
    r.layers.push_back(rep);
  }
  r.float_model = std::move(folded);
  return r;
}

}  // namespace tinyopt::quant
