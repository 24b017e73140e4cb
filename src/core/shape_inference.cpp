// Static shape and dtype inference, one function per op in a table indexed by OpType. Shapes that depend
// on tensor *values* (Reshape's shape, Squeeze axes, Pad pads, ...) need those inputs to be initializers;
// otherwise inference reports which input must be constant. Executors compute shapes from real tensors
// and only use this for static analysis (inspect, planning, cost).
//
// Hostile sizes: every dim, window attribute and inferred tensor is bounded by Tensor::kMaxTensorBytes
// (4 GiB, the per-tensor limit allocation enforces), checked before any arithmetic that could overflow,
// so a model declaring an allocation bomb is refused when it is read (docs/hostile-inputs.md).
#include "tinyopt/core/shape_inference.h"

#include <algorithm>
#include <array>
#include <functional>

#include "tinyopt/core/error.h"

namespace tinyopt {
namespace {

// Largest dim, element count or window attribute static analysis accepts (2^32): anything larger than
// the 4 GiB per-tensor limit cannot be a real model, and bounding inputs keeps every product below 2^63.
constexpr int64_t kMaxExtent = Tensor::kMaxTensorBytes;

// Elements of `s` counting empty dims as 1, or kMaxExtent + 1 once the product passes kMaxExtent.
int64_t bounded_extent(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    const int64_t f = std::max<int64_t>(d, 1);
    if (f > kMaxExtent || n > kMaxExtent / f) return kMaxExtent + 1;
    n *= f;
  }
  return n;
}

struct Ctx {
  const Graph& g;
  const Node& n;
  const Shape& in(size_t i) const {
    if (i >= n.inputs.size() || n.inputs[i].empty()) fail("missing input " + std::to_string(i));
    return g.value(n.inputs[i]).shape;
  }
  bool has_input(size_t i) const { return i < n.inputs.size() && !n.inputs[i].empty(); }
  DType in_dtype(size_t i) const { return g.value(n.inputs[i]).dtype; }
  // Values of a constant integer input (initializer), e.g. Reshape's shape.
  std::vector<int64_t> const_ints(size_t i) const {
    const Value& v = g.value(n.inputs.at(i));
    if (!v.data) fail("input '" + v.name + "' must be a constant (initializer) for static shape inference");
    const Tensor& t = *v.data;
    std::vector<int64_t> out;
    if (t.dtype() == DType::kI64) out.assign(t.data<int64_t>(), t.data<int64_t>() + t.numel());
    else if (t.dtype() == DType::kI32) out.assign(t.data<int32_t>(), t.data<int32_t>() + t.numel());
    else fail("input '" + v.name + "' must be int64");
    return out;
  }
  [[noreturn]] void fail(const std::string& msg) const { throw_bad_input(n.describe() + ": " + msg); }
  int64_t norm_axis(int64_t axis, size_t rank) const {
    const auto r = static_cast<int64_t>(rank);
    if (axis < -r || axis >= r) fail("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
    return axis < 0 ? axis + r : axis;
  }
};

using ShapeFn = std::vector<Shape> (*)(const Ctx&);

std::vector<Shape> same_as_input(const Ctx& c) { return {c.in(0)}; }

Shape broadcast(const Ctx& c, const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      c.fail("shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}
std::vector<Shape> broadcast_binary(const Ctx& c) { return {broadcast(c, c.in(0), c.in(1))}; }

std::vector<Shape> conv(const Ctx& c) {
  const Shape& x = c.in(0);
  const Shape& w = c.in(1);
  if (x.size() < 3 || w.size() != x.size()) c.fail("input rank " + shape_str(x) + " and weight " + shape_str(w) + " do not fit a convolution");
  const int64_t group = c.n.attr_int("group", 1);
  if (group <= 0 || x[1] % group != 0 || w[1] * group != x[1] || w[0] % group != 0)
    c.fail("input channels " + std::to_string(x[1]) + ", weight " + shape_str(w) + " and group " +
           std::to_string(group) + " are inconsistent");
  if (c.has_input(2) && c.in(2) != Shape{w[0]})
    c.fail("bias has shape " + shape_str(c.in(2)) + ", expected [" + std::to_string(w[0]) + "]");
  const WindowGeometry geo = resolve_window(c.n, Shape(x.begin() + 2, x.end()), Shape(w.begin() + 2, w.end()));
  Shape out = {x[0], w[0]};
  out.insert(out.end(), geo.out.begin(), geo.out.end());
  return {out};
}

std::vector<Shape> conv_transpose(const Ctx& c) {
  const Shape& x = c.in(0);
  const Shape& w = c.in(1);
  if (x.size() < 3 || w.size() != x.size()) c.fail("bad input/weight ranks");
  const int64_t group = c.n.attr_int("group", 1);
  if (group <= 0 || group > kMaxExtent || w[0] != x[1])
    c.fail("input channels " + std::to_string(x[1]) + ", weight " + shape_str(w) + " and group " +
           std::to_string(group) + " are inconsistent");
  const TransposeWindowGeometry geo =
      resolve_transpose_window(c.n, Shape(x.begin() + 2, x.end()), Shape(w.begin() + 2, w.end()));
  Shape out = {x[0], w[1] * group};
  out.insert(out.end(), geo.out.begin(), geo.out.end());
  return {out};
}

std::vector<Shape> pool(const Ctx& c) {
  const Shape& x = c.in(0);
  if (x.size() < 3) c.fail("input " + shape_str(x) + " has no spatial dimensions");
  const WindowGeometry geo = resolve_window(c.n, Shape(x.begin() + 2, x.end()));
  Shape out = {x[0], x[1]};
  out.insert(out.end(), geo.out.begin(), geo.out.end());
  if (c.n.outputs.size() > 1) return {out, out};  // MaxPool's optional Indices
  return {out};
}

std::vector<Shape> global_pool(const Ctx& c) {
  Shape out = c.in(0);
  if (out.size() < 3) c.fail("input " + shape_str(out) + " has no spatial dimensions");
  std::fill(out.begin() + 2, out.end(), 1);
  return {out};
}

std::vector<Shape> gemm(const Ctx& c) {
  const Shape& a = c.in(0);
  const Shape& b = c.in(1);
  if (a.size() != 2 || b.size() != 2) c.fail("Gemm needs 2-D inputs, got " + shape_str(a) + " and " + shape_str(b));
  const bool ta = c.n.attr_int("transA", 0) != 0;
  const bool tb = c.n.attr_int("transB", 0) != 0;
  const int64_t k_a = ta ? a[0] : a[1];
  const int64_t k_b = tb ? b[1] : b[0];
  if (k_a != k_b) c.fail("inner dimensions differ: " + shape_str(a) + " x " + shape_str(b));
  const Shape out = {ta ? a[1] : a[0], tb ? b[0] : b[1]};
  if (c.has_input(2) && c.in(2).size() <= 2 && broadcast(c, out, c.in(2)) != out)
    c.fail("C has shape " + shape_str(c.in(2)) + ", which does not broadcast to " + shape_str(out));
  if (c.has_input(2) && c.in(2).size() > 2) c.fail("C has shape " + shape_str(c.in(2)) + ", more than 2 dims");
  return {out};
}

std::vector<Shape> matmul(const Ctx& c) {
  Shape a = c.in(0), b = c.in(1);
  if (a.empty() || b.empty()) c.fail("MatMul inputs must not be scalars");
  const bool a1 = a.size() == 1, b1 = b.size() == 1;
  if (a1) a.insert(a.begin(), 1);
  if (b1) b.push_back(1);
  if (a.back() != b[b.size() - 2]) c.fail("inner dimensions differ: " + shape_str(c.in(0)) + " x " + shape_str(c.in(1)));
  Shape batch = broadcast(c, Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!a1) batch.push_back(a[a.size() - 2]);
  if (!b1) batch.push_back(b.back());
  return {batch};
}

std::vector<Shape> reduce_mean(const Ctx& c) {
  const Shape& x = c.in(0);
  std::vector<int64_t> axes = c.has_input(1) ? c.const_ints(1) : std::vector<int64_t>{};
  const bool keep = c.n.attr_int("keepdims", 1) != 0;
  if (axes.empty() && c.n.attr_int("noop_with_empty_axes", 0) != 0) return {x};
  std::vector<bool> reduce(x.size(), axes.empty());
  for (int64_t a : axes) reduce[static_cast<size_t>(c.norm_axis(a, x.size()))] = true;
  Shape out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!reduce[i]) out.push_back(x[i]);
    else if (keep) out.push_back(1);
  }
  return {out};
}

std::vector<Shape> batch_norm(const Ctx& c) {
  const Shape& x = c.in(0);
  if (x.size() < 2) c.fail("input " + shape_str(x) + " has no channel dimension");
  for (size_t i = 1; i < 5 && i < c.n.inputs.size(); ++i)
    if (shape_numel(c.in(i)) != x[1]) c.fail("parameter " + std::to_string(i) + " has " + shape_str(c.in(i)) + ", expected " + std::to_string(x[1]) + " channels");
  // training_mode's optional running_mean / running_var outputs are per channel.
  if (c.n.outputs.size() > 1) return {x, {x[1]}, {x[1]}};
  return {x};
}

std::vector<Shape> flatten(const Ctx& c) {
  const Shape& x = c.in(0);
  const int64_t axis = c.n.attr_int("axis", 1);
  const int64_t a = axis == static_cast<int64_t>(x.size()) ? axis : c.norm_axis(axis, x.size());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) (i < a ? outer : inner) *= x[static_cast<size_t>(i)];
  return {{outer, inner}};
}

std::vector<Shape> reshape(const Ctx& c) {
  const Shape& x = c.in(0);
  Shape out = c.const_ints(1);
  const bool allowzero = c.n.attr_int("allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allowzero) {
      if (i >= x.size()) c.fail("shape entry 0 at " + std::to_string(i) + " has no input dimension to copy");
      out[i] = x[i];
    }
    if (out[i] > kMaxExtent) c.fail("target shape " + shape_str(c.const_ints(1)) + " has an absurd dimension");
    if (out[i] == -1) {
      if (infer >= 0) c.fail("more than one -1 in the target shape");
      infer = static_cast<int>(i);
    } else {
      if (out[i] < 0) c.fail("negative dimension in the target shape");
      known *= out[i];
    }
  }
  const int64_t total = shape_numel(x);
  if (infer >= 0) {
    if (known == 0 || total % known != 0) c.fail("cannot reshape " + shape_str(x) + " to " + shape_str(c.const_ints(1)));
    out[static_cast<size_t>(infer)] = total / known;
  } else if (known != total) {
    c.fail("cannot reshape " + shape_str(x) + " to " + shape_str(out));
  }
  return {out};
}

std::vector<Shape> squeeze(const Ctx& c) {
  const Shape& x = c.in(0);
  std::vector<bool> drop(x.size(), false);
  if (c.has_input(1)) {
    for (int64_t a : c.const_ints(1)) {
      const auto i = static_cast<size_t>(c.norm_axis(a, x.size()));
      if (x[i] != 1) c.fail("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(x[i]));
      drop[i] = true;
    }
  } else {
    for (size_t i = 0; i < x.size(); ++i) drop[i] = x[i] == 1;
  }
  Shape out;
  for (size_t i = 0; i < x.size(); ++i)
    if (!drop[i]) out.push_back(x[i]);
  return {out};
}

std::vector<Shape> unsqueeze(const Ctx& c) {
  const Shape& x = c.in(0);
  const auto axes = c.const_ints(1);
  const size_t rank = x.size() + axes.size();
  std::vector<bool> is_new(rank, false);
  for (int64_t a : axes) {
    const auto i = static_cast<size_t>(c.norm_axis(a, rank));
    if (is_new[i]) c.fail("repeated axis " + std::to_string(a));
    is_new[i] = true;
  }
  Shape out;
  size_t j = 0;
  for (size_t i = 0; i < rank; ++i) out.push_back(is_new[i] ? 1 : x[j++]);
  return {out};
}

std::vector<Shape> transpose(const Ctx& c) {
  const Shape& x = c.in(0);
  std::vector<int64_t> perm = c.n.attr_ints("perm");
  if (perm.empty())
    for (int64_t i = static_cast<int64_t>(x.size()) - 1; i >= 0; --i) perm.push_back(i);
  if (perm.size() != x.size()) c.fail("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(x.size()));
  Shape out;
  std::vector<bool> used(x.size(), false);
  for (int64_t p : perm) {
    const auto axis = static_cast<size_t>(c.norm_axis(p, x.size()));
    if (used[axis]) c.fail("perm " + shape_str(perm) + " is not a permutation (axis " + std::to_string(p) + " repeats)");
    used[axis] = true;
    out.push_back(x[axis]);
  }
  return {out};
}

std::vector<Shape> concat(const Ctx& c) {
  Shape out = c.in(0);
  const auto axis = static_cast<size_t>(c.norm_axis(c.n.attr_int("axis", 0), out.size()));
  for (size_t i = 1; i < c.n.inputs.size(); ++i) {
    const Shape& s = c.in(i);
    if (s.size() != out.size()) c.fail("input " + std::to_string(i) + " has rank " + std::to_string(s.size()));
    for (size_t d = 0; d < s.size(); ++d)
      if (d != axis && s[d] != out[d]) c.fail("input " + std::to_string(i) + " " + shape_str(s) + " differs from " + shape_str(c.in(0)) + " off the concat axis");
    out[axis] += s[axis];
  }
  return {out};
}

std::vector<Shape> pad(const Ctx& c) {
  Shape out = c.in(0);
  const auto pads = c.const_ints(1);
  std::vector<int64_t> axes;
  if (c.has_input(3)) {
    for (int64_t a : c.const_ints(3)) axes.push_back(c.norm_axis(a, out.size()));
  } else {
    for (size_t i = 0; i < out.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (pads.size() != 2 * axes.size()) c.fail("pads has " + std::to_string(pads.size()) + " entries, expected " + std::to_string(2 * axes.size()));
  for (int64_t p : pads)
    if (p < -kMaxExtent || p > kMaxExtent) c.fail("pads " + shape_str(pads) + " holds an absurd value");
  for (size_t i = 0; i < axes.size(); ++i) out[static_cast<size_t>(axes[i])] += pads[i] + pads[i + axes.size()];
  return {out};
}

std::vector<Shape> dropout(const Ctx& c) {
  std::vector<Shape> out = {c.in(0)};
  if (c.n.outputs.size() > 1) out.push_back(c.in(0));
  return out;
}

constexpr std::array<ShapeFn, kOpTypeCount> kShapeFns = {
    conv,              // Conv
    conv_transpose,    // ConvTranspose
    gemm,              // Gemm
    matmul,            // MatMul
    broadcast_binary,  // Add
    broadcast_binary,  // Sub
    broadcast_binary,  // Mul
    broadcast_binary,  // Div
    same_as_input,     // Relu
    same_as_input,     // Clip
    same_as_input,     // LeakyRelu
    same_as_input,     // Sigmoid
    same_as_input,     // HardSigmoid
    same_as_input,     // HardSwish
    same_as_input,     // Tanh
    same_as_input,     // Softmax
    pool,              // MaxPool
    pool,              // AveragePool
    global_pool,       // GlobalAveragePool
    reduce_mean,       // ReduceMean
    batch_norm,        // BatchNormalization
    flatten,           // Flatten
    reshape,           // Reshape
    squeeze,           // Squeeze
    unsqueeze,         // Unsqueeze
    transpose,         // Transpose
    concat,            // Concat
    pad,               // Pad
    same_as_input,     // Identity
    dropout,           // Dropout
    same_as_input,     // QuantizeLinear
    same_as_input,     // DequantizeLinear
};
static_assert(kShapeFns.size() == kOpTypeCount, "every op needs a shape function");

DType output_dtype(const Ctx& c, size_t output_index) {
  switch (c.n.op) {
    case OpType::kQuantizeLinear:
      return c.has_input(2) ? c.in_dtype(2) : DType::kU8;
    case OpType::kDequantizeLinear:
      return DType::kF32;
    case OpType::kDropout:
      return output_index == 1 ? DType::kBool : c.in_dtype(0);
    case OpType::kMaxPool:
      return output_index == 1 ? DType::kI64 : c.in_dtype(0);
    default:
      return c.in_dtype(0);
  }
}

// Refuses a value whose bytes would pass Tensor::kMaxTensorBytes (dims are known to be >= 0 here).
void check_tensor_size(const Value& v, const std::string& what) {
  const int64_t extent = bounded_extent(v.shape);
  if (extent > kMaxExtent || static_cast<int64_t>(dtype_storage_bytes(v.dtype, extent)) > Tensor::kMaxTensorBytes)
    throw_bad_input(what + " would be " + std::string(dtype_name(v.dtype)) + shape_str(v.shape) +
                    ", beyond tinyopt's limit of 4 GiB per tensor");
}

// Refuses window attributes outside [lo, kMaxExtent] before any arithmetic on them.
void check_window_attr(const Node& node, const char* name, const std::vector<int64_t>& values, int64_t lo) {
  for (int64_t v : values)
    if (v < lo || v > kMaxExtent)
      throw_bad_input(node.describe() + ": " + name + " " + shape_str(values) + " must be in [" + std::to_string(lo) +
                      ", 2^32]");
}

}  // namespace

WindowGeometry resolve_window(const Node& node, const std::vector<int64_t>& in, std::vector<int64_t> kernel) {
  const size_t sp = in.size();
  auto fail = [&](const std::string& m) { throw_bad_input(node.describe() + ": " + m); };
  WindowGeometry g;
  g.kernel = node.attr_ints("kernel_shape", kernel);
  if (g.kernel.size() != sp) fail("kernel_shape has " + std::to_string(g.kernel.size()) + " dims for " + std::to_string(sp) + " spatial dims");
  g.strides = node.attr_ints("strides", std::vector<int64_t>(sp, 1));
  g.dilations = node.attr_ints("dilations", std::vector<int64_t>(sp, 1));
  auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * sp, 0));
  if (g.strides.size() != sp || g.dilations.size() != sp || pads.size() != 2 * sp)
    fail("strides/dilations/pads do not match " + std::to_string(sp) + " spatial dims");
  check_window_attr(node, "kernel_shape", g.kernel, 1);
  check_window_attr(node, "strides", g.strides, 1);
  check_window_attr(node, "dilations", g.dilations, 1);
  check_window_attr(node, "pads", pads, 0);
  check_window_attr(node, "input spatial dims", in, -1);
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  for (size_t i = 0; i < sp; ++i) {
    if (g.kernel[i] <= 0 || g.strides[i] <= 0 || g.dilations[i] <= 0) fail("kernel, strides and dilations must be positive");
    const int64_t span = (g.kernel[i] - 1) * g.dilations[i] + 1;
    int64_t out;
    int64_t pb = pads[i], pe = pads[sp + i];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      out = (in[i] + g.strides[i] - 1) / g.strides[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[i] + span - in[i]);
      pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (auto_pad == "VALID") {
      pb = pe = 0;
      out = (in[i] - span) / g.strides[i] + 1;
    } else if (auto_pad == "NOTSET") {
      const int64_t room = in[i] + pb + pe - span;
      out = (ceil_mode ? (room + g.strides[i] - 1) / g.strides[i] : room / g.strides[i]) + 1;
      // As in PyTorch and the ONNX reference: the last window must start inside the input or left pad.
      if (ceil_mode && (out - 1) * g.strides[i] >= in[i] + pb) --out;
    } else {
      fail("unsupported auto_pad '" + auto_pad + "'");
    }
    if (out <= 0) fail("window " + std::to_string(span) + " does not fit input size " + std::to_string(in[i]));
    g.pad_begin.push_back(pb);
    g.pad_end.push_back(pe);
    g.out.push_back(out);
  }
  return g;
}

TransposeWindowGeometry resolve_transpose_window(const Node& node, const std::vector<int64_t>& in,
                                                 const std::vector<int64_t>& kernel) {
  const size_t sp = in.size();
  auto fail = [&](const std::string& m) { throw_bad_input(node.describe() + ": " + m); };
  TransposeWindowGeometry g;
  g.kernel = node.attr_ints("kernel_shape", kernel);
  g.strides = node.attr_ints("strides", std::vector<int64_t>(sp, 1));
  g.dilations = node.attr_ints("dilations", std::vector<int64_t>(sp, 1));
  g.output_padding = node.attr_ints("output_padding", std::vector<int64_t>(sp, 0));
  auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * sp, 0));
  auto out_shape = node.attr_ints("output_shape");
  if (g.kernel.size() != sp || g.strides.size() != sp || g.dilations.size() != sp || g.output_padding.size() != sp ||
      pads.size() != 2 * sp || (!out_shape.empty() && out_shape.size() < sp))
    fail("kernel_shape/strides/dilations/output_padding/pads/output_shape do not match " + std::to_string(sp) +
         " spatial dims");
  check_window_attr(node, "kernel_shape", g.kernel, 1);
  check_window_attr(node, "strides", g.strides, 1);
  check_window_attr(node, "dilations", g.dilations, 1);
  check_window_attr(node, "output_padding", g.output_padding, 0);
  check_window_attr(node, "pads", pads, 0);
  check_window_attr(node, "output_shape", out_shape, 1);
  check_window_attr(node, "input spatial dims", in, -1);
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
    fail("unsupported auto_pad '" + auto_pad + "'");
  for (size_t i = 0; i < sp; ++i) {
    if (g.kernel[i] <= 0 || g.strides[i] <= 0 || g.dilations[i] <= 0) fail("kernel, strides and dilations must be positive");
    const int64_t full = g.strides[i] * (in[i] - 1) + g.output_padding[i] + (g.kernel[i] - 1) * g.dilations[i] + 1;
    int64_t pb = pads[i], pe = pads[sp + i], out;
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!out_shape.empty() || same) {
      out = !out_shape.empty() ? out_shape[out_shape.size() - sp + i] : in[i] * g.strides[i];
      const int64_t total = full - out;  // negative when output_shape asks for more than the kernel covers
      const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);  // floor(total / 2), as ONNX's Python
      pb = auto_pad == "SAME_UPPER" ? half : total - half;
      pe = total - pb;
    } else {
      if (auto_pad == "VALID") pb = pe = 0;
      out = full - pb - pe;
    }
    if (out <= 0) fail("output size " + std::to_string(out) + " is not positive");
    g.pad_begin.push_back(pb);
    g.pad_end.push_back(pe);
    g.out.push_back(out);
  }
  return g;
}

std::vector<Shape> infer_node_shapes(const Graph& graph, const Node& node) {
  Ctx c{graph, node};
  bool inputs_known = true;
  for (const auto& in : node.inputs) {
    if (in.empty() || !graph.has_value(in)) continue;
    const Shape& s = graph.value(in).shape;
    if (bounded_extent(s) > kMaxExtent)
      c.fail("input '" + in + "' has shape " + shape_str(s) + ", beyond the 4 GiB per-tensor limit");
    inputs_known = inputs_known && std::none_of(s.begin(), s.end(), [](int64_t d) { return d < 0; });
  }
  std::vector<Shape> shapes = kShapeFns[static_cast<size_t>(node.op)](c);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const bool negative = std::any_of(shapes[i].begin(), shapes[i].end(), [](int64_t d) { return d < 0; });
    if (inputs_known && negative)
      c.fail("output " + std::to_string(i) + " would have shape " + shape_str(shapes[i]) + ", a negative size");
    if (bounded_extent(shapes[i]) > kMaxExtent)
      c.fail("output " + std::to_string(i) + " would have shape " + shape_str(shapes[i]) +
             ", beyond the 4 GiB per-tensor limit");
  }
  return shapes;
}

void infer_shapes(Graph& graph, int64_t batch) {
  for (const auto& name : graph.inputs) {
    Value& v = graph.value(name);
    if (!v.shape.empty() && v.shape[0] < 0) v.shape[0] = batch;
    for (int64_t d : v.shape)
      if (d < 0) throw_bad_input("graph input '" + name + "' has unknown dimension in " + shape_str(v.shape) + "; only the batch dimension may be unknown");
    check_tensor_size(v, "graph input '" + name + "'");
  }
  for (const Node& node : graph.nodes) {
    Ctx c{graph, node};
    for (const auto& in : node.inputs)
      if (!in.empty() && !graph.has_value(in)) c.fail("input '" + in + "' is not defined");
    const auto shapes = infer_node_shapes(graph, node);
    for (size_t i = 0; i < node.outputs.size() && i < shapes.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      Value v = graph.has_value(node.outputs[i]) ? graph.value(node.outputs[i]) : Value{};
      v.name = node.outputs[i];
      v.shape = shapes[i];
      v.dtype = output_dtype(c, i);
      with_error_context(node.describe(), [&] { check_tensor_size(v, "output '" + v.name + "'"); });
      graph.set_value(std::move(v));
    }
  }
}

}  // namespace tinyopt
