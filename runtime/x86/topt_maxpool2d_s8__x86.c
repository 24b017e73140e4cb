/* topt_maxpool2d_s8__x86.c: AVX2 int8 max pooling over NHWC, bit-exact to topt_maxpool2d_s8__ref (a max
 * and a clamp are exact in any order).
 *
 * Channels run along the SIMD lanes: per output pixel and block of 32 channels (then 16, then single
 * channels), the valid taps are combined with _mm256_max_epi8 in a register and clamped to
 * [act_min, act_max]. The valid taps of a window form a rectangle (topt_window_tap_range, once per output
 * row and pixel), walked by pointer steps without a padding test per tap; any pooling geometry the
 * reference accepts. Needs no scratch.
 */
#if defined(__AVX2__)

#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"
#include "topt_x86_internal.h"

int topt_maxpool2d_s8__x86_supports(const topt_pool2d_params* p) { return topt_pool2d_params_check(p) == TOPT_OK; }

size_t topt_maxpool2d_s8__x86_scratch_bytes(const topt_pool2d_params* p) {
  (void)p;
  return 0;
}

/* Max over the window's valid taps (rows [ky0, ky1) x columns [kx0, kx1) from `first`, rows `row` bytes
 * apart) of channels c .. c + lanes - 1, lanes 32, 16 or 1, clamped to [act_min, act_max]. */
static void window_max(const int8_t* first, size_t row, int32_t rows, int32_t cols, int32_t channels, int32_t act_min,
                       int32_t act_max, int8_t* out) {
  const __m256i lo32 = _mm256_set1_epi8((int8_t)act_min), hi32 = _mm256_set1_epi8((int8_t)act_max);
  const __m128i lo16 = _mm_set1_epi8((int8_t)act_min), hi16 = _mm_set1_epi8((int8_t)act_max);
  int32_t c, ky, kx;
  for (c = 0; c + 32 <= channels; c += 32) {
    __m256i m = _mm256_set1_epi8(-128);
    for (ky = 0; ky < rows; ++ky)
      for (kx = 0; kx < cols; ++kx)
        m = _mm256_max_epi8(m, _mm256_loadu_si256((const __m256i*)(first + (size_t)ky * row + (size_t)kx * channels + c)));
    _mm256_storeu_si256((__m256i*)(out + c), _mm256_min_epi8(_mm256_max_epi8(m, lo32), hi32));
  }
  for (; c + 16 <= channels; c += 16) {
    __m128i m = _mm_set1_epi8(-128);
    for (ky = 0; ky < rows; ++ky)
      for (kx = 0; kx < cols; ++kx)
        m = _mm_max_epi8(m, _mm_loadu_si128((const __m128i*)(first + (size_t)ky * row + (size_t)kx * channels + c)));
    _mm_storeu_si128((__m128i*)(out + c), _mm_min_epi8(_mm_max_epi8(m, lo16), hi16));
  }
  for (; c < channels; ++c) {
    int32_t m = -128;
    for (ky = 0; ky < rows; ++ky)
      for (kx = 0; kx < cols; ++kx)
        if (first[(size_t)ky * row + (size_t)kx * channels + c] > m) m = first[(size_t)ky * row + (size_t)kx * channels + c];
    out[c] = (int8_t)topt_clamp32(m, act_min, act_max);
  }
}

topt_status topt_maxpool2d_s8__x86(const topt_pool2d_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = topt_pool2d_params_check(p);
  const topt_window2d* w;
  int32_t b, oy, ox, ky0, ky1, kx0, kx1;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  w = &p->win; /* pools have dilation 1 (checked) */
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      topt_window_tap_range(oy, w->stride_h, w->pad_top, 1, w->kernel_h, w->input.h, &ky0, &ky1);
      for (ox = 0; ox < w->output.w; ++ox) {
        const int32_t iy = oy * w->stride_h - w->pad_top + ky0, ix = ox * w->stride_w - w->pad_left;
        topt_window_tap_range(ox, w->stride_w, w->pad_left, 1, w->kernel_w, w->input.w, &kx0, &kx1);
        window_max(input + (((size_t)b * (size_t)w->input.h + (size_t)iy) * (size_t)w->input.w + (size_t)(ix + kx0)) *
                               (size_t)w->input.c,
                   (size_t)w->input.w * (size_t)w->input.c, ky1 - ky0, kx1 - kx0, w->input.c, p->act_min, p->act_max,
                   output + topt_window_out(w, b, oy, ox));
      }
    }
  }
  return TOPT_OK;
}

#endif /* __AVX2__ */
