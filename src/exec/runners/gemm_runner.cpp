// Runners for Gemm and MatMul: shapes -> GemmParams / MatMulParams (see kernels/gemm_f32.h).
#include "exec/kernels/gemm_f32.h"
#include "exec/runners/runners.h"

namespace tinyopt::exec {
namespace {

kernels::GemmParams gemm_params(const OpContext& ctx) {
  const Node& n = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  kernels::GemmParams p;
  p.trans_a = n.attr_int("transA", 0) != 0;
  p.trans_b = n.attr_int("transB", 0) != 0;
  p.alpha = n.attr_float("alpha", 1.0f);
  p.beta = n.attr_float("beta", 1.0f);
  p.m = p.trans_a ? a.dim(1) : a.dim(0);
  p.k = p.trans_a ? a.dim(0) : a.dim(1);
  p.n = p.trans_b ? b.dim(0) : b.dim(1);
  if (ctx.has_input(2)) {
    const Shape& c = ctx.input(2).shape();
    if (c.size() > 2) ctx.fail("C has shape " + shape_str(c) + ", expected at most 2 dims");
    p.c_rows = c.size() == 2 ? c[0] : 1;
    p.c_cols = c.empty() ? 1 : c.back();
    if ((p.c_rows != 1 && p.c_rows != p.m) || (p.c_cols != 1 && p.c_cols != p.n))
      ctx.fail("C has shape " + shape_str(c) + ", which does not broadcast to [" + std::to_string(p.m) + "," +
               std::to_string(p.n) + "]");
  }
  return p;
}

kernels::MatMulParams matmul_params(const OpContext& ctx) {
  Shape a = ctx.input(0).shape(), b = ctx.input(1).shape();
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  kernels::MatMulParams p;
  p.m = a[a.size() - 2];
  p.k = a.back();
  p.n = b.back();
  const size_t rank = std::max(a.size(), b.size()) - 2;
  auto batch_of = [rank](const Shape& s) {
    std::vector<int64_t> dims(rank, 1);
    std::copy(s.begin(), s.end() - 2, dims.end() - static_cast<std::ptrdiff_t>(s.size() - 2));
    return dims;
  };
  p.a_batch = batch_of(a);
  p.b_batch = batch_of(b);
  for (size_t i = 0; i < rank; ++i) p.y_batch.push_back(std::max(p.a_batch[i], p.b_batch[i]));
  return p;
}

}  // namespace

void run_gemm(OpContext& ctx) {
  auto& p = ctx.state<kernels::GemmParams>();
  if (ctx.reshaped()) p = gemm_params(ctx);
  const float* c = ctx.has_input(2) ? ctx.input_data<float>(2) : nullptr;
  const float* a = ctx.input_data<float>(0);
  const float* b = ctx.input_data<float>(1);
  kernels::gemm_f32(p, a, b, c, ctx.output(0, DType::kF32).data<float>(), ctx.threads());
}

void run_matmul(OpContext& ctx) {
  auto& p = ctx.state<kernels::MatMulParams>();
  if (ctx.reshaped()) p = matmul_params(ctx);
  const float* a = ctx.input_data<float>(0);
  const float* b = ctx.input_data<float>(1);
  kernels::matmul_f32(p, a, b, ctx.output(0, DType::kF32).data<float>(), ctx.threads());
}

}  // namespace tinyopt::exec
