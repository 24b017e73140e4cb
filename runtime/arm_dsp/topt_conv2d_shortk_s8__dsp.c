/* topt_conv2d_shortk_s8__dsp.c: Cortex-M DSP (SMLAD) int8 2-D convolution for short filter rows
 * (K = KH * KW * C_in <= TOPT_DSP_SHORTK_MAX) whose channels all shift right (topt_dsp_all_plain), any stride,
 * padding and dilation; bit-exact to topt_conv2d_s8__ref.
 *
 * Why its own kernel: with a short K the matrix product's per-block costs (accumulator tile store and
 * reload, the out-of-line output stage, a k % 4 scalar tail) outweigh its SMLAD loop. Here one output
 * channel x TOPT_DSP_ROWS pixels run per step: the 4 accumulators start at the bias, stay in registers
 * through the SMLAD loop and are requantized straight out of them with the channel's constants hoisted. K is
 * padded to K4 (a multiple of 4) with zero activations (and, when K % 4 != 0, zero weights copied to
 * scratch once per call), so there is no scalar tail. The gather writes the 4 pixels' pair-ordered rows
 * interleaved per group of 4 k (pixel 0's 2 words, pixel 1's, ...), so one pointer walks all 4 rows.
 * Companions in topt_dsp_shapes.c: topt_conv2d_shortk_s8__dsp_supports(p), _scratch_bytes(p).
 */
#if defined(__ARM_FEATURE_DSP)

#include "tinyopt_rt_window.h"
#include "topt_dsp_internal.h"

/* Words between one group of 4 k and the next in the interleaved block (2 per pixel). */
#define SHORTK_GROUP_WORDS (2 * TOPT_DSP_ROWS)

/* acc[r] += pixel r's row . w over k4 / 4 groups (the hot loop: 17 instructions per 16 MACs). */
static inline __attribute__((always_inline)) void dot_1x4(const uint32_t* x, const int8_t* w, int32_t groups,
                                                          int32_t acc[4]) {
  int32_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
  uint32_t wa, wl, x0, x1;
  /* written out: gcc 12 reloads the weight word per pixel in C; this needs 11 registers */
  __asm__ volatile(
      "1:\n\t"
      "ldr    %[wa], [%[w]], #4\n\t"
      "ldrd   %[x0], %[x1], [%[x]], #8\n\t"
      "sxtb16 %[wl], %[wa]\n\t"
      "sxtb16 %[wa], %[wa], ror #8\n\t"
      "smlad  %[s0], %[wl], %[x0], %[s0]\n\t"
      "smlad  %[s0], %[wa], %[x1], %[s0]\n\t"
      "ldrd   %[x0], %[x1], [%[x]], #8\n\t"
      "smlad  %[s1], %[wl], %[x0], %[s1]\n\t"
      "smlad  %[s1], %[wa], %[x1], %[s1]\n\t"
      "ldrd   %[x0], %[x1], [%[x]], #8\n\t"
      "smlad  %[s2], %[wl], %[x0], %[s2]\n\t"
      "smlad  %[s2], %[wa], %[x1], %[s2]\n\t"
      "ldrd   %[x0], %[x1], [%[x]], #8\n\t"
      "smlad  %[s3], %[wl], %[x0], %[s3]\n\t"
      "smlad  %[s3], %[wa], %[x1], %[s3]\n\t"
      "subs   %[n], %[n], #1\n\t"
      "bne    1b\n\t"
      : [s0] "+r"(s0), [s1] "+r"(s1), [s2] "+r"(s2), [s3] "+r"(s3), [w] "+r"(w), [x] "+r"(x), [n] "+r"(groups),
        [wa] "=&r"(wa), [wl] "=&r"(wl), [x0] "=&r"(x0), [x1] "=&r"(x1)
      :
      : "cc", "memory");
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
}

/* The int8 output of accumulator v (bias included) for a channel with right > 0 (topt_dsp_output.c's plain
 * path): the high word of v * M + round[v < 0], shifted right by right - 1 (rs), + z_out, clamped. Written
 * out because gcc 12, short of registers here, splits the SMLAL into 3 multiplies. */
static inline int8_t output_plain(int32_t v, int32_t m, const int64_t* round, int32_t rs, int32_t zp, int32_t amin,
                                  int32_t amax) {
  uint32_t lo, t;
  int32_t y;
  __asm__(
      "lsr    %[t], %[v], #31\n\t"
      "add    %[t], %[r], %[t], lsl #3\n\t"
      "ldrd   %[lo], %[y], [%[t]]\n\t"
      "smlal  %[lo], %[y], %[v], %[m]\n\t"
      "asr    %[y], %[y], %[rs]\n\t"
      : [lo] "=&r"(lo), [y] "=&r"(y), [t] "=&r"(t)
      : [v] "r"(v), [m] "r"(m), [r] "r"(round), [rs] "r"(rs), "m"(*(const int64_t(*)[2])round));
  y += zp;
  y = y < amin ? amin : y;
  return (int8_t)(y > amax ? amax : y);
}

/* The K4 int8 window of output pixel px into row (padding and the K..K4 tail = z_in, which widens to 0):
 * a window wholly inside the input with dilation_w 1 is KH runs of KW * C_in contiguous bytes. */
static void gather_s8(const topt_window2d* w, const int8_t* input, int32_t px, int8_t pad, int32_t k4, int8_t* row) {
  const int32_t per_image = w->output.h * w->output.w;
  const int32_t b = px / per_image, oy = (px % per_image) / w->output.w, ox = px % w->output.w;
  const int32_t run = w->kernel_w * w->input.c, k = w->kernel_h * run;
  const int32_t iy = oy * w->stride_h - w->pad_top, ix = ox * w->stride_w - w->pad_left;
  int32_t ky, i;
  if (w->dilation_w == 1 && iy >= 0 && ix >= 0 && iy + (w->kernel_h - 1) * w->dilation_h < w->input.h &&
      ix + w->kernel_w <= w->input.w) {
    const int8_t* src = input + ((b * w->input.h + iy) * w->input.w + ix) * w->input.c;
    const int32_t line = w->dilation_h * w->input.w * w->input.c;
    for (ky = 0; ky < w->kernel_h; ++ky, src += line)
      for (i = 0; i < run; ++i) row[ky * run + i] = src[i];
  } else {
    topt_window_im2col_s8(w, input, b, oy, ox, pad, row);
  }
  for (i = k; i < k4; ++i) row[i] = pad;
}

/* The interleaved pair-ordered block of `count` pixels from px on (slots of absent pixels are left as they
 * are: their sums are never stored). */
static void gather_block(const topt_conv2d_params* p, const int8_t* input, int32_t px, int32_t count, int32_t k4,
                         int8_t* staging, uint32_t* block) {
  const topt_window2d* w = &p->win;
  const int32_t per_image = w->output.h * w->output.w;
  const int32_t neg_zp2 = topt_dsp_neg_zp2(p->quant.input_zero_point);
  int32_t r;
  for (r = 0; r < count; ++r) {
    if (w->input.c % 4 == 0) {
      const int32_t q = px + r;
      topt_dsp_window_widen(w, input, q / per_image, (q % per_image) / w->output.w, q % w->output.w, neg_zp2,
                            block + 2 * r, SHORTK_GROUP_WORDS);
    } else {
      gather_s8(w, input, px + r, (int8_t)p->quant.input_zero_point, k4, staging);
      topt_dsp_widen_run(staging, k4, neg_zp2, block + 2 * r, SHORTK_GROUP_WORDS);
    }
  }
}

/* Filter rows with a K4 stride: the filter itself when K % 4 == 0, else a zero-padded copy in `copy`. */
static const int8_t* padded_filter(const int8_t* filter, int32_t channels, int32_t k, int32_t k4, int8_t* copy) {
  int32_t c, i;
  if (k == k4) return filter;
  for (c = 0; c < channels; ++c)
    for (i = 0; i < k4; ++i) copy[c * k4 + i] = i < k ? filter[c * k + i] : 0;
  return copy;
}

topt_status topt_conv2d_shortk_s8__dsp(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                       const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_channel_quant* q = &p->quant;
  const int32_t cout = p->win.output.c, zp = q->output_zero_point, amin = q->act_min, amax = q->act_max;
  int32_t k4, pixels, px, c;
  topt_dsp_channel* ch;
  uint32_t* block;
  int8_t* staging;
  const int8_t* weights;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_shortk_s8__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k4 = topt_dsp_shortk_k4(p);
  ch = (topt_dsp_channel*)topt_dsp_align8(scratch);
  block = (uint32_t*)(void*)(ch + cout);
  staging = (int8_t*)(block + SHORTK_GROUP_WORDS * (k4 / 4));
  for (c = 0; c < cout; ++c) ch[c] = topt_dsp_channel_of(bias != NULL ? bias[c] : 0, q->multiplier[c], q->shift[c]);
  weights = padded_filter(filter, cout, p->win.kernel_h * p->win.kernel_w * p->win.input.c, k4, staging + k4);
  pixels = p->win.output.n * p->win.output.h * p->win.output.w;
  for (px = 0; px < pixels; px += TOPT_DSP_ROWS) {
    const int32_t count = pixels - px < TOPT_DSP_ROWS ? pixels - px : TOPT_DSP_ROWS;
    int8_t* out = output + px * cout;
    gather_block(p, input, px, count, k4, staging, block);
    for (c = 0; c < cout; ++c) {
      const int32_t m = ch[c].multiplier, rs = ch[c].right - 1;
      const int64_t* round = ch[c].round;
      int32_t acc[4];
      acc[0] = acc[1] = acc[2] = acc[3] = ch[c].bias;
      dot_1x4(block, weights + c * k4, k4 / 4, acc);
      switch (count) { /* straight-line, so the sums stay in registers */
        case 4: out[3 * cout + c] = output_plain(acc[3], m, round, rs, zp, amin, amax); /* fall through */
        case 3: out[2 * cout + c] = output_plain(acc[2], m, round, rs, zp, amin, amax); /* fall through */
        case 2: out[cout + c] = output_plain(acc[1], m, round, rs, zp, amin, amax); /* fall through */
        default: out[c] = output_plain(acc[0], m, round, rs, zp, amin, amax);
      }
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_shortk_s8__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
