// Float GEMM / MatMul kernels over OpenBLAS (see gemm_f32.h).
#include "exec/kernels/gemm_f32.h"

#include "exec/kernels/blas_threads.h"

#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace tinyopt::kernels {
namespace {

// OpenBLAS 0.3.21 (Debian) picks its AVX2 "Haswell" kernels on AVX-512 CPUs it does not know (AMD Zen 4/5),
// yet its dynamic-arch build also exports the AVX-512 "SkylakeX" small-matrix kernels. They run the
// per-image convolution GEMMs 1.1-1.9x faster (measured: bench/train_throughput, 343 -> 515 images per
// CPU second for fmnist-cnn), so they are used when the CPU has AVX-512 and the library exports them,
// for products small enough to need no packing; otherwise cblas_sgemm. Column-major kernels:
// C (M x N) = alpha * op(A) op(B) + beta * C; the b0 variants ignore C's old contents (beta = 0).
using SmallKernel = int (*)(long, long, long, const float*, long, float, const float*, long, float, float*, long);
using SmallKernelB0 = int (*)(long, long, long, const float*, long, float, const float*, long, float*, long);
struct Avx512SmallKernels {
  SmallKernel k[2][2] = {};
  SmallKernelB0 k0[2][2] = {};
  Avx512SmallKernels() {
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) return;
    const char* t = "nt";
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const std::string suffix = std::string(1, t[i]) + t[j] + "_SKYLAKEX";
        k[i][j] = reinterpret_cast<SmallKernel>(dlsym(RTLD_DEFAULT, ("sgemm_small_kernel_" + suffix).c_str()));
        k0[i][j] = reinterpret_cast<SmallKernelB0>(dlsym(RTLD_DEFAULT, ("sgemm_small_kernel_b0_" + suffix).c_str()));
        if (k[i][j] == nullptr || k0[i][j] == nullptr) {
          *this = Avx512SmallKernels{};
          return;
        }
      }
  }
  Avx512SmallKernels& operator=(const Avx512SmallKernels&) = default;
  Avx512SmallKernels(const Avx512SmallKernels&) = default;
};
constexpr int64_t kMaxSmallKernelMacs = int64_t{1} << 25;

void sgemm_single(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS leaves c untouched when k == 0 but scales by beta; do it explicitly.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  static const Avx512SmallKernels small;
  if (small.k[0][0] != nullptr && m * n * k <= kMaxSmallKernelMacs) {
    // Row-major C (m x n) is column-major C^T (n x m) = op(B)^T op(A)^T: the kernel's A is our b.
    if (beta == 0.0f) small.k0[trans_b][trans_a](n, m, k, b, ldb, alpha, a, lda, c, ldc);
    else small.k[trans_b][trans_a](n, m, k, b, ldb, alpha, a, lda, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

}  // namespace

void sgemm_f32(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int threads) {
  if (threads_for_work(threads, m * n * k) <= 1) {
    sgemm_single(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Split the larger output dimension into one block per thread (columns in multiples of 16 floats).
  const bool split_cols = n >= m;
  const int64_t extent = split_cols ? n : m;
  const int64_t align = split_cols ? 16 : 4;
  int64_t block = (extent + threads - 1) / threads;
  block = (block + align - 1) / align * align;
  const int64_t blocks = (extent + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t bi = 0; bi < blocks; ++bi) {
    const int64_t begin = bi * block;
    const int64_t len = std::min(block, extent - begin);
    if (split_cols) {
      const float* b_part = trans_b ? b + begin * ldb : b + begin;
      sgemm_single(trans_a, trans_b, m, len, k, alpha, a, lda, b_part, ldb, beta, c + begin, ldc);
    } else {
      const float* a_part = trans_a ? a + begin : a + begin * lda;
      sgemm_single(trans_a, trans_b, len, n, k, alpha, a_part, lda, b, ldb, beta, c + begin * ldc, ldc);
    }
  }
}

void gemm_f32(const GemmParams& p, const float* a, const float* b, const float* c, float* y, int threads) {
  float beta = 0.0f;
  if (c != nullptr && p.beta != 0.0f) {
    // y = c broadcast to (m, n); the GEMM then accumulates with beta.
    for (int64_t i = 0; i < p.m; ++i) {
      const float* c_row = c + (p.c_rows == 1 ? 0 : i) * p.c_cols;
      float* y_row = y + i * p.n;
      if (p.c_cols == 1) {
        std::fill(y_row, y_row + p.n, c_row[0]);
      } else {
        std::memcpy(y_row, c_row, static_cast<size_t>(p.n) * sizeof(float));
      }
    }
    beta = p.beta;
  }
  sgemm_f32(p.trans_a, p.trans_b, p.m, p.n, p.k, p.alpha, a, p.trans_a ? p.m : p.k, b,
            p.trans_b ? p.k : p.n, beta, y, p.n, threads);
}

void matmul_f32(const MatMulParams& p, const float* a, const float* b, float* y, int threads) {
  const size_t rank = p.y_batch.size();
  int64_t batches = 1;
  for (int64_t d : p.y_batch) batches *= d;
  const int64_t a_mat = p.m * p.k, b_mat = p.k * p.n, y_mat = p.m * p.n;
  // Maps a flat output batch index to the (broadcast) flat batch index of an operand.
  auto operand_index = [&](int64_t flat, const std::vector<int64_t>& dims) {
    int64_t index = 0, stride = 1;
    for (size_t i = rank; i-- > 0;) {
      const int64_t coord = flat % p.y_batch[i];
      flat /= p.y_batch[i];
      if (dims[i] != 1) index += coord * stride;
      stride *= dims[i];
    }
    return index;
  };
  auto one = [&](int64_t bi, int gemm_threads) {
    const float* a_i = a + operand_index(bi, p.a_batch) * a_mat;
    const float* b_i = b + operand_index(bi, p.b_batch) * b_mat;
    sgemm_f32(false, false, p.m, p.n, p.k, 1.0f, a_i, p.k, b_i, p.n, 0.0f, y + bi * y_mat, p.n, gemm_threads);
  };
  if (threads > 1 && batches >= threads && threads_for_work(threads, batches * p.m * p.n * p.k) > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t bi = 0; bi < batches; ++bi) one(bi, 1);
  } else {
    for (int64_t bi = 0; bi < batches; ++bi) one(bi, threads);
  }
}

}  // namespace tinyopt::kernels
