// sgemm_rows_f32__avx512 against a double-precision loop written here: every row count from 1 to 40 (12-
// and 8-row panel splits, and counts that need a padded panel), column tails, column sub-ranges, and B rows
// that are shifted views of one buffer (as the stride-1 convolution uses them).
#include <gtest/gtest.h>

#include "exec/kernels/sgemm_rows_f32__avx512.h"
#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using testing::random_floats;
using testing::random_int;

TEST(ExecSgemmRows, MatchesDoubleLoopForAllRowCountsAndTails) {
  if (!kernels::sgemm_rows_avx512_supported()) GTEST_SKIP() << "this CPU has no AVX-512F";
  std::mt19937 rng(40);
  for (int64_t m = 1; m <= 40; ++m) {
    const int64_t k = random_int(rng, 1, 70), n = random_int(rng, 1, 100);
    const auto a = random_floats(rng, m * k);
    const auto buf = random_floats(rng, k + n + 64);
    std::vector<const float*> rows(static_cast<size_t>(k));
    for (int64_t q = 0; q < k; ++q) rows[static_cast<size_t>(q)] = buf.data() + (q * 7) % 64;  // overlapping views
    std::vector<float> packed(kernels::sgemm_rows_packed_a_floats(m, k));
    kernels::sgemm_rows_pack_a(m, k, a.data(), k, packed.data());
    const int64_t n_begin = m % 3 == 0 ? random_int(rng, 0, n - 1) : 0;
    const int64_t ldc = n + 3;
    std::vector<float> c(static_cast<size_t>(m * ldc), -7.0f);
    kernels::sgemm_rows_f32__avx512(m, k, packed.data(), rows.data(), n_begin, n, c.data(), ldc);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < ldc; ++j) {
        const float got = c[static_cast<size_t>(i * ldc + j)];
        if (j < n_begin || j >= n) {
          ASSERT_EQ(got, -7.0f) << "m " << m << ": column " << j << " outside the range was written";
          continue;
        }
        double want = 0;
        for (int64_t q = 0; q < k; ++q) want += double{a[static_cast<size_t>(i * k + q)]} * rows[static_cast<size_t>(q)][j];
        ASSERT_NEAR(got, want, 1e-4 * (1 + std::fabs(want))) << "m " << m << " k " << k << " n " << n << " at " << i
                                                             << "," << j;
      }
  }
}

}  // namespace
}  // namespace tinyopt
