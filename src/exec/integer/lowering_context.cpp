// Shared helpers of the QDQ lowering (see lowering_context.h).
#include "exec/integer/lowering_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "exec/integer/runtime_dispatch.h"
#include "tinyopt/core/error.h"

namespace tinyopt::exec {
namespace {

// Integer initializer elements as int32 (int4 nibbles sign-extended, docs/numerics.md section 6).
std::vector<int32_t> int_values(const Tensor& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t.dtype()) {
      case DType::kI8: v[i] = t.data<int8_t>()[i]; break;
      case DType::kI16: v[i] = t.data<int16_t>()[i]; break;
      case DType::kI32: v[i] = t.data<int32_t>()[i]; break;
      case DType::kI4: {
        const int nibble = (i % 2 == 0) ? (t.bytes()[i / 2] & 0x0F) : (t.bytes()[i / 2] >> 4);
        v[i] = nibble >= 8 ? nibble - 16 : nibble;
        break;
      }
      case DType::kI64: {
        const int64_t x = t.data<int64_t>()[i];
        if (x < INT32_MIN || x > INT32_MAX) throw_bad_input("value " + std::to_string(x) + " does not fit int32");
        v[i] = static_cast<int32_t>(x);
        break;
      }
      default: throw_bad_input("expected an integer tensor, got " + std::string(dtype_name(t.dtype())));
    }
  }
  return v;
}

std::vector<float> float_values(const Tensor& t) {
  if (t.dtype() != DType::kF32) throw_bad_input("expected a float tensor, got " + std::string(dtype_name(t.dtype())));
  return {t.data<float>(), t.data<float>() + t.numel()};
}

int32_t dtype_min(DType t) { return t == DType::kI16 ? -32768 : -128; }
int32_t dtype_max(DType t) { return t == DType::kI16 ? 32767 : 127; }

}  // namespace

void LoweringContext::fail(const Node& node, const std::string& why) const {
  throw_bad_input(node.describe() + ": " + why);
}

ActView LoweringContext::activation_input(const Node& node, size_t i) const {
  if (!has_input(node, i)) fail(node, fmt::format("input {} is missing", i));
  const std::string& name = node.inputs[i];
  const auto it = float_view.find(name);
  if (it != float_view.end()) return it->second;
  const int p = graph.producer(name);
  if (graph.has_value(name) && graph.value(name).is_initializer())
    fail(node, "input '" + name + "' is a constant; the integer kernel expects a quantized activation here");
  if (p >= 0 && graph.nodes[static_cast<size_t>(p)].op == OpType::kDequantizeLinear)
    fail(node, "input '" + name + "' dequantizes a constant; the integer kernel expects an activation here");
  fail(node, "input '" + name + "' is not quantized: the integer executor needs a QuantizeLinear -> " +
                 "DequantizeLinear pair in front of every integer op (QDQ convention)");
}

ConstDq LoweringContext::constant_input(const Node& node, size_t i) const {
  if (!has_input(node, i)) fail(node, fmt::format("input {} is missing", i));
  const std::string& name = node.inputs[i];
  const int p = graph.producer(name);
  const Node* dq = p >= 0 ? &graph.nodes[static_cast<size_t>(p)] : nullptr;
  if (dq == nullptr || dq->op != OpType::kDequantizeLinear || !graph.value(dq->inputs.at(0)).is_initializer())
    fail(node, "input '" + name + "' must be a DequantizeLinear of an integer initializer (quantized weights)");
  ConstDq c;
  c.name = dq->inputs[0];
  const Tensor& q = *graph.value(c.name).data;
  c.dtype = q.dtype();
  c.shape = q.shape();
  with_error_context(dq->describe() + ": initializer '" + c.name + "'", [&] {
    c.values = int_values(q);
    if (!has_input(*dq, 1) || !graph.value(dq->inputs[1]).is_initializer())
      throw_bad_input("scale must be a constant");
    c.scale = float_values(*graph.value(dq->inputs[1]).data);
    if (has_input(*dq, 2)) {
      if (!graph.value(dq->inputs[2]).is_initializer()) throw_bad_input("zero point must be a constant");
      c.zero_point = int_values(*graph.value(dq->inputs[2]).data);
    }
  });
  c.zero_point.resize(c.scale.size(), 0);
  int64_t axis = dq->attr_int("axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(c.shape.size());
  c.axis = static_cast<int>(axis);
  if (c.scale.empty()) fail(*dq, "scale is empty");
  if (c.scale.size() > 1 &&
      (axis < 0 || axis >= static_cast<int64_t>(c.shape.size()) ||
       c.shape[static_cast<size_t>(axis)] != static_cast<int64_t>(c.scale.size())))
    fail(*dq, fmt::format("has {} scales for axis {} of shape {}", c.scale.size(), axis, shape_str(c.shape)));
  for (float s : c.scale)
    if (!(s > 0.0f) || !std::isfinite(s)) fail(*dq, fmt::format("scale {} is not positive and finite", s));
  return c;
}

float LoweringContext::float_scalar_input(const Node& node, size_t i, float fallback) const {
  if (!has_input(node, i)) return fallback;
  const Value& v = graph.value(node.inputs[i]);
  if (!v.is_initializer() || v.data->dtype() != DType::kF32 || v.data->numel() != 1)
    fail(node, "input '" + v.name + "' must be a constant float scalar for the integer executor");
  return v.data->data<float>()[0];
}

std::vector<int64_t> LoweringContext::int_list_input(const Node& node, size_t i) const {
  const Value& v = graph.value(node.inputs.at(i));
  if (!v.is_initializer() || v.data->dtype() != DType::kI64)
    fail(node, "input '" + v.name + "' must be a constant int64 tensor for the integer executor");
  return {v.data->data<int64_t>(), v.data->data<int64_t>() + v.data->numel()};
}

void LoweringContext::quantize_params(const Node& q, float* scale, int32_t* zero_point, DType* dtype) const {
  std::vector<float> s;
  std::vector<int32_t> z;
  DType zt = DType::kU8;
  with_error_context(q.describe(), [&] {
    if (!has_input(q, 1) || !graph.value(q.inputs[1]).is_initializer()) throw_bad_input("scale must be a constant");
    s = float_values(*graph.value(q.inputs[1]).data);
    if (has_input(q, 2)) {
      const Value& zv = graph.value(q.inputs[2]);
      if (!zv.is_initializer()) throw_bad_input("zero point must be a constant");
      zt = zv.data->dtype();
      if (zt == DType::kI8 || zt == DType::kI16) z = int_values(*zv.data);
    }
  });
  if (s.size() != 1 || (!z.empty() && z.size() != 1))
    fail(q, fmt::format("activations must be quantized per tensor, has {} scales (per-channel activation "
                        "quantization has no integer kernel)",
                        s.size()));
  if (zt != DType::kI8 && zt != DType::kI16)
    fail(q, fmt::format("zero point is {}; the integer runtime takes int8 (asymmetric) or int16 (symmetric) "
                        "activations",
                        dtype_name(zt)));
  if (!(s[0] > 0.0f) || !std::isfinite(s[0])) fail(q, fmt::format("scale {} is not positive and finite", s[0]));
  *scale = s[0];
  *zero_point = z.empty() ? 0 : z[0];
  *dtype = zt;
  if (zt == DType::kI16 && *zero_point != 0)
    fail(q, fmt::format("int16 activations must be symmetric (zero point 0), has {}", *zero_point));
}

void LoweringContext::activation_range(const Node& act, float scale, int32_t zero_point, DType dtype, int32_t* lo,
                                       int32_t* hi) const {
  float min = -INFINITY, max = INFINITY;
  if (act.op == OpType::kRelu) {
    min = 0.0f;
  } else if (act.op == OpType::kClip) {
    min = float_scalar_input(act, 1, -INFINITY);
    max = float_scalar_input(act, 2, INFINITY);
  } else {
    fail(act, "is not an activation the integer kernels can fuse (Relu, Clip)");
  }
  auto to_q = [&](float r) -> int64_t {
    if (std::isinf(r)) return r < 0 ? INT32_MIN : INT32_MAX;
    return static_cast<int64_t>(std::llround(static_cast<double>(r) / scale)) + zero_point;
  };
  *lo = static_cast<int32_t>(std::clamp<int64_t>(to_q(min), dtype_min(dtype), dtype_max(dtype)));
  *hi = static_cast<int32_t>(std::clamp<int64_t>(to_q(max), dtype_min(dtype), dtype_max(dtype)));
  if (*lo > *hi) fail(act, fmt::format("clamps to an empty range [{}, {}]", min, max));
}

OutputChain LoweringContext::output_chain(const Node& node, bool fuse_activation) {
  OutputChain chain;
  std::string value = node.outputs.at(0);
  auto single_consumer = [&](const std::string& v) -> const Node* {
    const std::vector<int> users = graph.consumers(v);
    const bool is_output = std::find(graph.outputs.begin(), graph.outputs.end(), v) != graph.outputs.end();
    if (users.size() != 1 || is_output) return nullptr;
    return &graph.nodes[static_cast<size_t>(users[0])];
  };
  const Node* next = single_consumer(value);
  if (fuse_activation && next != nullptr && (next->op == OpType::kRelu || next->op == OpType::kClip)) {
    chain.activation = next;
    value = next->outputs.at(0);
    next = single_consumer(value);
  }
  if (next == nullptr || next->op != OpType::kQuantizeLinear)
    fail(node, "output '" + value + "' must feed exactly one QuantizeLinear (QDQ convention: every integer op's " +
                   "output, after its fused Relu/Clip, is quantized)");
  chain.quantize = next;
  chain.value = next->outputs.at(0);
  quantize_params(*next, &chain.scale, &chain.zero_point, &chain.dtype);
  chain.act_min = dtype_min(chain.dtype);
  chain.act_max = dtype_max(chain.dtype);
  if (chain.activation != nullptr) {
    activation_range(*chain.activation, chain.scale, chain.zero_point, chain.dtype, &chain.act_min, &chain.act_max);
    lowered.insert(chain.activation);
  }
  lowered.insert(chain.quantize);
  return chain;
}

int LoweringContext::add_activation(const std::string& name, DType dtype, const Shape& shape, float scale,
                                    int32_t zero_point) {
  IntTensor t;
  t.name = name;
  t.kind = IntTensorKind::kActivation;
  t.dtype = dtype;
  t.shape = shape;
  if (!t.shape.empty()) t.shape[0] = 1;
  for (int64_t d : t.shape)
    if (d < 1) throw_bad_input("value '" + name + "' has unknown or empty shape " + shape_str(shape));
  t.channels_last = t.shape.size() == 4;
  if (t.channels_last) t.nchw = t.shape;
  t.scale = scale;
  t.zero_point = zero_point;
  program.tensors.push_back(std::move(t));
  return static_cast<int>(program.tensors.size()) - 1;
}

int LoweringContext::add_constant(const std::string& name, DType dtype, Shape shape, std::vector<uint8_t> bytes) {
  IntTensor t;
  t.name = name;
  t.kind = IntTensorKind::kConstant;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = std::move(bytes);
  if (t.data.size() != t.bytes()) throw_internal("constant '" + name + "' has the wrong byte count");
  program.tensors.push_back(std::move(t));
  return static_cast<int>(program.tensors.size()) - 1;
}

int LoweringContext::chain_output(const OutputChain& chain) {
  const int t = add_activation(chain.value, chain.dtype, shape_of(chain.value), chain.scale, chain.zero_point);
  int_value[chain.value] = t;
  return t;
}

std::string LoweringContext::temp_name(const Node& node, const std::string& what) const {
  return (node.name.empty() ? std::string(op_name(node.op)) : node.name) + "/" + what + "#" +
         std::to_string(program.tensors.size());
}

void LoweringContext::add_step(IntegerStep step, const std::vector<const Node*>& sources) {
  for (const Node* n : sources)
    if (n != nullptr) step.source_nodes.push_back(n->name);
  const StepParams bound = bind_step_params(step);
  const KernelChoice k = select_kernel(step.family, bound);
  if (!k.ok)
    fail(*sources.at(0), "the runtime's " + family_name(step.family) +
                             " kernels reject the lowered parameters (shapes, pads or quantization out of the " +
                             "ranges of docs/numerics.md section 11)");
  step.kernel = k.name;
  step.scratch_bytes = k.scratch_bytes;
  step.weight_bytes = 0;
  for (int t : step.inputs)
    if (program.tensors.at(static_cast<size_t>(t)).kind == IntTensorKind::kConstant)
      step.weight_bytes += static_cast<int64_t>(program.tensors[static_cast<size_t>(t)].bytes());
  program.max_scratch_bytes = std::max(program.max_scratch_bytes, step.scratch_bytes);
  program.steps.push_back(std::move(step));
}

topt_requant quantize_multiplier(const LoweringContext& c, const Node& node, double real, int32_t max_shift) {
  topt_requant r{};
  if (topt_quantize_multiplier(real, &r.multiplier, &r.shift) != TOPT_OK || r.shift > max_shift)
    c.fail(node, fmt::format("rescale factor {:g} (input scale x weight scale / output scale) is outside the range "
                             "the integer kernels represent; check the quantization scales",
                             real));
  return r;
}

int LoweringContext::convert(int src, DType dtype, float scale, int32_t zero_point, int32_t act_min,
                             int32_t act_max, const std::string& name, const Node& node) {
  const IntTensor s = program.tensors.at(static_cast<size_t>(src));
  const int out = add_activation(name, dtype, s.shape, scale, zero_point);
  IntTensor& o = program.tensors[static_cast<size_t>(out)];
  o.channels_last = s.channels_last;
  o.nchw = s.nchw;
  IntegerStep step;
  step.inputs = {src};
  step.outputs = {out};
  const topt_requant r = quantize_multiplier(*this, node, static_cast<double>(s.scale) / scale);
  if (s.dtype == DType::kI8 && dtype == DType::kI8) {
    // int8 -> int8: a one-input concat is exactly a requantization (docs/numerics.md section 5).
    topt_concat_params p{};
    p.outer = 1;
    p.inner = static_cast<int32_t>(s.numel());
    p.num_inputs = 1;
    p.output_zero_point = zero_point;
    step.family = TOPT_FAMILY_concat_s8;
    step.axis_sizes = {1};
    step.input_zero_points = {s.zero_point};
    step.input_requant = {r};
    step.params = p;
  } else {
    topt_requantize_params p{};
    p.count = static_cast<int32_t>(s.numel());
    p.input_zero_point = s.zero_point;
    p.output_zero_point = zero_point;
    p.requant = r;
    p.act_min = act_min;
    p.act_max = act_max;
    step.family = s.dtype == DType::kI8   ? TOPT_FAMILY_requantize_s8_s16
                  : dtype == DType::kI8   ? TOPT_FAMILY_requantize_s16_s8
                                          : TOPT_FAMILY_requantize_s16_s16;
    step.params = p;
  }
  const bool s8_to_s8 = step.family == TOPT_FAMILY_concat_s8;
  add_step(std::move(step), {&node});
  if (s8_to_s8 && (act_min != -128 || act_max != 127)) add_clamp(out, out, act_min, act_max, node);
  return out;
}

void LoweringContext::add_clamp(int src, int out, int32_t act_min, int32_t act_max, const Node& node) {
  IntegerStep step;
  topt_clamp_params p{};
  p.count = static_cast<int32_t>(program.tensors.at(static_cast<size_t>(src)).numel());
  p.act_min = act_min;
  p.act_max = act_max;
  step.family = TOPT_FAMILY_clamp_s8;
  step.params = p;
  step.inputs = {src};
  step.outputs = {out};
  add_step(std::move(step), {&node});
}

int LoweringContext::requantize_into(int src, const OutputChain& chain, const Node& node) {
  const IntTensor& s = program.tensors.at(static_cast<size_t>(src));
  const bool same = s.dtype == chain.dtype && s.scale == chain.scale && s.zero_point == chain.zero_point;
  const bool clamps = chain.act_min != dtype_min(chain.dtype) || chain.act_max != dtype_max(chain.dtype);
  int out;
  if (same) {
    const bool channels_last = s.channels_last;
    const Shape shape = s.shape, nchw = s.nchw;
    out = add_activation(chain.value, chain.dtype, shape, chain.scale, chain.zero_point);
    IntTensor& o = program.tensors[static_cast<size_t>(out)];
    o.channels_last = channels_last;
    o.nchw = nchw;
    if (!clamps) {
      o.alias_of = src;
    } else if (chain.dtype == DType::kI8) {
      add_clamp(src, out, chain.act_min, chain.act_max, node);
    } else {  // int16: a x1.0 requantization (exact) that clamps
      IntegerStep step;
      topt_requantize_params p{};
      p.count = static_cast<int32_t>(program.tensors.at(static_cast<size_t>(src)).numel());
      p.requant = {1 << 30, 1};
      p.act_min = chain.act_min;
      p.act_max = chain.act_max;
      step.family = TOPT_FAMILY_requantize_s16_s16;
      step.params = p;
      step.inputs = {src};
      step.outputs = {out};
      add_step(std::move(step), {&node});
    }
  } else {
    out = convert(src, chain.dtype, chain.scale, chain.zero_point, chain.act_min, chain.act_max, chain.value, node);
    program.tensors[static_cast<size_t>(out)].shape = program.tensors[static_cast<size_t>(src)].shape;
  }
  int_value[chain.value] = out;
  return out;
}

}  // namespace tinyopt::exec
