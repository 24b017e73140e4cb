// Float matrix products: a threaded row-major SGEMM wrapper over OpenBLAS (used by conv2d_f32 too), the
// ONNX Gemm op (alpha, beta, transA, transB, bias broadcast) and the ONNX MatMul op (numpy matmul with
// batch broadcasting). Row-major throughout. Not bit-exact with a naive loop: BLAS sums in its own order.
#pragma once

#include <cstdint>
#include <vector>

namespace tinyopt::kernels {

// c (m, n) = alpha * op(a) * op(b) + beta * c, row-major; op(a) is (m, k), op(b) is (k, n).
// With threads > 1 the columns (or rows, when n is small) are split over OpenMP threads, each calling
// single-threaded OpenBLAS (see blas_threads.h). Safe to call from inside a parallel region with threads=1.
void sgemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int threads);

// ONNX Gemm: y = alpha * op(a) * op(b) + beta * c.
struct GemmParams {
  int64_t m = 1, n = 1, k = 1;
  bool trans_a = false;
  bool trans_b = false;
  float alpha = 1.0f;
  float beta = 1.0f;
  // Shape of c after right-aligning to (m, n): each 1 or the full extent; c_rows = c_cols = 0 when absent.
  int64_t c_rows = 0;
  int64_t c_cols = 0;
};
//   a: (m, k), or (k, m) when trans_a
//   b: (k, n), or (n, k) when trans_b
//   c: (c_rows, c_cols) broadcast to (m, n), or nullptr
//   y: (m, n)
void gemm_f32(const GemmParams& p, const float* a, const float* b, const float* c, float* y, int threads);

// numpy matmul of stacks of matrices; batch dims broadcast. 1-D operands are promoted by the caller
// (prepend / append a 1) and the result reshaped back.
struct MatMulParams {
  int64_t m = 1, n = 1, k = 1;
  // Batch dims of a, b and y, right-aligned to the same rank; a_batch[i], b_batch[i] are 1 or y_batch[i].
  std::vector<int64_t> a_batch, b_batch, y_batch;
};
//   a: (*a_batch, m, k)
//   b: (*b_batch, k, n)
//   y: (*y_batch, m, n)
void matmul_f32(const MatMulParams& p, const float* a, const float* b, float* y, int threads);

}  // namespace tinyopt::kernels
