/* topt_dsp_dwconv_s8.c: the depthwise convolution core of the Cortex-M DSP variants (depth multiplier 1,
 * int8 weights (1, KH, KW, C)), shared by topt_dwconv2d_s8__dsp and topt_dwconv2d_s8w4__dsp (which unpacks
 * its int4 weights first). Declared in topt_dsp_internal.h.
 *
 * Channels are the SIMD axis (NHWC keeps them contiguous). For each output pixel the taps inside the input
 * form one rectangle [ky0, ky1) x [kx0, kx1) (computed once, so the tap loops carry no bounds checks and
 * padded taps are skipped as in the reference). Per tap and 4 channels: one LDR of inputs widened by two
 * SXTAB16 (which subtract z_in), one LDR of weights widened by two SXTB16, and four SMLABB/SMLATT — a
 * depthwise sum runs along one channel, so it cannot pair products the way SMLAD does. Two neighbouring
 * output pixels whose tap rectangles are the same (every interior pair) run as one step that loads and
 * widens each weight word once for both and pays the per-pixel walk set-up once (gcc 12 spills some of its
 * 8 accumulators, yet it measured fewer instructions than one pixel per step). Neighbours are taken along
 * the longer side of the output map (a tall, narrow map such as ds-cnn's 25 x 5 pairs down its columns),
 * so more pixels find a partner. The accumulators of up to DW_BLOCK channels go through the shared output
 * stage (topt_dsp_output_row) in one call; every channel's requantization is prepared once per call in
 * scratch (topt_dsp_dwconv_bytes).
 */
#if defined(__ARM_FEATURE_DSP)

#include "tinyopt_rt_window.h"
#include "topt_dsp_internal.h"

/* Channels per output-stage call; their accumulators wait on the stack (2 pixels x DW_BLOCK int32). */
#define DW_BLOCK 16

/* The first valid tap of output pixel (b, oy, ox): its input pixel (channel 0) and filter tap (channel 0),
 * and the valid tap rectangle's size; rows = cols = 0 when no tap lies inside the input. */
typedef struct {
  const int8_t* x;
  const int8_t* f;
  int32_t rows, cols;
} tap_box;

static tap_box taps_of(const topt_window2d* w, const int8_t* input, const int8_t* filter, int32_t b, int32_t oy,
                       int32_t ox) {
  tap_box t;
  int32_t ky0, ky1, kx0, kx1;
  topt_window_tap_range(oy, w->stride_h, w->pad_top, w->dilation_h, w->kernel_h, w->input.h, &ky0, &ky1);
  topt_window_tap_range(ox, w->stride_w, w->pad_left, w->dilation_w, w->kernel_w, w->input.w, &kx0, &kx1);
  t.x = input;
  t.f = filter;
  t.rows = t.cols = 0;
  if (ky0 < ky1 && kx0 < kx1) {
    t.x = input + ((b * w->input.h + oy * w->stride_h - w->pad_top + ky0 * w->dilation_h) * w->input.w +
                   ox * w->stride_w - w->pad_left + kx0 * w->dilation_w) *
                      w->input.c;
    t.f = filter + (ky0 * w->kernel_w + kx0) * w->output.c;
    t.rows = ky1 - ky0;
    t.cols = kx1 - kx0;
  }
  return t;
}

/* The strides of the tap walk (bytes), z_in, and -z_in in both halves. */
typedef struct {
  int32_t zero_point, neg_zp, x_step, x_row_step, f_step, f_row_step;
} walk;

/* acc[0..3] = the depthwise sums of 4 channels of one pixel: x, f its first valid tap at channel c. */
static void dot4(const walk* k, const int8_t* x, const int8_t* f, int32_t rows, int32_t cols, int32_t* acc) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ky, kx;
  for (ky = 0; ky < rows; ++ky) {
    const int8_t* xp = x;
    const int8_t* fp = f;
    for (kx = 0; kx < cols; ++kx) {
      const uint32_t xv = topt_dsp_load32(xp), wv = topt_dsp_load32(fp);
      const int32_t x02 = __sxtab16(k->neg_zp, (int32_t)xv), x13 = topt_dsp_sxtab16_ror8(k->neg_zp, xv);
      const int32_t w02 = __sxtb16((int32_t)wv), w13 = topt_dsp_sxtb16_ror8(wv);
      a0 = __smlabb(x02, w02, a0);
      a2 = __smlatt(x02, w02, a2);
      a1 = __smlabb(x13, w13, a1);
      a3 = __smlatt(x13, w13, a3);
      xp += k->x_step;
      fp += k->f_step;
    }
    x += k->x_row_step;
    f += k->f_row_step;
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* dot4 of two pixels with the same taps, the second dx bytes after the first: acc[0..3] and acc2[0..3]. */
static void dot4x2(const walk* k, const int8_t* x, int32_t dx, const int8_t* f, int32_t rows, int32_t cols,
                   int32_t* acc, int32_t* acc2) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, ky, kx;
  for (ky = 0; ky < rows; ++ky) {
    const int8_t* xp = x;
    const int8_t* fp = f;
    for (kx = 0; kx < cols; ++kx) {
      const uint32_t wv = topt_dsp_load32(fp), xv = topt_dsp_load32(xp), yv = topt_dsp_load32(xp + dx);
      const int32_t w02 = __sxtb16((int32_t)wv), w13 = topt_dsp_sxtb16_ror8(wv);
      const int32_t x02 = __sxtab16(k->neg_zp, (int32_t)xv), x13 = topt_dsp_sxtab16_ror8(k->neg_zp, xv);
      const int32_t y02 = __sxtab16(k->neg_zp, (int32_t)yv), y13 = topt_dsp_sxtab16_ror8(k->neg_zp, yv);
      a0 = __smlabb(x02, w02, a0);
      a2 = __smlatt(x02, w02, a2);
      a1 = __smlabb(x13, w13, a1);
      a3 = __smlatt(x13, w13, a3);
      b0 = __smlabb(y02, w02, b0);
      b2 = __smlatt(y02, w02, b2);
      b1 = __smlabb(y13, w13, b1);
      b3 = __smlatt(y13, w13, b3);
      xp += k->x_step;
      fp += k->f_step;
    }
    x += k->x_row_step;
    f += k->f_row_step;
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
  acc2[0] = b0, acc2[1] = b1, acc2[2] = b2, acc2[3] = b3;
}

/* The depthwise sum of channel c of pixel t, one tap at a time (the C % 4 channels). */
static int32_t dot1(const walk* k, const tap_box* t, int32_t c) {
  const int8_t* x = t->x + c;
  const int8_t* f = t->f + c;
  int32_t acc = 0, ky, kx;
  for (ky = 0; ky < t->rows; ++ky) {
    for (kx = 0; kx < t->cols; ++kx) acc += (x[kx * k->x_step] - k->zero_point) * f[kx * k->f_step];
    x += k->x_row_step;
    f += k->f_row_step;
  }
  return acc;
}

/* The sums of channels [c0, c0 + n) (n <= DW_BLOCK) of pixel t into acc[0..n), and of pixel t2 (NULL, or the
 * same taps further on) into acc[DW_BLOCK..DW_BLOCK + n). */
static void block_sums(const walk* k, const tap_box* t, const tap_box* t2, int32_t c0, int32_t n, int32_t* acc) {
  int32_t c;
  for (c = 0; c + 4 <= n; c += 4) {
    if (t2 != NULL)
      dot4x2(k, t->x + c0 + c, (int32_t)(t2->x - t->x), t->f + c0 + c, t->rows, t->cols, acc + c, acc + DW_BLOCK + c);
    else
      dot4(k, t->x + c0 + c, t->f + c0 + c, t->rows, t->cols, acc + c);
  }
  for (; c < n; ++c) {
    acc[c] = dot1(k, t, c0 + c);
    if (t2 != NULL) acc[DW_BLOCK + c] = dot1(k, t2, c0 + c);
  }
}

void topt_dsp_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                        int8_t* output, void* scratch) {
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  const int32_t channels = w->output.c;
  const int plain = topt_dsp_all_plain(q, channels);
  /* pairs run along the longer side: down the columns (next pixel one output row further) or along the rows */
  const int32_t down = w->output.h > w->output.w;
  const int32_t lines = down ? w->output.w : w->output.h, length = down ? w->output.h : w->output.w;
  const int32_t next = (down ? w->output.w : 1) * channels; /* output bytes to the neighbour */
  topt_dsp_channel* chan = (topt_dsp_channel*)topt_dsp_align8(scratch); /* [C] */
  int32_t acc[2 * DW_BLOCK];
  walk k;
  int32_t b, line, i, c0, c;
  k.zero_point = q->input_zero_point;
  k.neg_zp = topt_dsp_neg_zp2(q->input_zero_point);
  k.x_step = w->dilation_w * channels;
  k.x_row_step = w->dilation_h * w->input.w * channels;
  k.f_step = channels;
  k.f_row_step = w->kernel_w * channels;
  for (c = 0; c < channels; ++c)
    chan[c] = topt_dsp_channel_of(bias != NULL ? bias[c] : 0, q->multiplier[c], q->shift[c]);
  for (b = 0; b < w->output.n; ++b) {
    for (line = 0; line < lines; ++line) {
      for (i = 0; i < length;) {
        const int32_t oy = down ? i : line, ox = down ? line : i;
        const tap_box t = taps_of(w, input, filter, b, oy, ox);
        int8_t* out = output + ((b * w->output.h + oy) * w->output.w + ox) * channels;
        tap_box t2;
        int pair = 0;
        if (i + 1 < length) {
          t2 = taps_of(w, input, filter, b, oy + down, ox + !down);
          pair = t2.rows == t.rows && t2.cols == t.cols && t2.f == t.f; /* the same taps */
        }
        for (c0 = 0; c0 < channels; c0 += DW_BLOCK) {
          const int32_t n = channels - c0 < DW_BLOCK ? channels - c0 : DW_BLOCK;
          block_sums(&k, &t, pair ? &t2 : NULL, c0, n, acc);
          topt_dsp_output_row(acc, chan + c0, n, plain, q, out + c0);
          if (pair) topt_dsp_output_row(acc + DW_BLOCK, chan + c0, n, plain, q, out + next + c0);
        }
        i += 1 + pair;
      }
    }
  }
}

#else
typedef int topt_dsp_dwconv_s8_requires_dsp; /* keeps the translation unit non-empty */
#endif
