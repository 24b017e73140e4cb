/* tinyopt_rt_fixedpoint.h: the scalar fixed-point primitives of docs/numerics.md section 2, as static
 * inline C99 functions shared by every reference kernel (and by tests as the spec's executable form).
 *
 * No implementation-defined behaviour: arithmetic right shifts of negative numbers go through
 * topt_asr32/topt_asr64, overflows are either impossible by the stated ranges or saturated explicitly.
 * SIMD variants re-implement these per ISA (e.g. runtime/x86/topt_x86_internal.h) and are tested against them.
 * This header is not a general fixed-point library: only what the kernels need.
 */
#ifndef TINYOPT_RT_FIXEDPOINT_H
#define TINYOPT_RT_FIXEDPOINT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Arithmetic (floor) shift right, e in [0, 31] / [0, 63], without relying on >> of negative values. */
static inline int32_t topt_asr32(int32_t x, int32_t e) { return x >= 0 ? (x >> e) : ~(~x >> e); }
static inline int64_t topt_asr64(int64_t x, int32_t e) { return x >= 0 ? (x >> e) : ~(~x >> e); }

static inline int32_t topt_clamp32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Round half away from zero without libm, for the float -> integer quantizers at the graph boundary. v is
 * first clamped to +-limit (limit <= 2^16, beyond every target type's range), which keeps the int
 * conversion defined and v - trunc(v) exact. The caller handles NaN and the final clamp. */
static inline int32_t topt_round_half_away_limited(float v, float limit) {
  int32_t t;
  float frac;
  v = v > limit ? limit : (v < -limit ? -limit : v);
  t = (int32_t)v; /* truncates toward zero */
  frac = v - (float)t;
  if (frac >= 0.5f)
    ++t;
  else if (frac <= -0.5f)
    --t;
  return t;
}

static inline int32_t topt_sat32(int64_t v) {
  return v < INT32_MIN ? INT32_MIN : (v > INT32_MAX ? INT32_MAX : (int32_t)v);
}

/* SaturatingRoundingDoublingHighMul (gemmlowp): round(a*b / 2^31), ties toward +inf; MIN*MIN -> MAX. */
static inline int32_t topt_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C division truncates toward zero */
  }
}

/* RoundingDivideByPOT (gemmlowp): round(x / 2^e), ties away from zero; e in [0, 31]. */
static inline int32_t topt_rdbpot(int32_t x, int32_t e) {
  const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return topt_asr32(x, e) + (remainder > threshold ? 1 : 0);
}

/* requantize(acc, M, shift) of docs/numerics.md section 2.3: saturating left shift, SRDHM, RDBPOT. */
static inline int32_t topt_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t x = topt_sat32((int64_t)acc * ((int64_t)1 << left));
  return topt_rdbpot(topt_srdhm(x, multiplier), right);
}

/* requantize64 of docs/numerics.md section 2.5 (int16 activations): |acc| < 2^47, shift in [-31, 14]. */
static inline int64_t topt_requantize64(int64_t acc, int32_t multiplier, int32_t shift) {
  const int64_t m16 = multiplier < 0x7FFF0000 ? (((int64_t)multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int32_t total_shift = 15 - shift;
  return topt_asr64(acc * m16 + ((int64_t)1 << (total_shift - 1)), total_shift);
}

static inline int64_t topt_clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Element i of an int4 array packed two per byte, low nibble first (docs/numerics.md section 6). */
static inline int32_t topt_int4_at(const uint8_t* packed, int32_t i) {
  const int32_t byte = packed[i >> 1];
  const int32_t nibble = (i & 1) ? (byte >> 4) : (byte & 0x0F);
  return nibble >= 8 ? nibble - 16 : nibble;
}

/* clamp(v + zero_point, act_min, act_max) without the overflow v + zero_point could have when v is a
 * saturated requantization result: clamp first to the range shifted by the zero point, then add. */
static inline int32_t topt_add_zp_clamp(int32_t v, int32_t zero_point, int32_t act_min, int32_t act_max) {
  return topt_clamp32(v, act_min - zero_point, act_max - zero_point) + zero_point;
}

/* The int8 output stage shared by conv / depthwise / dense / pooling: requantize, add zero point, clamp. */
static inline int8_t topt_output_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point, int32_t act_min,
                                    int32_t act_max) {
  return (int8_t)topt_add_zp_clamp(topt_requantize(acc, multiplier, shift), zero_point, act_min, act_max);
}

#ifdef __cplusplus
}
#endif

#endif /* TINYOPT_RT_FIXEDPOINT_H */
