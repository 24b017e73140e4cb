/* topt_dsp_output.c: the int8 output stage of the Cortex-M DSP matrix product and depthwise core
 * (declared in topt_dsp_internal.h): requantize an int32 accumulator with its channel's prepared
 * parameters (topt_dsp_channel), clamp, add z_out. One out-of-line copy: the callers hand it a whole row
 * or block of channels, so the call costs little next to the loop, and the code is in flash once.
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

/* requantize(acc + bias) for M >= 0 (every kernel checks that), from one SMLAL:
 *   right = 0: SRDHM alone, floor((p + 2^30) / 2^31) with p = acc * M (after the saturating left shift).
 *   right > 0: RDBPOT(SRDHM) = floor((floor((p + 2^30) / 2^31) + 2^(right-1) - [x < 0]) / 2^right), and nested
 *   floor divisions merge: = floor((p + 2^30 + (2^(right-1) - [x < 0]) * 2^31) / 2^(31+right)), i.e. the high
 *   word of p + round shifted right by right - 1. [x < 0] may be taken as [acc < 0]: they differ only when
 *   -2^30 <= p < 0, where x = 0 and both choices give 0.
 * Relies on gcc's arithmetic >> of negative values (documented implementation-defined behaviour): this file
 * is for gcc / clang on Arm only. */
static int32_t requantize(int32_t acc, const topt_dsp_channel* r) {
  acc = (int32_t)((uint32_t)acc + (uint32_t)r->bias); /* wraps like the reference's int32 sum */
  if (r->left > 0) {                                  /* saturate acc * 2^left to int32 */
    const int32_t top = acc >> (31 - r->left);
    acc = top == 0 || top == -1 ? (int32_t)((uint32_t)acc << r->left) : (acc < 0 ? INT32_MIN : INT32_MAX);
  }
  __asm__("" : "+r"(acc)); /* keeps acc one register, so the product below is one SMLAL, not 3 multiplies */
  if (r->right == 0) return (int32_t)(((int64_t)acc * r->multiplier + r->round[0]) >> 31);
  return (int32_t)(((int64_t)acc * r->multiplier + r->round[(uint32_t)acc >> 31]) >> 32) >> (r->right - 1);
}

/* The int8 output stage: requantize, clamp to [lo, hi] = [act_min - z_out, act_max - z_out], add z_out. */
static int8_t output_s8(int32_t acc, const topt_dsp_channel* r, int32_t lo, int32_t hi, int32_t zero_point) {
  int32_t v = requantize(acc, r);
  v = v < lo ? lo : (v > hi ? hi : v);
  return (int8_t)(v + zero_point);
}

/* `plain`: requantize without its left-shift and right = 0 branches. */
void topt_dsp_output_row(const int32_t* acc, const topt_dsp_channel* ch, int32_t n, int plain,
                         const topt_channel_quant* q, int8_t* out) {
  const int32_t zp = q->output_zero_point, lo = q->act_min - zp, hi = q->act_max - zp;
  int32_t c;
  if (!plain) {
    for (c = 0; c < n; ++c) out[c] = output_s8(acc[c], ch + c, lo, hi, zp);
    return;
  }
  for (c = 0; c < n; ++c) {
    const int32_t v = (int32_t)((uint32_t)acc[c] + (uint32_t)ch[c].bias);
    int32_t y = (int32_t)(((int64_t)v * ch[c].multiplier + ch[c].round[(uint32_t)v >> 31]) >> 32) >> (ch[c].right - 1);
    y = y < lo ? lo : (y > hi ? hi : y);
    out[c] = (int8_t)(y + zp);
  }
}

#else
typedef int topt_dsp_output_requires_dsp; /* keeps the translation unit non-empty */
#endif
