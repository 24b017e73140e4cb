/* topt_quantize_s8__x86.c: AVX2 float32 -> int8 at the graph boundary, bit-exact to topt_quantize_s8__ref:
 * the reference's steps on 8 lanes (one IEEE division, clamp to +-512, truncate, compare the fraction with
 * +-0.5, add the zero point, clamp; NaN -> zero point), which are exact float operations, so every lane
 * equals the scalar result. The last count % 8 values go through the same lanes from a zero-padded copy.
 * Needs no scratch.
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

int topt_quantize_s8__x86_supports(const topt_quantize_params* p) { return topt_quantize_params_check(p) == TOPT_OK; }

size_t topt_quantize_s8__x86_scratch_bytes(const topt_quantize_params* p) {
  (void)p;
  return 0;
}

static __m128i quantize8(__m256 x, __m256 scale, __m256i zero_point) {
  const __m256 v0 = _mm256_div_ps(x, scale);
  const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v0, v0, _CMP_UNORD_Q));
  /* NaN lanes come out of max / min as -512 and are replaced by the zero point below */
  const __m256 v = _mm256_min_ps(_mm256_max_ps(v0, _mm256_set1_ps(-512.0f)), _mm256_set1_ps(512.0f));
  const __m256i t = _mm256_cvttps_epi32(v); /* truncates toward zero */
  const __m256 frac = _mm256_sub_ps(v, _mm256_cvtepi32_ps(t));
  const __m256i up = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ));    /* -1: +1 */
  const __m256i down = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ)); /* -1: -1 */
  const __m256i rounded = _mm256_add_epi32(_mm256_sub_epi32(t, up), down);
  const __m256i q = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(rounded, zero_point), _mm256_set1_epi32(-128)),
                                     _mm256_set1_epi32(127));
  return topt_x86_pack_s8x8(_mm256_blendv_epi8(q, zero_point, nan));
}

topt_status topt_quantize_s8__x86(const topt_quantize_params* p, const float* input, int8_t* output, void* scratch) {
  const topt_status st = topt_quantize_params_check(p);
  __m256 scale;
  __m256i zero_point;
  int32_t i;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  scale = _mm256_set1_ps(p->scale);
  zero_point = _mm256_set1_epi32(p->zero_point);
  for (i = 0; i + 8 <= p->count; i += 8)
    topt_x86_store_s8x8(output + i, quantize8(_mm256_loadu_ps(input + i), scale, zero_point));
  if (i < p->count) {
    float tail[8] = {0};
    memcpy(tail, input + i, (size_t)(p->count - i) * sizeof(float));
    topt_x86_store_s8_partial(output + i, quantize8(_mm256_loadu_ps(tail), scale, zero_point), p->count - i);
  }
  return TOPT_OK;
}

#else
typedef int topt_quantize_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
