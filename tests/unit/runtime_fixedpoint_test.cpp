// The fixed-point primitives of docs/numerics.md section 2 (runtime/include/tinyopt_rt_fixedpoint.h)
// against the naive model in runtime_test_support.h: edge cases (INT32_MIN * INT32_MIN, ties, negative
// rounding, saturating left shifts, every shift), random values, topt_quantize_multiplier, and the AVX2
// re-implementations in runtime/x86/topt_x86_internal.h lane by lane.
#include <cmath>

#include "tinyopt_rt_fixedpoint.h"
#include "unit/runtime_test_support.h"

#if defined(__AVX2__)
#include "../../runtime/x86/topt_x86_internal.h"
#endif

namespace tinyopt::rt_test {
namespace {

const int32_t kEdges[] = {
    INT32_MIN, INT32_MIN + 1, -(1 << 30) - 1, -(1 << 30),    -65536,        -32768,   -255, -3, -2, -1, 0, 1, 2, 3, 255,
    32767,     65536,         1 << 30,        (1 << 30) + 1, INT32_MAX - 1, INT32_MAX};

TEST(RuntimeFixedPoint, SrdhmEdgeCases) {
  EXPECT_EQ(topt_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);  // the only overflow saturates
  EXPECT_EQ(topt_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX);
  EXPECT_EQ(topt_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
  EXPECT_EQ(topt_srdhm(1, 1 << 30), 1);    // +0.5 -> 1: ties toward +infinity
  EXPECT_EQ(topt_srdhm(-1, 1 << 30), 0);   // -0.5 -> 0
  EXPECT_EQ(topt_srdhm(-3, 1 << 30), -1);  // -1.5 -> -1
  EXPECT_EQ(topt_srdhm(12345, 0), 0);
  for (int32_t a : kEdges)
    for (int32_t b : kEdges) ASSERT_EQ(topt_srdhm(a, b), naive_srdhm(a, b)) << a << " * " << b;
}

TEST(RuntimeFixedPoint, RdbpotRoundsHalfAwayFromZero) {
  EXPECT_EQ(topt_rdbpot(5, 1), 3);
  EXPECT_EQ(topt_rdbpot(-5, 1), -3);
  EXPECT_EQ(topt_rdbpot(-6, 2), -2);
  EXPECT_EQ(topt_rdbpot(-7, 2), -2);
  EXPECT_EQ(topt_rdbpot(-1, 1), -1);
  EXPECT_EQ(topt_rdbpot(INT32_MIN, 31), -1);
  EXPECT_EQ(topt_rdbpot(INT32_MAX, 31), 1);
  EXPECT_EQ(topt_rdbpot(-(1 << 30), 31), -1);  // -0.5 -> -1
  EXPECT_EQ(topt_rdbpot((1 << 30) - 1, 31), 0);
  for (int32_t x : kEdges)
    for (int e = 0; e <= 31; ++e) ASSERT_EQ(topt_rdbpot(x, e), naive_rdbpot(x, e)) << x << " / 2^" << e;
}

TEST(RuntimeFixedPoint, RequantizeMatchesTheNaiveModel) {
  for (int32_t acc : kEdges)
    for (int32_t m : {0, 1, 1 << 30, 1518500250, INT32_MAX})
      for (int shift = -31; shift <= 30; ++shift)
        ASSERT_EQ(topt_requantize(acc, m, shift), naive_requant(acc, m, shift)) << acc << " " << m << " " << shift;
  Rng rng(42);
  for (int i = 0; i < 200000; ++i) {
    const int32_t acc = rng.chance(0.5) ? rng.uniform(INT32_MIN, INT32_MAX) : rng.uniform(-70000, 70000);
    const int32_t m = rng.uniform(0, INT32_MAX), shift = rng.uniform(-31, 30);
    ASSERT_EQ(topt_requantize(acc, m, shift), naive_requant(acc, m, shift)) << acc << " " << m << " " << shift;
  }
}

TEST(RuntimeFixedPoint, LeftShiftSaturates) {
  // docs/numerics.md 2.3 step 2: acc * 2^left saturates instead of overflowing
  EXPECT_EQ(topt_requantize(1 << 30, INT32_MAX, 2), INT32_MAX - 1);  // saturated to INT32_MAX, then x ~1.0
  EXPECT_EQ(topt_requantize(-(1 << 30), INT32_MAX, 2), -INT32_MAX);
  EXPECT_EQ(topt_requantize(1, 1 << 30, 30), 1 << 29);
  EXPECT_EQ(topt_requantize(3, 1 << 30, 30), 1 << 30);  // 3 * 2^30 saturates to INT32_MAX, times 0.5
}

TEST(RuntimeFixedPoint, OutputStageNeverOverflowsWhenAddingTheZeroPoint) {
  // a saturated requantization plus a positive zero point must clamp, not wrap
  EXPECT_EQ(topt_output_s8(1 << 30, INT32_MAX, 30, 127, -128, 127), 127);
  EXPECT_EQ(topt_output_s8(-(1 << 30), INT32_MAX, 30, -128, -128, 127), -128);
  EXPECT_EQ(topt_output_s8(0, 1 << 30, 0, 5, 5, 127), 5);
}

TEST(RuntimeFixedPoint, Requantize64MatchesTheNaiveModel) {
  Rng rng(7);
  const int64_t edges[] = {-(int64_t{1} << 47) + 1, -(int64_t{1} << 40),   -65537, -1, 0, 1, 32767,
                           int64_t{1} << 46,        (int64_t{1} << 47) - 1};
  for (int64_t acc : edges)
    for (int32_t m : {0, 1 << 30, 0x7FFEFFFF, 0x7FFF0000, INT32_MAX})
      for (int shift = -31; shift <= 14; ++shift)
        ASSERT_EQ(topt_requantize64(acc, m, shift), naive_requant64(acc, m, shift)) << acc << " " << m << " " << shift;
  for (int i = 0; i < 100000; ++i) {
    const int64_t acc = int64_t{rng.uniform(INT32_MIN, INT32_MAX)} * rng.uniform(0, 65535);
    const int32_t m = rng.uniform(0, INT32_MAX), shift = rng.uniform(-31, 14);
    ASSERT_EQ(topt_requantize64(acc, m, shift), naive_requant64(acc, m, shift)) << acc << " " << m << " " << shift;
  }
}

TEST(RuntimeFixedPoint, Int4Decoding) {
  const uint8_t packed[] = {0xE3, 0x59, 0x01, 0x87};
  const int32_t want[] = {3, -2, -7, 5, 1, 0, 7, -8};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(topt_int4_at(packed, i), want[i]) << i;
  std::vector<int8_t> all;
  for (int v = -8; v <= 7; ++v) all.push_back(static_cast<int8_t>(v));
  const auto p = pack_int4(all);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(topt_int4_at(p.data(), i), all[static_cast<size_t>(i)]);
}

TEST(RuntimeQuantizeMultiplier, MatchesFrexpAndRound) {
  Rng rng(5);
  for (int i = 0; i < 100000; ++i) {
    const double real = std::ldexp(rng.real(0.5, 1.0), rng.uniform(-40, 30));
    int32_t m = 0, s = 0;
    ASSERT_EQ(topt_quantize_multiplier(real, &m, &s), TOPT_OK) << real;
    int e = 0;
    const double q = std::frexp(real, &e);
    int64_t want_m = std::llround(q * 2147483648.0);
    if (want_m == (int64_t{1} << 31)) {
      want_m /= 2;
      ++e;
    }
    if (e < -31) want_m = e = 0;
    ASSERT_EQ(m, want_m) << real;
    ASSERT_EQ(s, e) << real;
    if (m != 0) {
      EXPECT_NEAR(std::ldexp(static_cast<double>(m), s - 31), real, real * 1e-9);
    }
  }
}

TEST(RuntimeQuantizeMultiplier, EdgeCases) {
  int32_t m = 7, s = 7;
  EXPECT_EQ(topt_quantize_multiplier(0.0, &m, &s), TOPT_OK);
  EXPECT_EQ(m, 0);
  EXPECT_EQ(s, 0);
  EXPECT_EQ(topt_quantize_multiplier(1.0, &m, &s), TOPT_OK);
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 1);
  EXPECT_EQ(topt_quantize_multiplier(1.0 - 1e-12, &m, &s), TOPT_OK);  // rounds up to 2^31: renormalized
  EXPECT_EQ(m, 1 << 30);
  EXPECT_EQ(s, 1);
  EXPECT_EQ(topt_quantize_multiplier(std::ldexp(1.0, -33), &m, &s), TOPT_OK);  // too small: zero
  EXPECT_EQ(m, 0);
  EXPECT_EQ(topt_quantize_multiplier(std::ldexp(0.75, -31), &m, &s), TOPT_OK);  // smallest kept
  EXPECT_EQ(m, 1610612736);
  EXPECT_EQ(s, -31);
  EXPECT_EQ(topt_quantize_multiplier(std::ldexp(1.0, 30), &m, &s), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_quantize_multiplier(-0.5, &m, &s), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_quantize_multiplier(std::nan(""), &m, &s), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_quantize_multiplier(INFINITY, &m, &s), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_quantize_multiplier(0.5, nullptr, &s), TOPT_ERR_NULL);
  EXPECT_EQ(topt_quantize_multiplier(4.9e-324, &m, &s), TOPT_OK);  // a denormal: zero
  EXPECT_EQ(m, 0);
}

#if defined(__AVX2__)

std::vector<int32_t> lanes(__m256i v) {
  std::vector<int32_t> out(8);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.data()), v);
  return out;
}

__m256i vec(const int32_t* v) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v)); }

TEST(RuntimeFixedPointX86, VectorPrimitivesEqualScalarLaneByLane) {
  Rng rng(11);
  const size_t n_edges = sizeof(kEdges) / sizeof(kEdges[0]);
  for (int iter = 0; iter < 50000; ++iter) {
    int32_t a[8], b[8], shift[8], e[8];
    for (int l = 0; l < 8; ++l) {
      a[l] = rng.chance(0.3) ? kEdges[rng.uniform(0, static_cast<int32_t>(n_edges) - 1)]
                             : rng.uniform(INT32_MIN, INT32_MAX);
      b[l] = rng.chance(0.3) ? kEdges[rng.uniform(0, static_cast<int32_t>(n_edges) - 1)]
                             : rng.uniform(INT32_MIN, INT32_MAX);
      shift[l] = rng.uniform(-31, 30);
      e[l] = rng.uniform(0, 31);
    }
    const auto srdhm = lanes(topt_x86_srdhm(vec(a), vec(b)));
    const auto rdbpot = lanes(topt_x86_rdbpot(vec(a), vec(e)));
    int32_t m[8];
    for (int l = 0; l < 8; ++l) m[l] = b[l] < 0 ? b[l] & INT32_MAX : b[l];  // kernels' multipliers are >= 0
    const auto req = lanes(topt_x86_requantize(vec(a), vec(m), vec(shift)));
    int32_t right[8];
    for (int l = 0; l < 8; ++l) right[l] = shift[l] <= 0 ? -shift[l] : shift[l] - 1;  // 0..31
    const auto req_right = lanes(topt_x86_requantize_right(vec(a), vec(m), vec(right)));
    const auto nonneg = lanes(topt_x86_srdhm_nonneg(vec(a), vec(m)));
    for (int l = 0; l < 8; ++l) {
      ASSERT_EQ(srdhm[static_cast<size_t>(l)], topt_srdhm(a[l], b[l])) << a[l] << " * " << b[l];
      ASSERT_EQ(rdbpot[static_cast<size_t>(l)], topt_rdbpot(a[l], e[l])) << a[l] << " / 2^" << e[l];
      ASSERT_EQ(req[static_cast<size_t>(l)], topt_requantize(a[l], m[l], shift[l]))
          << a[l] << " " << m[l] << " " << shift[l];
      ASSERT_EQ(req_right[static_cast<size_t>(l)], topt_requantize(a[l], m[l], -right[l]))
          << a[l] << " " << m[l] << " " << -right[l];
      ASSERT_EQ(nonneg[static_cast<size_t>(l)], topt_srdhm(a[l], m[l])) << a[l] << " * " << m[l];
    }
  }
  const int32_t mins[8] = {INT32_MIN, INT32_MIN, 0, 1, INT32_MIN, -1, INT32_MAX, INT32_MIN};
  const int32_t mins_b[8] = {INT32_MIN, INT32_MAX, INT32_MIN, INT32_MIN, 1, INT32_MIN, INT32_MIN, INT32_MIN};
  const auto v = lanes(topt_x86_srdhm(vec(mins), vec(mins_b)));
  for (int l = 0; l < 8; ++l) EXPECT_EQ(v[static_cast<size_t>(l)], topt_srdhm(mins[l], mins_b[l])) << l;
}

TEST(RuntimeFixedPointX86, OutputStagePacksLanesInOrder) {
  const int32_t acc[8] = {-1000000, -5, 0, 5, 100, 1000, 1 << 30, -(1 << 30)};
  const int32_t m[8] = {1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, INT32_MAX, INT32_MAX};
  const int32_t s[8] = {0, 1, 0, 1, 0, -3, 30, 30};
  int8_t got[8];
  topt_x86_store_s8x8(got, topt_x86_output_s8x8(vec(acc), vec(m), vec(s), 1, 7, -100, 120));
  for (int l = 0; l < 8; ++l) EXPECT_EQ(got[l], topt_output_s8(acc[l], m[l], s[l], 7, -100, 120)) << l;
  const int32_t right_only[8] = {0, -1, 0, -1, 0, -3, -31, -12};
  topt_x86_store_s8x8(got, topt_x86_output_s8x8(vec(acc), vec(m), vec(right_only), 0, -7, -128, 127));
  for (int l = 0; l < 8; ++l) EXPECT_EQ(got[l], topt_output_s8(acc[l], m[l], right_only[l], -7, -128, 127)) << l;
}

#endif

}  // namespace
}  // namespace tinyopt::rt_test
