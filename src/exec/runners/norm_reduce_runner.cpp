// Runners for BatchNormalization (inference, and ONNX training_mode statistics) and ReduceMean.
#include <cstring>

#include "exec/kernels/batchnorm_f32.h"
#include "exec/kernels/reduce_f32.h"
#include "exec/runners/runners.h"

namespace tinyopt::exec {

void run_batch_norm(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("input " + shape_str(x.shape()) + " has no channel dimension");
  const int64_t n = x.dim(0), c = x.dim(1), plane = n * c == 0 ? 0 : x.numel() / (n * c);
  for (size_t i = 1; i < 5; ++i)
    if (ctx.input(i).numel() != c)
      ctx.fail("input " + std::to_string(i) + " has shape " + shape_str(ctx.input(i).shape()) + ", expected " +
               std::to_string(c) + " channels");
  const float eps = ctx.node().attr_float("epsilon", 1e-5f);
  const float* xd = ctx.input_data<float>(0);
  const float* scale = ctx.input_data<float>(1);
  const float* bias = ctx.input_data<float>(2);
  const float* mean = ctx.input_data<float>(3);
  const float* var = ctx.input_data<float>(4);
  float* y = ctx.output(0, DType::kF32).data<float>();
  if (ctx.node().attr_int("training_mode", 0) == 0) {
    kernels::batchnorm_f32(n, c, plane, xd, scale, bias, mean, var, eps, y, ctx.threads());
    return;
  }
  // training_mode: normalise with the batch statistics; outputs 1 and 2 are the updated running stats.
  std::vector<float> batch_mean(static_cast<size_t>(c)), batch_var(static_cast<size_t>(c));
  kernels::channel_moments_f32(n, c, plane, xd, batch_mean.data(), batch_var.data());
  kernels::batchnorm_f32(n, c, plane, xd, scale, bias, batch_mean.data(), batch_var.data(), eps, y, ctx.threads());
  const float momentum = ctx.node().attr_float("momentum", 0.9f);
  for (size_t out = 1; out < 3; ++out) {
    if (!ctx.wants_output(out)) continue;
    const float* running = out == 1 ? mean : var;
    const std::vector<float>& batch = out == 1 ? batch_mean : batch_var;
    float* r = ctx.output(out, DType::kF32).data<float>();
    for (int64_t i = 0; i < c; ++i) r[i] = running[i] * momentum + batch[static_cast<size_t>(i)] * (1.0f - momentum);
  }
}

void run_reduce_mean(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const float* xd = ctx.input_data<float>(0);
  float* y = ctx.output(0, DType::kF32).data<float>();
  const std::vector<int64_t> axes = ctx.has_input(1) ? ctx.input_ints(1) : std::vector<int64_t>{};
  if (axes.empty() && ctx.node().attr_int("noop_with_empty_axes", 0) != 0) {
    std::memcpy(y, xd, static_cast<size_t>(x.numel()) * sizeof(float));
    return;
  }
  const auto rank = static_cast<int64_t>(x.rank());
  std::vector<bool> reduce(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) ctx.fail("axis " + std::to_string(a) + " out of range for rank " + std::to_string(rank));
    reduce[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  }
  kernels::reduce_mean_f32(x.shape(), reduce, xd, y, ctx.threads());
}

}  // namespace tinyopt::exec
