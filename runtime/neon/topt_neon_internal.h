/* topt_neon_internal.h: what the aarch64 NEON kernel variants (runtime/neon/) share; not public API.
 *
 * The top half is portable C (block sizes and scratch layouts), because the host compiles
 * topt_neon_shapes.c — the _supports() / _scratch_bytes() companions — to choose kernels and plan memory
 * for a target. The bottom half (inside __ARM_NEON) holds the NEON building blocks:
 *  - topt_neon_dot16: acc += 16 int8 products, spread over 4 int32 lanes (SDOT with __ARM_FEATURE_DOTPROD,
 *    Cortex-A76 / Pi 5; SMULL + SADALP otherwise, Cortex-A72 / Pi 4). This is the only place the two
 *    differ, and callers only ever use the sum of the four lanes.
 *  - topt_neon_requantize: docs/numerics.md section 2.3 on 4 lanes, bit-exact to topt_requantize.
 * The int8 matrix product with the output stage (topt_neon_gemm_s8), the depthwise core and the int4
 * unpacker live in topt_neon_gemm_s8.c / topt_neon_dwconv_s8.c.
 *
 * The arithmetic trick every NEON conv / dense kernel relies on: sum_k (x - z_in) * w = sum_k x * w -
 * z_in * sum_k w, so the products run on the raw int8 input (the im2col rows fill padding with z_in, which
 * contributes exactly 0) and the correction is folded into a per-channel "effective bias" once per call.
 * Every intermediate stays below 2^31 by the params checks' bound on K (|x|, |w| <= 128, K <= 32896).
 */
#ifndef TOPT_NEON_INTERNAL_H
#define TOPT_NEON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tinyopt_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* im2col rows per matrix-product call of the general conv (the product's row block). */
#define TOPT_NEON_IM2COL_ROWS 4
/* Output channels whose int4 weights are unpacked to int8 at a time (even, so a block starts on a byte). */
#define TOPT_NEON_W4_CHANNELS 16

/* Scratch of the conv / dense kernels: the effective bias, then (general conv) the im2col rows, then
 * (int4 weights) the unpacked weight block. Offsets are multiples of 4 bytes from the scratch start. */
static inline size_t topt_neon_align4(size_t n) { return (n + 3u) & ~(size_t)3u; }

#if defined(__ARM_NEON)

/* The product, for the kernels: out[r * out_stride + c] = output_s8(bias_eff[c] + sum_k a[r * a_stride + k] *
 * w[c * k + k], channel c) for r < rows, c < channels. a: (rows, k) int8 rows a_stride apart; w: (channels, k)
 * int8; bias_eff, multiplier, shift: [channels]; zero point and clamp from q. */
void topt_neon_gemm_s8(const int8_t* a, int32_t rows, int32_t a_stride, const int8_t* w, int32_t k, int32_t channels,
                       const int32_t* bias_eff, const int32_t* multiplier, const int32_t* shift,
                       const topt_channel_quant* q, int8_t* out, int32_t out_stride);

/* bias_eff[c] = (bias ? bias[c] : 0) - zero_point * sum_k w[c * k + k] for c < channels (wrapping). */
void topt_neon_effective_bias(const int8_t* w, int32_t k, int32_t channels, const int32_t* bias, int32_t zero_point,
                              int32_t* bias_eff);

/* out[i] = int4 element first + i of the packed array, for i < count; first must be even. */
void topt_neon_unpack_int4(const uint8_t* packed, int32_t first, int32_t count, int8_t* out);

/* The depthwise convolution with int8 weights (1, KH, KW, C), depth multiplier 1 (topt_neon_dwconv_s8.c). */
void topt_neon_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                         int8_t* output);

#include <arm_neon.h>

static inline int32x4_t topt_neon_dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vdotq_s32(acc, a, b);
#else
  /* int8 * int8 fits int16 (even -128 * -128); SADALP adds neighbouring pairs into int32 */
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* requantize(acc, M, shift) per lane. left = max(shift, 0), right_neg = min(shift, 0) = -right.
 * SQRDMULH is SRDHM exactly (floor((2ab + 2^31) / 2^32), MIN * MIN saturated); the fixup turns VRSHL's
 * ties-toward-+inf into RDBPOT's ties-away-from-zero by subtracting 1 from negative x when right > 0
 * (saturating, which leaves INT32_MIN's exact quotient unchanged). */
static inline int32x4_t topt_neon_requantize(int32x4_t acc, int32x4_t multiplier, int32x4_t left, int32x4_t right_neg) {
  const int32x4_t x = vqrdmulhq_s32(vqshlq_s32(acc, left), multiplier);
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, right_neg), 31);
  return vrshlq_s32(vqaddq_s32(x, fixup), right_neg);
}

/* The int8 output stage of 4 lanes: requantize, clamp to [act_min - zp, act_max - zp], add zp, narrow. The
 * 4 bytes come back in the low 32 bits. */
static inline uint32_t topt_neon_output_s8x4(int32x4_t acc, int32x4_t multiplier, int32x4_t left, int32x4_t right_neg,
                                             const topt_channel_quant* q) {
  const int32x4_t v = topt_neon_requantize(acc, multiplier, left, right_neg);
  const int32x4_t lo = vdupq_n_s32(q->act_min - q->output_zero_point);
  const int32x4_t hi = vdupq_n_s32(q->act_max - q->output_zero_point);
  const int32x4_t out = vaddq_s32(vminq_s32(vmaxq_s32(v, lo), hi), vdupq_n_s32(q->output_zero_point));
  const int16x4_t n16 = vmovn_s32(out);
  const int8x8_t n8 = vmovn_s16(vcombine_s16(n16, n16));
  return vget_lane_u32(vreinterpret_u32_s8(n8), 0);
}

#endif /* __ARM_NEON */

#ifdef __cplusplus
}
#endif

#endif /* TOPT_NEON_INTERNAL_H */
