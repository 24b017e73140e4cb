/* topt_conv2d_c1x4_s8__dsp.c: Cortex-M DSP (SMLAD) int8 2-D convolution, pointwise included, for layers whose
 * channels all shift right (topt_dsp_all_plain: real layers do), any stride, padding and dilation; bit-exact
 * to topt_conv2d_s8__ref. The first conv row for such layers (tinyopt_rt_kernels.inc); the matrix-product
 * kernels (topt_conv2d_1x1_s8__dsp, topt_conv2d_s8__dsp) take the rest.
 *
 * One output channel x TOPT_DSP_ROWS (4) pixels per step: the 4 accumulators start at the bias, stay in
 * registers through the SMLAD loop (17 instructions per 16 MACs) and are requantized straight out of them
 * with the channel's constants (8 instructions per output), where the matrix product stores an int32 tile and
 * requantizes it in a second pass (~20 per output): that per-output cost decides short-K layers and still
 * shows at K = 64-576. K is padded to K4 (a multiple of 4) with zero activations (and, when K % 4 != 0,
 * zero weights copied to scratch once per call), so there is no scalar tail. The gather writes the 4 pixels'
 * pair-ordered rows interleaved per group of 4 k (pixel 0's 2 words, pixel 1's, ...), so one pointer walks
 * all 4 rows. Companions in topt_dsp_shapes.c (compiled by the host too): topt_conv2d_c1x4_s8__dsp_supports(p)
 * and topt_conv2d_c1x4_s8__dsp_scratch_bytes(p).
 */
#if defined(__ARM_FEATURE_DSP)

#include "topt_dsp_internal.h"

/* dot_1x4 and the 4-output store are written for 4 pixels */
typedef char topt_c1x4_needs_4_rows[TOPT_DSP_ROWS == 4 ? 1 : -1];

/* Words between one group of 4 k and the next in the interleaved block (2 per pixel). */
#define C1X4_GROUP_WORDS (2 * TOPT_DSP_ROWS)

/* acc[r] += pixel r's row . w over `groups` groups of 4 k (the hot loop: 17 instructions per 16 MACs);
 * returns w advanced past them (the next channel's row). */
static inline __attribute__((always_inline)) const int8_t* dot_1x4(const uint32_t* x, const int8_t* w,
                                                                   int32_t groups, int32_t acc[4]) {
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
  return w;
}

/* One output of store_2: requantize(v) for a channel with right > 0 (topt_dsp_output.c's plain path; v holds
 * the bias already) is the high word of v * M + round[v < 0] shifted right by right - 1; + z_out, SSAT to
 * int8, store. %[o] + ADDR is where. 8 instructions. */
#define C1X4_OUTPUT(V, ADDR)                 \
  "lsr    %[t], " V ", #31\n\t"                \
  "add    %[t], %[r], %[t], lsl #3\n\t"        \
  "ldrd   %[lo], %[y], [%[t]]\n\t"             \
  "smlal  %[lo], %[y], " V ", %[m]\n\t"        \
  "asr    %[y], %[y], %[rs]\n\t"               \
  "add    %[y], %[y], %[zp]\n\t"               \
  "ssat   %[y], #8, %[y]\n\t"                  \
  "strb   %[y], [%[o]" ADDR "]\n\t"

/* Two outputs of one channel, sa to out[0] and sb to out[cout]; out advances by 2 * cout. One asm block: as C,
 * gcc 12 splits the SMLAL and spills the output pointers. */
static inline __attribute__((always_inline)) int8_t* store_2(int32_t sa, int32_t sb, const topt_dsp_channel* ch,
                                                             int32_t m, int32_t rs, int32_t zp, int8_t* out,
                                                             int32_t cout) {
  uint32_t lo, t;
  int32_t y;
  __asm__ volatile(
      C1X4_OUTPUT("%[sa]", "")
      C1X4_OUTPUT("%[sb]", ", %[cout]")
      "add    %[o], %[o], %[cout], lsl #1\n\t"
      : [lo] "=&r"(lo), [y] "=&r"(y), [t] "=&r"(t), [o] "+r"(out)
      : [sa] "r"(sa), [sb] "r"(sb), [m] "r"(m), [rs] "r"(rs), [r] "r"(ch->round), [zp] "r"(zp), [cout] "r"(cout)
      : "memory");
  return out;
}

/* out[r * cout + c] for the 4 pixels of the block and every channel, clamped to the int8 range only. Out of
 * line: inlined, the asm blocks' 13 registers do not fit next to the kernel's own. */
static __attribute__((noinline)) void channels_block(const topt_dsp_channel* ch, const int8_t* w,
                                                     const uint32_t* block, int32_t groups, int32_t cout, int32_t zp,
                                                     int8_t* out) {
  const topt_dsp_channel* const end = ch + cout;
  for (; ch != end; ++ch, ++out) {
    int32_t acc[4];
    acc[0] = acc[1] = acc[2] = acc[3] = ch->bias;
    w = dot_1x4(block, w, groups, acc);
    store_2(acc[2], acc[3], ch, ch->multiplier, ch->right - 1, zp,
            store_2(acc[0], acc[1], ch, ch->multiplier, ch->right - 1, zp, out, cout), cout);
  }
}

/* Clamps n int8 values to [lo, hi] in place, 4 per step (SSUB8 compares all 4 lanes, SEL picks). A separate
 * pass so the common full-range layers (ReLU folded into z_out = -128) skip it and channels_block needs no
 * clamp constants in its registers. */
static void clamp_s8(int8_t* x, int32_t n, int32_t lo, int32_t hi) {
  const int32_t lo4 = (int32_t)((uint32_t)(uint8_t)lo * 0x01010101u), hi4 = (int32_t)((uint32_t)(uint8_t)hi * 0x01010101u);
  int32_t i;
  for (i = 0; i + 4 <= n; i += 4) {
    int32_t v = (int32_t)topt_dsp_load32(x + i);
    (void)__ssub8(v, lo4); /* GE per lane: v >= lo */
    v = (int32_t)__sel((uint32_t)v, (uint32_t)lo4);
    (void)__ssub8(v, hi4); /* GE per lane: v >= hi */
    v = (int32_t)__sel((uint32_t)hi4, (uint32_t)v);
    __builtin_memcpy(x + i, &v, 4);
  }
  for (; i < n; ++i) x[i] = (int8_t)(x[i] < lo ? lo : (x[i] > hi ? hi : x[i]));
}

/* d[0..n) = s[0..n), a word at a time (Cortex-M4/M7 load and store unaligned words). */
static inline void copy_s8(int8_t* d, const int8_t* s, int32_t n) {
  int32_t i;
  for (i = 0; i + 4 <= n; i += 4) {
    const uint32_t v = topt_dsp_load32(s + i);
    __builtin_memcpy(d + i, &v, 4);
  }
  for (; i < n; ++i) d[i] = s[i];
}

/* d[0..n) = v. */
static inline void fill_s8(int8_t* d, int8_t v, int32_t n) {
  int32_t i;
  for (i = 0; i < n; ++i) d[i] = v;
}

/* The K int8 window of output pixel (b, oy, ox) into row, kernel row by kernel row, in segments: a row wholly
 * inside the input with dilation_w 1 is one run of KW * C_in contiguous bytes, a row in the top or bottom
 * padding one fill of z_in (which widens to 0), any other row tap by tap. (A separate whole-window path would
 * be ~10% faster on C_in = 3 layers but costs the 180 bytes ds-cnn's 8 KiB runtime budget does not have.) */
static void gather_s8(const topt_window2d* w, const int8_t* input, int32_t b, int32_t oy, int32_t ox, int8_t pad,
                      int8_t* row) {
  const int32_t c = w->input.c, run = w->kernel_w * c;
  const int32_t iy0 = oy * w->stride_h - w->pad_top, ix0 = ox * w->stride_w - w->pad_left;
  const int32_t whole = w->dilation_w == 1 && ix0 >= 0 && ix0 + w->kernel_w <= w->input.w;
  int32_t ky, kx;
  for (ky = 0; ky < w->kernel_h; ++ky, row += run) {
    const int32_t iy = iy0 + ky * w->dilation_h, in_row = iy >= 0 && iy < w->input.h;
    const int32_t span = !in_row || whole ? w->kernel_w : 1; /* taps per segment */
    for (kx = 0; kx < w->kernel_w; kx += span) {
      const int32_t ix = ix0 + kx * w->dilation_w;
      if (in_row && ix >= 0 && ix < w->input.w)
        copy_s8(row + kx * c, input + ((b * w->input.h + iy) * w->input.w + ix) * c, span * c);
      else
        fill_s8(row + kx * c, pad, span * c);
    }
  }
}

/* The interleaved pair-ordered block of `count` pixels from px on, through the int8 row `staging` (its
 * K..K4 tail already z_in). Slots of absent pixels are left as they are: their sums are never stored. */
static void gather_block(const topt_conv2d_params* p, const int8_t* input, int32_t px, int32_t count, int32_t k4,
                         int8_t* staging, uint32_t* block) {
  const topt_window2d* w = &p->win;
  const int32_t per_image = w->output.h * w->output.w;
  const int32_t neg_zp2 = topt_dsp_neg_zp2(p->quant.input_zero_point);
  int32_t b = px / per_image, oy = (px % per_image) / w->output.w, ox = px % w->output.w, r;
  for (r = 0; r < count; ++r) {
    gather_s8(w, input, b, oy, ox, (int8_t)p->quant.input_zero_point, staging);
    topt_dsp_widen_run(staging, k4, neg_zp2, block + 2 * r, C1X4_GROUP_WORDS);
    if (++ox == w->output.w) { /* the next pixel in (N, OH, OW) order */
      ox = 0;
      if (++oy == w->output.h) {
        oy = 0;
        ++b;
      }
    }
  }
}

/* K % 4 != 0: the filter rows zero-padded to K4 into copy, and the K..K4 tail of the im2col row set to z_in
 * once (gather_s8 writes only the first K bytes); both then widen or multiply to 0. */
static void pad_rows(const int8_t* filter, int32_t channels, int32_t k, int32_t k4, int8_t* copy, int8_t* row,
                     int8_t z_in) {
  int32_t c, i;
  for (c = 0; c < channels; ++c)
    for (i = 0; i < k4; ++i) copy[c * k4 + i] = i < k ? filter[c * k + i] : 0;
  for (i = k; i < k4; ++i) row[i] = z_in;
}

topt_status topt_conv2d_c1x4_s8__dsp(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                       const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  const topt_channel_quant* q = &p->quant;
  const int32_t cout = p->win.output.c;
  int32_t k, k4, pixels, px;
  topt_dsp_gemm_work work;
  int8_t* staging;
  const int8_t* weights;
  if (st != TOPT_OK) return st;
  if (!topt_conv2d_c1x4_s8__dsp_supports(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  k = p->win.kernel_h * p->win.kernel_w * p->win.input.c;
  k4 = (k + 3) & ~3;
  work = topt_dsp_gemm_setup(scratch, k4, cout, bias, q); /* its rows are the 4-pixel block */
  staging = (int8_t*)scratch + topt_dsp_gemm_bytes(k4, cout);
  weights = filter;
  if (k != k4) {
    pad_rows(filter, cout, k, k4, staging + k4, staging, (int8_t)q->input_zero_point);
    weights = staging + k4;
  }
  pixels = p->win.output.n * p->win.output.h * p->win.output.w;
  for (px = 0; px < pixels; px += TOPT_DSP_ROWS) {
    const int32_t count = pixels - px < TOPT_DSP_ROWS ? pixels - px : TOPT_DSP_ROWS;
    int8_t* out = output + px * cout;
    gather_block(p, input, px, count, k4, staging, (uint32_t*)(void*)work.rows);
    /* a last partial block goes through the unused accumulator tile (TOPT_DSP_ROWS x C_out int32) */
    channels_block(work.channels, weights, (const uint32_t*)(void*)work.rows, k4 / 4, cout, q->output_zero_point,
                   count == TOPT_DSP_ROWS ? out : (int8_t*)work.tile);
    if (count < TOPT_DSP_ROWS) __builtin_memcpy(out, work.tile, (size_t)(count * cout));
    if (q->act_min != -128 || q->act_max != 127) clamp_s8(out, count * cout, q->act_min, q->act_max);
  }
  return TOPT_OK;
}

#else
typedef int topt_conv2d_c1x4_s8__dsp_requires_dsp; /* keeps the translation unit non-empty */
#endif
