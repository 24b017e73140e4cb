/* topt_dwconv2d_s8__x86.c: AVX2 int8 depthwise 2-D convolution with depth multiplier 1 and at most 64
 * taps (8x8), bit-exact to topt_dwconv2d_s8__ref.
 *
 * Channels run along the SIMD lanes (NHWC keeps them contiguous), 16 per block (C is padded to c16, a
 * multiple of 16, inside the scratch). Each call first prepares, in the scratch:
 *   1. the image: the input as int16 minus the zero point, with a zero border as wide as the windows reach
 *      and zero padding channels. A padded tap then adds 0 * w, exactly what the reference's skipped tap
 *      adds, so the pixel loop has no bounds tests;
 *   2. the weights of every tap pair (t, t+1) and channel block, interleaved the way the image pair is
 *      (unpacklo / unpackhi of the two taps' int16 channels), so one _mm256_madd_epi16 adds
 *      in[t]*w[t] + in[t+1]*w[t+1] per channel exactly (|products| <= 255 * 128, no overflow);
 *   3. bias, multipliers and shifts padded to c16, so the output stage needs no tail loads.
 * The int32 sums are those of the reference (integer addition is exact in any order).
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

#define MAX_TAPS 64 /* kernel_h * kernel_w: up to 8x8, enough for every depthwise layer we know */

static int shape_class(const topt_dwconv2d_params* p) {
  return p->depth_multiplier == 1 && p->win.kernel_h * p->win.kernel_w <= MAX_TAPS;
}

int topt_dwconv2d_s8__x86_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_params_check(p) == TOPT_OK && shape_class(p);
}

/* The padded image of one input image: hp x wp pixels of c16 int16 channels, the input at
 * (pad_top, pad_left). */
typedef struct {
  int32_t c16, hp, wp, pairs;
} layout;

static layout layout_of(const topt_window2d* w) {
  layout l;
  const int64_t need_h = (int64_t)(w->output.h - 1) * w->stride_h + (int64_t)(w->kernel_h - 1) * w->dilation_h + 1;
  const int64_t need_w = (int64_t)(w->output.w - 1) * w->stride_w + (int64_t)(w->kernel_w - 1) * w->dilation_w + 1;
  l.c16 = topt_x86_round_up(w->output.c, 16);
  l.hp = (int32_t)(need_h > (int64_t)w->pad_top + w->input.h ? need_h : (int64_t)w->pad_top + w->input.h);
  l.wp = (int32_t)(need_w > (int64_t)w->pad_left + w->input.w ? need_w : (int64_t)w->pad_left + w->input.w);
  l.pairs = (w->kernel_h * w->kernel_w + 1) / 2;
  return l;
}

/* Scratch: weights (pairs x c16/16 blocks x 2 vectors), bias / multiplier / shift (c16 each), image. */
static size_t weights_bytes(layout l) { return (size_t)l.pairs * (size_t)(l.c16 / 16) * 2 * sizeof(__m256i); }
static size_t image_bytes(layout l) { return (size_t)l.hp * (size_t)l.wp * (size_t)l.c16 * sizeof(int16_t); }

size_t topt_dwconv2d_s8__x86_scratch_bytes(const topt_dwconv2d_params* p) {
  layout l;
  if (!topt_dwconv2d_s8__x86_supports(p)) return 0;
  l = layout_of(&p->win);
  return 32 + weights_bytes(l) + 3 * (size_t)l.c16 * sizeof(int32_t) + image_bytes(l);
}

/* Channels c0 .. c0+15 of tap t as int16, zero past C or past the last tap. */
static __m256i tap_weights(const int8_t* filter, int32_t t, int32_t taps, int32_t channels, int32_t c0) {
  int16_t v[16];
  int32_t i;
  for (i = 0; i < 16; ++i) v[i] = (int16_t)(t < taps && c0 + i < channels ? filter[t * channels + c0 + i] : 0);
  return _mm256_loadu_si256((const __m256i*)v);
}

static void prepare_weights(const topt_dwconv2d_params* p, const int8_t* filter, const int32_t* bias, layout l,
                            __m256i* wv, int32_t* b, int32_t* mult, int32_t* shift) {
  const int32_t taps = p->win.kernel_h * p->win.kernel_w, channels = p->win.output.c;
  int32_t cb, pr, c;
  for (cb = 0; cb < l.c16 / 16; ++cb) {
    for (pr = 0; pr < l.pairs; ++pr) {
      const __m256i w0 = tap_weights(filter, 2 * pr, taps, channels, 16 * cb);
      const __m256i w1 = tap_weights(filter, 2 * pr + 1, taps, channels, 16 * cb);
      wv[(cb * l.pairs + pr) * 2] = _mm256_unpacklo_epi16(w0, w1);
      wv[(cb * l.pairs + pr) * 2 + 1] = _mm256_unpackhi_epi16(w0, w1);
    }
  }
  for (c = 0; c < l.c16; ++c) {
    b[c] = c < channels && bias != NULL ? bias[c] : 0;
    mult[c] = c < channels ? p->quant.multiplier[c] : 0;
    shift[c] = c < channels ? p->quant.shift[c] : 0;
  }
}

/* Image b of the input as the padded int16 image (see the file comment). */
static void fill_image(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b, layout l,
                       int16_t* img) {
  const int32_t cin = w->input.c, row = l.wp * l.c16;
  int32_t py, px;
  for (py = 0; py < l.hp; ++py) {
    const int32_t iy = py - w->pad_top;
    int16_t* dst = img + (size_t)py * (size_t)row;
    const int8_t* src = input + ((size_t)b * w->input.h + (size_t)iy) * w->input.w * (size_t)cin;
    if (iy < 0 || iy >= w->input.h) {
      memset(dst, 0, (size_t)row * sizeof(int16_t));
      continue;
    }
    memset(dst, 0, (size_t)w->pad_left * (size_t)l.c16 * sizeof(int16_t));
    dst += (size_t)w->pad_left * (size_t)l.c16;
    if (cin == l.c16) {
      topt_x86_widen_s8(src, w->input.w * cin, zero_point, dst, w->input.w * cin);
    } else {
      for (px = 0; px < w->input.w; ++px)
        topt_x86_widen_s8(src + (size_t)px * (size_t)cin, cin, zero_point, dst + (size_t)px * (size_t)l.c16, l.c16);
    }
    dst += (size_t)w->input.w * (size_t)l.c16;
    memset(dst, 0, (size_t)(l.wp - w->pad_left - w->input.w) * (size_t)l.c16 * sizeof(int16_t));
  }
}

/* Sums of channel block wv (16 channels) at the pixel px of the image: *lo channels 0..7, *hi 8..15. */
static void block16(const int16_t* px, const int32_t* tap_offset, int32_t taps, const __m256i* wv, __m256i* lo,
                    __m256i* hi) {
  __m256i acc_lo = _mm256_setzero_si256(), acc_hi = _mm256_setzero_si256();
  int32_t t;
  for (t = 0; t + 1 < taps; t += 2, wv += 2) {
    const __m256i x0 = _mm256_loadu_si256((const __m256i*)(px + tap_offset[t]));
    const __m256i x1 = _mm256_loadu_si256((const __m256i*)(px + tap_offset[t + 1]));
    /* per 128-bit half: unpacklo holds channels 0-3 (8-11), unpackhi channels 4-7 (12-15), as tap pairs */
    acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wv[0]));
    acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), wv[1]));
  }
  if (t < taps) { /* odd tap count: the last tap pairs with a zero */
    const __m256i x0 = _mm256_loadu_si256((const __m256i*)(px + tap_offset[t])), zero = _mm256_setzero_si256();
    acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, zero), wv[0]));
    acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, zero), wv[1]));
  }
  *lo = _mm256_permute2x128_si256(acc_lo, acc_hi, 0x20); /* channels 0..7 */
  *hi = _mm256_permute2x128_si256(acc_lo, acc_hi, 0x31); /* channels 8..15 */
}

/* Requantizes 8 channels from c0 and stores the first n (<= 8) of them. */
static void store8(int8_t* out, __m256i acc, const int32_t* bias, const int32_t* mult, const int32_t* shift,
                   const topt_channel_quant* q, int left_shifts, int32_t c0, int32_t n) {
  const __m128i bytes = topt_x86_output_s8x8(
      _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i*)(bias + c0))),
      _mm256_loadu_si256((const __m256i*)(mult + c0)), _mm256_loadu_si256((const __m256i*)(shift + c0)), left_shifts,
      q->output_zero_point, q->act_min, q->act_max);
  if (n >= 8)
    topt_x86_store_s8x8(out + c0, bytes);
  else if (n > 0)
    topt_x86_store_s8_partial(out + c0, bytes, n);
}

topt_status topt_dwconv2d_s8__x86(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  int32_t tap_offset[MAX_TAPS], taps = 0, b, oy, ox, ky, kx, cb;
  int32_t *b32, *mult, *shift;
  int16_t* img;
  __m256i* wv;
  layout l;
  int left_shifts;
  if (st != TOPT_OK) return st;
  if (!shape_class(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  l = layout_of(w);
  wv = (__m256i*)topt_x86_align32(scratch);
  b32 = (int32_t*)(wv + weights_bytes(l) / sizeof(__m256i));
  mult = b32 + l.c16;
  shift = mult + l.c16;
  img = (int16_t*)(shift + l.c16);
  prepare_weights(p, filter, bias, l, wv, b32, mult, shift);
  left_shifts = topt_x86_any_left_shift(q->shift, w->output.c);
  for (ky = 0; ky < w->kernel_h; ++ky)
    for (kx = 0; kx < w->kernel_w; ++kx)
      tap_offset[taps++] = (ky * w->dilation_h * l.wp + kx * w->dilation_w) * l.c16;
  for (b = 0; b < w->output.n; ++b) {
    fill_image(w, q->input_zero_point, input, b, l, img);
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        const int16_t* px = img + ((size_t)oy * (size_t)w->stride_h * (size_t)l.wp + (size_t)ox * (size_t)w->stride_w) *
                                      (size_t)l.c16;
        int8_t* out = output + (((size_t)b * w->output.h + (size_t)oy) * w->output.w + (size_t)ox) * w->output.c;
        for (cb = 0; cb < l.c16 / 16; ++cb) {
          const int32_t c0 = 16 * cb, left = w->output.c - c0;
          __m256i lo, hi;
          block16(px + c0, tap_offset, taps, wv + (size_t)cb * (size_t)l.pairs * 2, &lo, &hi);
          store8(out, lo, b32, mult, shift, q, left_shifts, c0, left);
          store8(out, hi, b32, mult, shift, q, left_shifts, c0 + 8, left - 8);
        }
      }
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_dwconv2d_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
