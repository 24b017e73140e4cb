/* topt_maxpool2d_s8__x86.c: AVX2 int8 max pooling over NHWC, bit-exact to topt_maxpool2d_s8__ref (a max
 * and a clamp are exact in any order).
 *
 * Channels run along the SIMD lanes: per output pixel and block of 32 channels (then 16, then single
 * channels), the valid taps are combined with _mm256_max_epi8 in a register and clamped to
 * [act_min, act_max]. Window arithmetic as the reference (tinyopt_rt_window.h); any pooling geometry the
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

topt_status topt_maxpool2d_s8__x86(const topt_pool2d_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = topt_pool2d_params_check(p);
  const topt_window2d* w;
  int32_t b, oy, ox, ky, kx, c;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  {
    const int32_t channels = w->output.c;
    const __m256i lo32 = _mm256_set1_epi8((int8_t)p->act_min), hi32 = _mm256_set1_epi8((int8_t)p->act_max);
    const __m128i lo16 = _mm_set1_epi8((int8_t)p->act_min), hi16 = _mm_set1_epi8((int8_t)p->act_max);
    for (b = 0; b < w->output.n; ++b) {
      for (oy = 0; oy < w->output.h; ++oy) {
        for (ox = 0; ox < w->output.w; ++ox) {
          int8_t* out = output + topt_window_out(w, b, oy, ox); /* (C) */
          for (c = 0; c + 32 <= channels; c += 32) {
            __m256i m = _mm256_set1_epi8(-128);
            for (ky = 0; ky < w->kernel_h; ++ky) {
              for (kx = 0; kx < w->kernel_w; ++kx) {
                const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
                if (in0 >= 0) m = _mm256_max_epi8(m, _mm256_loadu_si256((const __m256i*)(input + in0 + c)));
              }
            }
            _mm256_storeu_si256((__m256i*)(out + c), _mm256_min_epi8(_mm256_max_epi8(m, lo32), hi32));
          }
          for (; c + 16 <= channels; c += 16) {
            __m128i m = _mm_set1_epi8(-128);
            for (ky = 0; ky < w->kernel_h; ++ky) {
              for (kx = 0; kx < w->kernel_w; ++kx) {
                const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
                if (in0 >= 0) m = _mm_max_epi8(m, _mm_loadu_si128((const __m128i*)(input + in0 + c)));
              }
            }
            _mm_storeu_si128((__m128i*)(out + c), _mm_min_epi8(_mm_max_epi8(m, lo16), hi16));
          }
          for (; c < channels; ++c) {
            int32_t m = -128;
            for (ky = 0; ky < w->kernel_h; ++ky) {
              for (kx = 0; kx < w->kernel_w; ++kx) {
                const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
                if (in0 >= 0 && input[in0 + c] > m) m = input[in0 + c];
              }
            }
            out[c] = (int8_t)topt_clamp32(m, p->act_min, p->act_max);
          }
        }
      }
    }
  }
  return TOPT_OK;
}

#endif /* __AVX2__ */
