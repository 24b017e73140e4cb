// Runners for the broadcasting binary ops (Add, Sub, Mul, Div), the activations and Softmax.
#include <limits>

#include "exec/kernels/activation_f32.h"
#include "exec/kernels/elementwise_f32.h"
#include "exec/kernels/softmax_f32.h"
#include "exec/runners/runners.h"

namespace tinyopt::exec {
namespace {

void run_binary(OpContext& ctx, kernels::BinaryOp op) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype())
    ctx.fail("inputs have dtypes " + std::string(dtype_name(a.dtype())) + " and " +
             std::string(dtype_name(b.dtype())));
  auto& layout = ctx.state<kernels::BroadcastLayout>();
  if (ctx.reshaped()) layout = kernels::make_broadcast_layout(a.shape(), b.shape());
  Tensor& y = ctx.output(0, a.dtype());
  const int t = ctx.threads();
  switch (a.dtype()) {
    case DType::kF32: return kernels::binary_op(op, layout, a.data<float>(), b.data<float>(), y.data<float>(), t);
    case DType::kI32:
      return kernels::binary_op(op, layout, a.data<int32_t>(), b.data<int32_t>(), y.data<int32_t>(), t);
    case DType::kI64:
      return kernels::binary_op(op, layout, a.data<int64_t>(), b.data<int64_t>(), y.data<int64_t>(), t);
    case DType::kU8:
      return kernels::binary_op(op, layout, a.data<uint8_t>(), b.data<uint8_t>(), y.data<uint8_t>(), t);
    case DType::kI8:
      return kernels::binary_op(op, layout, a.data<int8_t>(), b.data<int8_t>(), y.data<int8_t>(), t);
    default: ctx.fail("unsupported dtype " + std::string(dtype_name(a.dtype())));
  }
}

void run_unary(OpContext& ctx, const kernels::UnaryParams& p) {
  const float* x = ctx.input_data<float>(0);
  kernels::unary_f32(p, x, ctx.output(0, DType::kF32).data<float>(), ctx.input(0).numel(), ctx.threads());
}

template <typename T>
void clip_typed(OpContext& ctx) {
  T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  if (ctx.has_input(1)) lo = ctx.input_data<T>(1)[0];
  if (ctx.has_input(2)) hi = ctx.input_data<T>(2)[0];
  const Tensor& x = ctx.input(0);
  kernels::clip_int<T>(lo, hi, x.data<T>(), ctx.output(0, x.dtype()).data<T>(), x.numel());
}

}  // namespace

void run_add(OpContext& ctx) { run_binary(ctx, kernels::BinaryOp::kAdd); }
void run_sub(OpContext& ctx) { run_binary(ctx, kernels::BinaryOp::kSub); }
void run_mul(OpContext& ctx) { run_binary(ctx, kernels::BinaryOp::kMul); }
void run_div(OpContext& ctx) { run_binary(ctx, kernels::BinaryOp::kDiv); }

void run_relu(OpContext& ctx) { run_unary(ctx, {.kind = kernels::UnaryKind::kRelu}); }

void run_clip(OpContext& ctx) {
  for (size_t i = 1; i < 3; ++i)
    if (ctx.has_input(i) && ctx.input(i).numel() != 1)
      ctx.fail("min/max must hold one value, input " + std::to_string(i) + " has shape " +
               shape_str(ctx.input(i).shape()));
  switch (ctx.input(0).dtype()) {
    case DType::kF32: {
      kernels::UnaryParams p{.kind = kernels::UnaryKind::kClip};
      p.min = ctx.input_scalar_f32(1, p.min);
      p.max = ctx.input_scalar_f32(2, p.max);
      return run_unary(ctx, p);
    }
    case DType::kI8: return clip_typed<int8_t>(ctx);
    case DType::kU8: return clip_typed<uint8_t>(ctx);
    case DType::kI32: return clip_typed<int32_t>(ctx);
    case DType::kI64: return clip_typed<int64_t>(ctx);
    default: ctx.fail("unsupported dtype " + std::string(dtype_name(ctx.input(0).dtype())));
  }
}

void run_leaky_relu(OpContext& ctx) {
  run_unary(ctx, {.kind = kernels::UnaryKind::kLeakyRelu, .alpha = ctx.node().attr_float("alpha", 0.01f)});
}
void run_sigmoid(OpContext& ctx) { run_unary(ctx, {.kind = kernels::UnaryKind::kSigmoid}); }
void run_hard_sigmoid(OpContext& ctx) {
  run_unary(ctx, {.kind = kernels::UnaryKind::kHardSigmoid,
                  .alpha = ctx.node().attr_float("alpha", 0.2f),
                  .beta = ctx.node().attr_float("beta", 0.5f)});
}
void run_hard_swish(OpContext& ctx) { run_unary(ctx, {.kind = kernels::UnaryKind::kHardSwish}); }
void run_tanh(OpContext& ctx) { run_unary(ctx, {.kind = kernels::UnaryKind::kTanh}); }

void run_softmax(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const float* xd = ctx.input_data<float>(0);
  const int64_t rank = x.rank();
  int64_t axis = ctx.node().attr_int("axis", -1);
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) ctx.fail("axis " + std::to_string(axis) + " out of range");
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(static_cast<int>(i));
  for (int64_t i = axis + 1; i < rank; ++i) inner *= x.dim(static_cast<int>(i));
  const int64_t axis_size = rank == 0 ? 1 : x.dim(static_cast<int>(axis));
  kernels::softmax_f32(outer, axis_size, inner, xd, ctx.output(0, DType::kF32).data<float>(), ctx.threads());
}

}  // namespace tinyopt::exec
