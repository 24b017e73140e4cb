// Standard conv -> depthwise-separable pair initialized by a rank-1 factorization per input channel
// (redesign.h, to_depthwise_separable). Only the replacement and its initialization: the distillation that
// recovers the accuracy the factorization loses is the `redesign` verb's fine-tune.
//
// Why rank 1 per input channel: a depthwise k x k conv followed by a 1x1 conv computes
//   y[o] = sum_i P[o, i] * (D[i] * x[i]),  i.e. the conv kernel W[o, i] = P[o, i] * D[i],
// so each input channel's [C_out, k*k] slice of W becomes an outer product P[:, i] D[i]^T. The best such
// product in the Frobenius norm is the top singular triple (Eckart-Young); we get it from the top
// eigenvector v of the small k*k Gram matrix M^T M (cyclic Jacobi, exact to rounding): D[i] = v,
// P[:, i] = M v.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "passes/graph_edit.h"
#include "tinyopt/core/error.h"
#include "tinyopt/passes/redesign.h"

namespace tinyopt::redesign {
namespace {

// Eigenvector of the largest eigenvalue of the symmetric n x n matrix `a` (row-major), by cyclic Jacobi
// rotations; *value receives that eigenvalue.
std::vector<double> top_eigenvector(std::vector<double> a, int n, double* value) {
  std::vector<double> v(static_cast<size_t>(n * n), 0.0);
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i * n + i)] = 1.0;
  auto at = [n](std::vector<double>& m, int r, int c) -> double& { return m[static_cast<size_t>(r * n + c)]; };
  double scale = 0;
  for (double x : a) scale += x * x;
  for (int sweep = 0; sweep < 64; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += at(a, p, q) * at(a, p, q);
    if (off <= 1e-30 * scale) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = at(a, p, q);
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (at(a, q, q) - at(a, p, p)) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // A <- A J (columns p, q)
          const double kp = at(a, k, p), kq = at(a, k, q);
          at(a, k, p) = c * kp - s * kq;
          at(a, k, q) = s * kp + c * kq;
        }
        for (int k = 0; k < n; ++k) {  // A <- J^T A (rows p, q)
          const double pk = at(a, p, k), qk = at(a, q, k);
          at(a, p, k) = c * pk - s * qk;
          at(a, q, k) = s * pk + c * qk;
        }
        for (int k = 0; k < n; ++k) {  // V <- V J
          const double kp = at(v, k, p), kq = at(v, k, q);
          at(v, k, p) = c * kp - s * kq;
          at(v, k, q) = s * kp + c * kq;
        }
      }
  }
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (at(a, i, i) > at(a, best, best)) best = i;
  *value = std::max(0.0, at(a, best, best));
  std::vector<double> out(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) out[static_cast<size_t>(k)] = at(v, k, best);
  return out;
}

bool is_candidate(const Graph& g, const Node& n) {
  if (n.op != OpType::kConv || n.attr_int("group", 1) != 1 || n.inputs.size() < 2) return false;
  const Value& w = g.value(n.inputs[1]);
  if (!w.data || w.data->dtype() != DType::kF32 || w.data->rank() != 4) return false;
  const Shape& s = w.data->shape();
  return s[1] > 1 && s[2] * s[3] > 1;
}

}  // namespace

std::vector<std::string> separable_candidates(const Graph& graph) {
  std::vector<std::string> names;
  for (const Node& n : graph.nodes)
    if (is_candidate(graph, n)) names.push_back(n.name);
  return names;
}

SeparableResult to_depthwise_separable(const Graph& graph, const std::vector<std::string>& layers) {
  const std::vector<std::string> chosen = layers.empty() ? separable_candidates(graph) : layers;
  std::set<std::string> todo(chosen.begin(), chosen.end());
  for (const std::string& name : todo) {
    auto it = std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) { return n.name == name; });
    if (it == graph.nodes.end()) throw_bad_input(fmt::format("--depthwise-separable: no node named '{}'", name));
    if (!is_candidate(graph, *it))
      throw_bad_input(fmt::format("--depthwise-separable: {} is not a standard convolution with a constant k x k "
                                  "(k > 1) kernel, group 1 and several input channels",
                                  it->describe()));
  }
  SeparableResult r;
  Graph& g = r.graph;
  g = graph;
  g.nodes.clear();
  for (const Node& original : graph.nodes) {
    if (!todo.count(original.name)) {
      g.nodes.push_back(original);
      continue;
    }
    const Tensor& w = *graph.value(original.inputs[1]).data;  // [C_out, C_in, kh, kw]
    const int64_t cout = w.dim(0), cin = w.dim(1), kh = w.dim(2), kw = w.dim(3), k = kh * kw;
    Tensor dw(DType::kF32, {cin, 1, kh, kw});
    Tensor pw(DType::kF32, {cout, cin, 1, 1});
    double total = 0, residual = 0;
    for (int64_t i = 0; i < cin; ++i) {
      // M = W[:, i] as [C_out, k]; Gram = M^T M.
      auto m = [&](int64_t o, int64_t j) { return static_cast<double>(w.data<float>()[(o * cin + i) * k + j]); };
      std::vector<double> gram(static_cast<size_t>(k * k), 0.0);
      double norm2 = 0;
      for (int64_t o = 0; o < cout; ++o)
        for (int64_t a = 0; a < k; ++a) {
          norm2 += m(o, a) * m(o, a);
          for (int64_t b = 0; b < k; ++b) gram[static_cast<size_t>(a * k + b)] += m(o, a) * m(o, b);
        }
      double top = 0;
      const std::vector<double> v = top_eigenvector(gram, static_cast<int>(k), &top);
      for (int64_t j = 0; j < k; ++j) dw.data<float>()[i * k + j] = static_cast<float>(v[static_cast<size_t>(j)]);
      for (int64_t o = 0; o < cout; ++o) {
        double p = 0;
        for (int64_t j = 0; j < k; ++j) p += m(o, j) * v[static_cast<size_t>(j)];
        pw.data<float>()[o * cin + i] = static_cast<float>(p);
      }
      total += norm2;
      residual += std::max(0.0, norm2 - top);
    }

    Node d;
    d.name = g.unique_name(original.name + "_dw");
    d.op = OpType::kConv;
    d.attrs = original.attrs;
    d.attrs["group"] = cin;
    d.attrs["kernel_shape"] = std::vector<int64_t>{kh, kw};
    d.inputs = {original.inputs[0], g.unique_name(d.name + ".weight")};
    g.add_initializer(d.inputs[1], dw);
    d.outputs = {g.unique_name(d.name)};
    Value out = g.value(original.outputs[0]);
    out.name = d.outputs[0];
    out.data.reset();
    out.quant.reset();
    if (out.shape.size() == 4) out.shape[1] = cin;
    g.set_value(out);

    Node p = original;  // keeps its name, output, bias and consumers
    p.attrs.clear();
    p.attrs["kernel_shape"] = std::vector<int64_t>{1, 1};
    p.inputs[0] = d.outputs[0];
    p.inputs[1] = g.unique_name(original.name + "_pw.weight");
    g.add_initializer(p.inputs[1], pw);
    g.nodes.push_back(d);
    g.nodes.push_back(p);
    r.layers.push_back({original.name, d.name, p.name, total > 0 ? std::sqrt(residual / total) : 0.0});
  }
  remove_unused_initializers(g);
  return r;
}

}  // namespace tinyopt::redesign
