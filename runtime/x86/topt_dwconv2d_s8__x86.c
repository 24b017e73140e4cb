/* topt_dwconv2d_s8__x86.c: AVX2 int8 depthwise 2-D convolution with depth multiplier 1 and at most 64
 * taps (8x8), bit-exact to topt_dwconv2d_s8__ref.
 *
 * Channels run along the SIMD lanes (NHWC keeps them contiguous). Taps are taken two at a time: the 16
 * channels of tap t and of tap t+1 (int16, input minus zero point) are interleaved so that one
 * _mm256_madd_epi16 adds in[t]*w[t] + in[t+1]*w[t+1] per channel exactly. Padded taps are skipped as in
 * the reference. 16-channel blocks use AVX2, a remaining 8-channel block SSE4.1, the last < 8 channels the
 * reference's scalar arithmetic. Needs no scratch.
 */
#if defined(__AVX2__)

#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"
#include "topt_x86_internal.h"

#define MAX_TAPS 64 /* kernel_h * kernel_w: up to 8x8, enough for every depthwise layer we know */

static int shape_class(const topt_dwconv2d_params* p) {
  return p->depth_multiplier == 1 && p->win.kernel_h * p->win.kernel_w <= MAX_TAPS;
}

int topt_dwconv2d_s8__x86_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_params_check(p) == TOPT_OK && shape_class(p);
}

size_t topt_dwconv2d_s8__x86_scratch_bytes(const topt_dwconv2d_params* p) {
  (void)p;
  return 0;
}

/* Channels c0..c0+15 of one output pixel. */
static void block16(const int8_t* input, const int8_t* filter, const int32_t* in_off, const int32_t* w_off,
                    int32_t ntaps, int32_t c0, int32_t zero_point, __m256i* lo, __m256i* hi) {
  const __m256i zp16 = _mm256_set1_epi16((int16_t)zero_point);
  __m256i acc_lo = _mm256_setzero_si256(), acc_hi = _mm256_setzero_si256();
  int32_t t;
  for (t = 0; t < ntaps; t += 2) {
    const __m256i x0 =
        _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(input + in_off[t] + c0))), zp16);
    const __m256i v0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(filter + w_off[t] + c0)));
    __m256i x1 = _mm256_setzero_si256(), v1 = _mm256_setzero_si256();
    if (t + 1 < ntaps) {
      x1 = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(input + in_off[t + 1] + c0))), zp16);
      v1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(filter + w_off[t + 1] + c0)));
    }
    /* per 128-bit half: unpacklo holds channels 0-3 (8-11), unpackhi channels 4-7 (12-15), as tap pairs */
    acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), _mm256_unpacklo_epi16(v0, v1)));
    acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), _mm256_unpackhi_epi16(v0, v1)));
  }
  *lo = _mm256_permute2x128_si256(acc_lo, acc_hi, 0x20); /* channels 0..7 */
  *hi = _mm256_permute2x128_si256(acc_lo, acc_hi, 0x31); /* channels 8..15 */
}

/* Channels c0..c0+7 of one output pixel (SSE4.1). */
static __m256i block8(const int8_t* input, const int8_t* filter, const int32_t* in_off, const int32_t* w_off,
                      int32_t ntaps, int32_t c0, int32_t zero_point) {
  const __m128i zp16 = _mm_set1_epi16((int16_t)zero_point);
  __m128i acc_lo = _mm_setzero_si128(), acc_hi = _mm_setzero_si128();
  int32_t t;
  for (t = 0; t < ntaps; t += 2) {
    const __m128i x0 =
        _mm_sub_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(input + in_off[t] + c0))), zp16);
    const __m128i v0 = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(filter + w_off[t] + c0)));
    __m128i x1 = _mm_setzero_si128(), v1 = _mm_setzero_si128();
    if (t + 1 < ntaps) {
      x1 = _mm_sub_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(input + in_off[t + 1] + c0))), zp16);
      v1 = _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i*)(filter + w_off[t + 1] + c0)));
    }
    acc_lo = _mm_add_epi32(acc_lo, _mm_madd_epi16(_mm_unpacklo_epi16(x0, x1), _mm_unpacklo_epi16(v0, v1)));
    acc_hi = _mm_add_epi32(acc_hi, _mm_madd_epi16(_mm_unpackhi_epi16(x0, x1), _mm_unpackhi_epi16(v0, v1)));
  }
  return _mm256_set_m128i(acc_hi, acc_lo);
}

static void store8(int8_t* out, __m256i acc, const int32_t* bias, const topt_channel_quant* q, int left_shifts,
                   int32_t c0) {
  if (bias != NULL) acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i*)(bias + c0)));
  topt_x86_store_s8x8(out + c0, topt_x86_output_s8x8(acc, _mm256_loadu_si256((const __m256i*)(q->multiplier + c0)),
                                                     _mm256_loadu_si256((const __m256i*)(q->shift + c0)), left_shifts,
                                                     q->output_zero_point, q->act_min, q->act_max));
}

topt_status topt_dwconv2d_s8__x86(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                                  const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_dwconv2d_params_check(p);
  const topt_window2d* w;
  const topt_channel_quant* q;
  int32_t b, oy, ox, ky, kx, c;
  int left_shifts;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (!shape_class(p)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  q = &p->quant;
  left_shifts = topt_x86_any_left_shift(q->shift, w->output.c);
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        int8_t* out = output + topt_window_out(w, b, oy, ox); /* (C) */
        int32_t in_off[MAX_TAPS], w_off[MAX_TAPS], ntaps = 0; /* the valid taps, element offsets of channel 0 */
        for (ky = 0; ky < w->kernel_h; ++ky) {
          for (kx = 0; kx < w->kernel_w; ++kx) {
            const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
            if (in0 < 0) continue;
            in_off[ntaps] = in0;
            w_off[ntaps] = (ky * w->kernel_w + kx) * w->output.c;
            ++ntaps;
          }
        }
        for (c = 0; c + 16 <= w->output.c; c += 16) {
          __m256i lo, hi;
          block16(input, filter, in_off, w_off, ntaps, c, q->input_zero_point, &lo, &hi);
          store8(out, lo, bias, q, left_shifts, c);
          store8(out, hi, bias, q, left_shifts, c + 8);
        }
        if (c + 8 <= w->output.c) {
          store8(out, block8(input, filter, in_off, w_off, ntaps, c, q->input_zero_point), bias, q, left_shifts, c);
          c += 8;
        }
        for (; c < w->output.c; ++c) {
          int32_t acc = bias != NULL ? bias[c] : 0, t;
          for (t = 0; t < ntaps; ++t) acc += (input[in_off[t] + c] - q->input_zero_point) * filter[w_off[t] + c];
          out[c] = topt_output_s8(acc, q->multiplier[c], q->shift[c], q->output_zero_point, q->act_min, q->act_max);
        }
      }
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_dwconv2d_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
