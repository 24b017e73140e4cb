/* topt_dsp_dwconv_s8.c: the depthwise convolution core of the Cortex-M DSP variants (depth multiplier 1,
 * int8 weights (1, KH, KW, C)), shared by topt_dwconv2d_s8__dsp and topt_dwconv2d_s8w4__dsp (which unpacks
 * its int4 weights first). Declared in topt_dsp_internal.h.
 *
 * Channels are the SIMD axis (NHWC keeps them contiguous). For each output pixel the taps inside the input
 * form one rectangle [ky0, ky1) x [kx0, kx1) (computed once, so the tap loops carry no bounds checks and
 * padded taps are skipped as in the reference). Per tap and 4 channels: one LDR of inputs widened by two
 * SXTAB16 (which subtract z_in), one LDR of weights widened by two SXTB16, and four SMLABB/SMLATT — a
 * depthwise sum runs along one channel, so it cannot pair products the way SMLAD does. Two horizontally
 * adjacent output pixels whose tap rectangles are the same (every interior pair) run as one step that
 * loads and widens each weight word once for both and pays the per-pixel walk set-up once (gcc 12 spills
 * some of its 8 accumulators, yet it measured 2-6% fewer instructions than one pixel per step). Every
 * channel's requantization is prepared once per call in scratch (topt_dsp_dwconv_bytes), and the output
 * stage takes the one-SMLAL path when every shift is a right shift (topt_dsp_output_row).
 */
#if defined(__ARM_FEATURE_DSP)

#include "tinyopt_rt_window.h"
#include "topt_dsp_internal.h"

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

/* The strides of the tap walk (bytes) and -z_in in both halves. */
typedef struct {
  int32_t neg_zp, x_step, x_row_step, f_step, f_row_step;
} walk;

/* acc[0..3] = the depthwise sums of 4 channels of one pixel: x, f its first valid tap at channel c. */
static void dot4(const walk* k, const int8_t* x, const int8_t* f, int32_t rows, int32_t cols, int32_t acc[4]) {
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

/* dot4 of two pixels with the same taps, the second dx bytes after the first: acc[0..3] and acc[4..7]. */
static void dot4x2(const walk* k, const int8_t* x, int32_t dx, const int8_t* f, int32_t rows, int32_t cols,
                   int32_t acc[8]) {
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
  acc[4] = b0, acc[5] = b1, acc[6] = b2, acc[7] = b3;
}

/* The channels c0..C-1 (fewer than 4) of one pixel, one channel at a time. */
static void tail_channels(const topt_dwconv2d_params* p, const walk* k, const tap_box* t, int32_t c0,
                          const topt_dsp_channel* chan, int plain, int8_t* out) {
  const int32_t channels = p->win.output.c;
  int32_t acc[3], j, ky, kx;
  for (j = 0; c0 + j < channels; ++j) {
    const int8_t* xj = t->x + c0 + j;
    const int8_t* fj = t->f + c0 + j;
    acc[j] = 0;
    for (ky = 0; ky < t->rows; ++ky) {
      for (kx = 0; kx < t->cols; ++kx) acc[j] += (xj[kx * k->x_step] - p->quant.input_zero_point) * fj[kx * channels];
      xj += k->x_row_step;
      fj += k->f_row_step;
    }
  }
  topt_dsp_output_row(acc, chan + c0, channels - c0, plain, &p->quant, out + c0);
}

void topt_dsp_dwconv_s8(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                        int8_t* output, void* scratch) {
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  const int32_t channels = w->output.c, body = channels - channels % 4;
  const int32_t pixels = w->output.n * w->output.h * w->output.w;
  const int plain = topt_dsp_all_plain(q, channels);
  topt_dsp_channel* chan = (topt_dsp_channel*)topt_dsp_align8(scratch); /* [C] */
  walk k;
  int32_t c, px;
  k.neg_zp = topt_dsp_neg_zp2(q->input_zero_point);
  k.x_step = w->dilation_w * channels;
  k.x_row_step = w->dilation_h * w->input.w * channels;
  k.f_step = channels;
  k.f_row_step = w->kernel_w * channels;
  for (c = 0; c < channels; ++c)
    chan[c] = topt_dsp_channel_of(bias != NULL ? bias[c] : 0, q->multiplier[c], q->shift[c]);
  for (px = 0; px < pixels;) {
    const int32_t ox = px % w->output.w, oy = (px / w->output.w) % w->output.h, b = px / (w->output.w * w->output.h);
    const tap_box t = taps_of(w, input, filter, b, oy, ox);
    int8_t* out = output + px * channels;
    int32_t acc[8];
    tap_box t2;
    t2.rows = -1;
    if (ox + 1 < w->output.w) t2 = taps_of(w, input, filter, b, oy, ox + 1);
    if (t2.rows == t.rows && t2.cols == t.cols && t2.f == t.f) { /* the same taps: a pair */
      for (c = 0; c < body; c += 4) {
        dot4x2(&k, t.x + c, (int32_t)(t2.x - t.x), t.f + c, t.rows, t.cols, acc);
        topt_dsp_output_row(acc, chan + c, 4, plain, q, out + c);
        topt_dsp_output_row(acc + 4, chan + c, 4, plain, q, out + channels + c);
      }
      if (body < channels) {
        tail_channels(p, &k, &t, body, chan, plain, out);
        tail_channels(p, &k, &t2, body, chan, plain, out + channels);
      }
      px += 2;
      continue;
    }
    for (c = 0; c < body; c += 4) {
      dot4(&k, t.x + c, t.f + c, t.rows, t.cols, acc);
      topt_dsp_output_row(acc, chan + c, 4, plain, q, out + c);
    }
    if (body < channels) tail_channels(p, &k, &t, body, chan, plain, out);
    px += 1;
  }
}

#else
typedef int topt_dsp_dwconv_s8_requires_dsp; /* keeps the translation unit non-empty */
#endif
