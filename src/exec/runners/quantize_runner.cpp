// Runners for QuantizeLinear / DequantizeLinear (float semantics, per tensor or per axis).
#include "exec/kernels/quantize_f32.h"
#include "exec/runners/runners.h"

namespace tinyopt::exec {
namespace {

// (outer, channels, inner) view of x for a quantization scale of `scale_numel` entries along `axis`.
struct QuantLayout {
  int64_t outer = 1, channels = 1, inner = 1;
};

QuantLayout quant_layout(const OpContext& ctx, const Tensor& x, const Tensor& scale) {
  QuantLayout l;
  l.inner = x.numel();
  if (scale.numel() == 1 && scale.rank() <= 1) return l;
  if (scale.rank() != 1) ctx.fail("scale must be a scalar or 1-D, has shape " + shape_str(scale.shape()));
  int64_t axis = ctx.node().attr_int("axis", 1);
  if (axis < 0) axis += x.rank();
  if (axis < 0 || axis >= x.rank()) ctx.fail("axis " + std::to_string(axis) + " out of range");
  l.channels = x.dim(static_cast<int>(axis));
  if (l.channels != scale.numel())
    ctx.fail("scale has " + std::to_string(scale.numel()) + " entries for axis size " + std::to_string(l.channels));
  l.outer = 1;
  for (int64_t i = 0; i < axis; ++i) l.outer *= x.dim(static_cast<int>(i));
  l.inner = l.channels == 0 ? 0 : x.numel() / (l.outer * l.channels);
  return l;
}

template <typename Q>
void quantize_as(OpContext& ctx, const QuantLayout& l) {
  const Q* zp = ctx.has_input(2) ? ctx.input_data<Q>(2) : nullptr;
  kernels::quantize_linear<Q>(l.outer, l.channels, l.inner, ctx.input_data<float>(0), ctx.input_data<float>(1), zp,
                              ctx.output(0, dtype_of<Q>()).template data<Q>());
}

template <typename Q>
void dequantize_as(OpContext& ctx, const QuantLayout& l) {
  const Q* zp = ctx.has_input(2) ? ctx.input_data<Q>(2) : nullptr;
  kernels::dequantize_linear<Q>(l.outer, l.channels, l.inner, ctx.input_data<Q>(0), ctx.input_data<float>(1), zp,
                                ctx.output(0, DType::kF32).data<float>());
}

// int4 (DType::kI4, packed two per byte, low nibble first) widened to one int8 per element.
std::vector<int8_t> unpack_int4(const Tensor& t) {
  std::vector<int8_t> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    const int nibble = (i % 2 == 0) ? (t.bytes()[i / 2] & 0x0F) : (t.bytes()[i / 2] >> 4);
    v[i] = static_cast<int8_t>(nibble >= 8 ? nibble - 16 : nibble);
  }
  return v;
}

void dequantize_int4(OpContext& ctx, const QuantLayout& l) {
  const std::vector<int8_t> x = unpack_int4(ctx.input(0));
  std::vector<int8_t> zp;
  if (ctx.has_input(2)) {
    if (ctx.input(2).dtype() != DType::kI4) ctx.fail("zero point of an int4 input must be int4");
    zp = unpack_int4(ctx.input(2));
  }
  kernels::dequantize_linear<int8_t>(l.outer, l.channels, l.inner, x.data(), ctx.input_data<float>(1),
                                     zp.empty() ? nullptr : zp.data(), ctx.output(0, DType::kF32).data<float>());
}

}  // namespace

void run_quantize_linear(OpContext& ctx) {
  const QuantLayout l = quant_layout(ctx, ctx.input(0), ctx.input(1));
  const DType q = ctx.has_input(2) ? ctx.input(2).dtype() : DType::kU8;
  switch (q) {
    case DType::kU8: return quantize_as<uint8_t>(ctx, l);
    case DType::kI8: return quantize_as<int8_t>(ctx, l);
    case DType::kI16: return quantize_as<int16_t>(ctx, l);
    default: ctx.fail("unsupported zero-point dtype " + std::string(dtype_name(q)));
  }
}

void run_dequantize_linear(OpContext& ctx) {
  const QuantLayout l = quant_layout(ctx, ctx.input(0), ctx.input(1));
  switch (ctx.input(0).dtype()) {
    case DType::kU8: return dequantize_as<uint8_t>(ctx, l);
    case DType::kI8: return dequantize_as<int8_t>(ctx, l);
    case DType::kI16: return dequantize_as<int16_t>(ctx, l);
    case DType::kI32: return dequantize_as<int32_t>(ctx, l);
    case DType::kI4: return dequantize_int4(ctx, l);
    default: ctx.fail("unsupported input dtype " + std::string(dtype_name(ctx.input(0).dtype())));
  }
}

}  // namespace tinyopt::exec
