// Gemm (ONNX: Y = alpha * op(A) * op(B) + beta * C) for training, where A is the batched activation
// (N, K) and B, C are weights or constants. Forward is the float executor's gemm_f32; backward:
//   dA       += alpha * dY * op(B)^T
//   dB       += alpha * op(A)^T * dY      (transposed when transB)
//   dC       += beta  * dY summed over the broadcast axes of C
// A with transA (batch on axis 1) is refused: the tape keeps the batch on axis 0.
#include "exec/kernels/blas_threads.h"
#include "exec/kernels/gemm_f32.h"
#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

class GemmOp final : public TrainOp {
 public:
  using TrainOp::TrainOp;

  void setup(int /*threads*/) override {
    const Slot& a = in(0);
    const Slot& b = in(1);
    if (!a.batched || a.shape.size() != 2) fail("training needs input A as a (N, K) batch");
    if (node_.attr_int("transA", 0) != 0) fail("training does not support transA=1 (the batch must be axis 0)");
    if (b.batched || b.shape.size() != 2) fail("training needs B as a constant 2-D tensor");
    p_.trans_b = node_.attr_int("transB", 0) != 0;
    p_.alpha = node_.attr_float("alpha", 1.0f);
    p_.beta = node_.attr_float("beta", 1.0f);
    p_.k = a.shape[1];
    p_.n = p_.trans_b ? b.shape[0] : b.shape[1];
    if ((p_.trans_b ? b.shape[1] : b.shape[0]) != p_.k) fail("A " + shape_str(a.shape) + " and B " + shape_str(b.shape) + " do not multiply");
    if (has_in(2)) {
      const Slot& c = in(2);
      if (c.batched) fail("training needs C as a constant (bias) tensor");
      const Shape& cs = c.shape;
      p_.c_rows = cs.size() == 2 ? cs[0] : 1;
      p_.c_cols = cs.empty() ? 1 : cs.back();
      if (cs.size() > 2 || (p_.c_cols != 1 && p_.c_cols != p_.n) || (p_.c_rows != 1))
        fail("C " + shape_str(cs) + " must broadcast along the batch: shape (N_out), (1, N_out) or scalar");
    }
  }

  void forward(const RunContext& ctx) override {
    kernels::GemmParams p = p_;
    p.m = ctx.batch;
    kernels::ScopedBlasThreads blas(1);
    kernels::gemm_f32(p, in(0).data.data(), in(1).data.data(), has_in(2) ? in(2).data.data() : nullptr,
                      out().data.data(), ctx.threads);
  }

  bool supports_overwrite(size_t input) const override { return input == 0; }
  void backward(const RunContext& ctx) override {
    const int64_t m = ctx.batch, n = p_.n, k = p_.k;
    const float* a = in(0).data.data();
    const float* b = in(1).data.data();
    const float* dy = out().grad.data();
    const int64_t ldb = p_.trans_b ? k : n;
    kernels::ScopedBlasThreads blas(1);
    if (in(0).has_grad())
      kernels::sgemm_f32(false, !p_.trans_b, m, k, n, p_.alpha, dy, n, b, ldb, overwrite(0) ? 0.0f : 1.0f,
                         in(0).grad.data(), k, ctx.threads);
    if (in(1).has_grad()) {
      if (p_.trans_b)
        kernels::sgemm_f32(true, false, n, k, m, p_.alpha, dy, n, a, k, 1.0f, in(1).grad.data(), k, ctx.threads);
      else
        kernels::sgemm_f32(true, false, k, n, m, p_.alpha, a, k, dy, n, 1.0f, in(1).grad.data(), n, ctx.threads);
    }
    if (has_in(2) && in(2).has_grad()) {
      float* dc = in(2).grad.data();
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) dc[p_.c_cols == 1 ? 0 : j] += p_.beta * dy[i * n + j];
    }
  }

 private:
  kernels::GemmParams p_;
};

}  // namespace

std::unique_ptr<TrainOp> make_gemm(const Graph&, const Node& node) { return std::make_unique<GemmOp>(node); }

}  // namespace tinyopt::train::detail
