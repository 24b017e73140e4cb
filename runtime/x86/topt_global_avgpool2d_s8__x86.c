/* topt_global_avgpool2d_s8__x86.c: AVX2 int8 global average pooling, (N, H, W, C) -> (N, 1, 1, C),
 * bit-exact to topt_global_avgpool2d_s8__ref.
 *
 * Eight channels per step: the H*W pixels are summed in int32 lanes (exact, the params check bounds
 * H*W*255), sum(q - z_in) = sum(q) - H*W*z_in, and the one requantization (M, shift) shared by every
 * channel runs on the 8 lanes (topt_x86_output_s8x8). The last C % 8 channels use the reference's scalar
 * output stage. Accepts what the reference accepts (its _supports() is the validation). Needs no scratch.
 */
#if defined(__AVX2__)

#include "tinyopt_rt_fixedpoint.h"
#include "topt_x86_internal.h"

int topt_global_avgpool2d_s8__x86_supports(const topt_global_pool_params* p) {
  return p != NULL && topt_global_avgpool2d_s8__ref_supports(p);
}

size_t topt_global_avgpool2d_s8__x86_scratch_bytes(const topt_global_pool_params* p) {
  (void)p;
  return 0;
}

topt_status topt_global_avgpool2d_s8__x86(const topt_global_pool_params* p, const int8_t* input, int8_t* output,
                                          void* scratch) {
  int32_t b, c, i, hw, channels, zero_sum;
  __m256i multiplier, shift;
  (void)scratch;
  if (p == NULL || !topt_global_avgpool2d_s8__ref_supports(p)) /* invalid: the reference's status */
    return topt_global_avgpool2d_s8__ref(p, input, output, scratch);
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  hw = p->input.h * p->input.w;
  channels = p->input.c;
  zero_sum = hw * p->input_zero_point;
  multiplier = _mm256_set1_epi32(p->requant.multiplier);
  shift = _mm256_set1_epi32(p->requant.shift);
  for (b = 0; b < p->input.n; ++b) {
    const int8_t* in = input + (size_t)b * (size_t)hw * (size_t)channels; /* (H*W, C) */
    int8_t* out = output + (size_t)b * (size_t)channels;
    for (c = 0; c + 8 <= channels; c += 8) {
      __m256i acc = _mm256_setzero_si256();
      for (i = 0; i < hw; ++i)
        acc = _mm256_add_epi32(acc, _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(in + (size_t)i * channels + c))));
      topt_x86_store_s8x8(out + c, topt_x86_output_s8x8(_mm256_sub_epi32(acc, _mm256_set1_epi32(zero_sum)), multiplier,
                                                        shift, p->requant.shift > 0, p->output_zero_point, p->act_min,
                                                        p->act_max));
    }
    for (; c < channels; ++c) {
      int32_t acc = 0;
      for (i = 0; i < hw; ++i) acc += in[(size_t)i * channels + c];
      out[c] = topt_output_s8(acc - zero_sum, p->requant.multiplier, p->requant.shift, p->output_zero_point,
                              p->act_min, p->act_max);
    }
  }
  return TOPT_OK;
}

#else
typedef int topt_global_avgpool2d_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
