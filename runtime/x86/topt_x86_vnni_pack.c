/* topt_x86_vnni_pack.c: the operands of the AVX-512 VNNI convolution in its layout (topt_x86_vnni_conv.h;
 * the method is described in topt_conv2d_vnni_s8__x86.c): the padded u8 image and the packed weights with
 * their per-channel constants, cached in the caller's scratch under a tag naming the filter, bias and
 * multiplier / shift arrays and the shape they were packed for.
 */
#if defined(__AVX2__)

#include "topt_x86_vnni_conv.h"

#define TAG_MAGIC 0x44564E4Eu /* "NNVD" */

typedef struct {
  uint32_t magic;
  int32_t taps, rows, c4, channels, input_zero_point;
  const void* filter;
  const void* bias;
  const void* multiplier;
  const void* shift;
} pack_tag;

padded_image topt_x86_vnni_padded(const topt_window2d* w) {
  padded_image g;
  const int64_t need_h = (int64_t)(w->output.h - 1) * w->stride_h + (int64_t)(w->kernel_h - 1) * w->dilation_h + 1;
  const int64_t need_w = (int64_t)(w->output.w - 1) * w->stride_w + (int64_t)(w->kernel_w - 1) * w->dilation_w + 1;
  g.c4 = (w->input.c + 3) & ~3;
  g.hp = (int32_t)(need_h > (int64_t)w->pad_top + w->input.h ? need_h : (int64_t)w->pad_top + w->input.h);
  g.wp = (int32_t)(need_w > (int64_t)w->pad_left + w->input.w ? need_w : (int64_t)w->pad_left + w->input.w);
  return g;
}

/* rows: the filter rows (kernel_h, or 1 for the im2col matrix), each with its row_sums. */
size_t topt_x86_vnni_packed_bytes(int32_t k4, int32_t channels, int32_t rows) {
  const size_t c32 = (size_t)((channels + 31) & ~31);
  return topt_x86_vnni_align64(sizeof(pack_tag)) + topt_x86_vnni_align64(c32 * (size_t)k4) +
         (3 + (size_t)rows) * topt_x86_vnni_align64(c32 * sizeof(int32_t));
}

int topt_x86_vnni_supported(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

/* Int32 wrap-around of v (two's complement, defined for every int64 unlike a plain conversion). */
static int32_t wrap32(int64_t v) {
  const uint32_t u = (uint32_t)(uint64_t)v;
  int32_t r;
  memcpy(&r, &u, sizeof r);
  return r;
}

/* Packs (channels, taps, cin) weights, each tap's cin channels padded to c4 by zeros, into mem (64-byte
 * aligned) unless mem's tag says it already holds them. The taps form `rows` filter rows of taps / rows. */
void topt_x86_vnni_pack(const int8_t* w, int32_t taps, int32_t rows, int32_t cin, int32_t c4, int32_t channels,
                 const int32_t* bias, const topt_channel_quant* q, uint8_t* mem, vnni_pack* out) {
  const int32_t c32 = (channels + 31) & ~31, k4 = taps * c4, k = taps * cin, row_k = k / rows;
  const size_t vec = topt_x86_vnni_align64((size_t)c32 * sizeof(int32_t)) / sizeof(int32_t);
  pack_tag tag;
  uint8_t* weights = mem + topt_x86_vnni_align64(sizeof(pack_tag));
  int32_t* constant = (int32_t*)(weights + topt_x86_vnni_align64((size_t)c32 * (size_t)k4));
  int32_t* mult = constant + vec;
  int32_t* shift = mult + vec;
  int32_t* row_sums = shift + vec;
  int32_t c, j, i, r;
  memset(&tag, 0, sizeof tag);
  tag.magic = TAG_MAGIC;
  tag.taps = taps;
  tag.rows = rows;
  tag.c4 = c4;
  tag.channels = channels;
  tag.input_zero_point = q->input_zero_point;
  tag.filter = w;
  tag.bias = bias;
  tag.multiplier = q->multiplier;
  tag.shift = q->shift;
  out->weights = weights;
  out->constant = constant;
  out->multiplier = mult;
  out->shift = shift;
  out->row_sums = row_sums;
  out->k4 = k4;
  out->channels = channels;
  out->c32 = c32;
  if (memcmp(mem, &tag, sizeof tag) == 0) return;
  for (c = 0; c < c32; ++c) {
    uint8_t* block = weights + (size_t)(c / 16) * 16 * (size_t)k4 + (size_t)(c % 16) * 4;
    int64_t sum = 0;
    for (j = 0; j < k4 / 4; ++j) {
      for (i = 0; i < 4; ++i) {
        const int32_t kk = 4 * j + i, tap = kk / c4, ic = kk % c4;
        const int8_t v = c < channels && ic < cin ? w[(size_t)c * (size_t)k + (size_t)tap * (size_t)cin + (size_t)ic] : 0;
        block[(size_t)j * 64 + (size_t)i] = (uint8_t)v;
        sum += v;
      }
    }
    {
      const int64_t b = c < channels && bias != NULL ? bias[c] : 0;
      constant[c] = wrap32(b - (int64_t)(q->input_zero_point + 128) * sum);
    }
    for (r = 0; r < rows; ++r) {
      int64_t row = 0;
      for (i = 0; c < channels && i < row_k; ++i) row += w[(size_t)c * (size_t)k + (size_t)r * (size_t)row_k + (size_t)i];
      row_sums[(size_t)r * vec + (size_t)c] = wrap32((int64_t)(q->input_zero_point + 128) * row);
    }
    mult[c] = c < channels ? q->multiplier[c] : 0;
    shift[c] = c < channels ? q->shift[c] : 0;
  }
  memcpy(mem, &tag, sizeof tag);
}

/* u8 copy of n int8 values (+128, i.e. the sign bit flipped). */
TOPT_VNNI static void to_u8(const int8_t* src, int32_t n, uint8_t* dst) {
  const __m256i flip = _mm256_set1_epi8((char)0x80);
  int32_t i = 0;
  for (; i + 32 <= n; i += 32)
    _mm256_storeu_si256((__m256i*)(dst + i), _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(src + i)), flip));
  if (i < n) { /* the last < 32 bytes by masked load and store (masked-off bytes are not touched) */
    const __mmask32 m = (__mmask32)((1ull << (n - i)) - 1u);
    _mm256_mask_storeu_epi8(dst + i, m, _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, src + i), flip));
  }
}

/* n pixels of border: cin bytes z + 128 (real 0) and c4 - cin zero bytes each. */
static void fill_border(uint8_t* dst, int32_t n, int32_t cin, int32_t c4, uint8_t border) {
  int32_t i;
  if (cin == c4) {
    memset(dst, border, (size_t)n * (size_t)c4);
    return;
  }
  for (i = 0; i < n; ++i, dst += c4) {
    memset(dst, border, (size_t)cin);
    memset(dst + cin, 0, (size_t)(c4 - cin));
  }
}

/* Image b of the input as the padded u8 image g: input pixels +128, the border z + 128, channels c4 - C
 * of every pixel 0. Row by row, so that with c4 == C a row's interior is one contiguous conversion. */
TOPT_VNNI void topt_x86_vnni_fill_padded(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b,
                                  padded_image g, uint8_t* img) {
  const int32_t cin = w->input.c, right = g.wp - w->pad_left - w->input.w;
  const uint8_t border = (uint8_t)(zero_point + 128);
  int32_t py, px;
  for (py = 0; py < g.hp; ++py) {
    const int32_t iy = py - w->pad_top;
    uint8_t* dst = img + (size_t)py * (size_t)g.wp * (size_t)g.c4;
    const int8_t* src = input + ((size_t)b * w->input.h + (size_t)iy) * w->input.w * (size_t)cin;
    if (iy < 0 || iy >= w->input.h) {
      fill_border(dst, g.wp, cin, g.c4, border);
      continue;
    }
    fill_border(dst, w->pad_left, cin, g.c4, border);
    dst += (size_t)w->pad_left * (size_t)g.c4;
    if (cin == g.c4) {
      to_u8(src, w->input.w * cin, dst);
    } else {
      for (px = 0; px < w->input.w; ++px) {
        to_u8(src + (size_t)px * (size_t)cin, cin, dst + (size_t)px * (size_t)g.c4);
        memset(dst + (size_t)px * (size_t)g.c4 + cin, 0, (size_t)(g.c4 - cin));
      }
    }
    fill_border(dst + (size_t)w->input.w * (size_t)g.c4, right, cin, g.c4, border);
  }
}

#else
typedef int topt_x86_vnni_pack_requires_avx2; /* keeps the translation unit non-empty */
#endif
