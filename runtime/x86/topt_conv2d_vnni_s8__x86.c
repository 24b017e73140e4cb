/* topt_conv2d_vnni_s8__x86.c: AVX-512 VNNI int8 2-D convolution for every shape (pointwise, stride,
 * padding, dilation), bit-exact to topt_conv2d_s8__ref. The build stays x86-64-v3: the VNNI code carries
 * function target attributes and _supports() accepts params only when the CPU reports AVX512F, AVX512BW
 * and AVX512-VNNI at run time, so the selector falls back to topt_conv2d_s8__x86 elsewhere.
 *
 * vpdpbusd multiplies unsigned by signed bytes, so the input is offset to unsigned, u = q_in + 128 (a bit
 * flip), and  sum (q_in - z) * w = sum u * w - (z + 128) * sum w;  the second term and the bias are one
 * per-channel constant computed at packing. Padding taps are written as u = z + 128 (real 0), which adds
 * exactly what the reference's skipped taps add: nothing. Every partial sum stays below 2^31 in magnitude
 * except that constant, which is added with wrap-around int32 lanes: the true result fits int32
 * (docs/numerics.md section 3), so the wrapped sum equals it; summation order is free.
 *
 * Packing: output channels in blocks of 16; for each quad of k (4j .. 4j+3) a block holds 64 bytes, the
 * quad of each of its 16 channels, so a row's quad broadcast to all lanes gives, after one vpdpbusd, each
 * channel's 4 products summed in its own lane. Rows (im2col of a block of output pixels, or the pixels
 * themselves for 1x1) are u8 with k padded to a multiple of 4 by zeros (facing zero weights).
 * Micro-kernel: 4 rows x 32 channels, 8 accumulators.
 *
 * Weight cache: the scratch starts with a tag naming the filter, bias and multiplier / shift arrays and the
 * shape it was packed for; a call with a scratch whose tag matches skips the packing (the integer executor
 * keeps one scratch per layer, so packing happens once). A caller that changes a filter's contents in place
 * and reuses the scratch must zero the scratch first.
 */
#if defined(__AVX2__)

#include "tinyopt_rt_window.h"
#include "topt_x86_internal.h"

#define TOPT_VNNI __attribute__((target("avx2,fma,bmi,bmi2,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#define ROWS_PER_BLOCK 64
#define TAG_MAGIC 0x564E4E49u /* "VNNI" */

typedef struct {
  uint32_t magic;
  int32_t k, channels, input_zero_point;
  const void* filter;
  const void* bias;
  const void* multiplier;
  const void* shift;
} pack_tag;

typedef struct {
  const uint8_t* weights;    /* c32 / 16 blocks of (k4 / 4) x 64 bytes */
  const int32_t* constant;   /* [c32] bias - (z + 128) * sum w, wrapped to int32 */
  const int32_t* multiplier; /* [c32] */
  const int32_t* shift;      /* [c32] */
  int32_t k4, channels, c32;
} vnni_pack;

static int32_t k_of(const topt_conv2d_params* p) { return p->win.kernel_h * p->win.kernel_w * p->win.input.c; }

static size_t align64(size_t n) { return (n + 63u) & ~(size_t)63u; }

static size_t packed_bytes(int32_t k, int32_t channels) {
  const size_t c32 = (size_t)((channels + 31) & ~31), k4 = (size_t)((k + 3) & ~3);
  return align64(sizeof(pack_tag)) + align64(c32 * k4) + 3 * align64(c32 * sizeof(int32_t));
}

static int has_vnni(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

int topt_conv2d_vnni_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && has_vnni();
}

size_t topt_conv2d_vnni_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_vnni_s8__x86_supports(p)) return 0;
  return 64 + packed_bytes(k_of(p), p->win.output.c) + (size_t)ROWS_PER_BLOCK * (size_t)((k_of(p) + 3) & ~3);
}

/* Packs (channels, k) weights into mem (64-byte aligned) unless mem's tag says it already holds them. */
static void pack(const int8_t* w, int32_t k, int32_t channels, const int32_t* bias, const topt_channel_quant* q,
                 uint8_t* mem, vnni_pack* out) {
  const int32_t c32 = (channels + 31) & ~31, k4 = (k + 3) & ~3;
  pack_tag tag;
  uint8_t* weights = mem + align64(sizeof(pack_tag));
  int32_t* constant = (int32_t*)(weights + align64((size_t)c32 * (size_t)k4));
  int32_t* mult = constant + align64((size_t)c32 * sizeof(int32_t)) / sizeof(int32_t);
  int32_t* shift = mult + align64((size_t)c32 * sizeof(int32_t)) / sizeof(int32_t);
  int32_t c, j, i;
  memset(&tag, 0, sizeof tag);
  tag.magic = TAG_MAGIC;
  tag.k = k;
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
  out->k4 = k4;
  out->channels = channels;
  out->c32 = c32;
  if (memcmp(mem, &tag, sizeof tag) == 0) return;
  for (c = 0; c < c32; ++c) {
    uint8_t* block = weights + (size_t)(c / 16) * 16 * (size_t)k4 + (size_t)(c % 16) * 4;
    int64_t sum = 0;
    for (j = 0; j < k4 / 4; ++j) {
      for (i = 0; i < 4; ++i) {
        const int32_t kk = 4 * j + i;
        const int8_t v = c < channels && kk < k ? w[(size_t)c * (size_t)k + (size_t)kk] : 0;
        block[(size_t)j * 64 + (size_t)i] = (uint8_t)v;
        sum += v;
      }
    }
    {
      const int64_t b = c < channels && bias != NULL ? bias[c] : 0;
      const uint32_t wrapped = (uint32_t)(uint64_t)(b - (int64_t)(q->input_zero_point + 128) * sum);
      memcpy(&constant[c], &wrapped, sizeof wrapped);
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
  for (; i < n; ++i) dst[i] = (uint8_t)(src[i] ^ 0x80);
}

/* One im2col row of output pixel (b, oy, ox) in u8, padded taps z + 128, zero-filled to k4. */
TOPT_VNNI static void im2col_row(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b, int32_t oy,
                                 int32_t ox, uint8_t* row, int32_t k4) {
  uint8_t* dst = row;
  int32_t ky, kx;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    for (kx = 0; kx < w->kernel_w; ++kx) {
      const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
      if (in0 >= 0)
        to_u8(input + in0, w->input.c, dst);
      else
        memset(dst, zero_point + 128, (size_t)w->input.c);
      dst += w->input.c;
    }
  }
  memset(dst, 0, (size_t)(k4 - (dst - row)));
}

/* Output stage of channels c .. c+31 of nrows rows, from their int32 sums. Deliberately not compiled for
 * AVX-512 (no target attribute, not inlined into the VNNI code): GCC 12 at -O2 miscompiles the AVX2
 * requantization helpers when they are inlined into an AVX-512 function. */
__attribute__((noinline)) static void store_rows(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts,
                                                 const int32_t* sums, int32_t nrows, int32_t c, int8_t* out,
                                                 int32_t out_stride) {
  int32_t i, g;
  for (i = 0; i < nrows; ++i) {
    int8_t* out_row = out + (size_t)i * (size_t)out_stride;
    for (g = 0; g < 4; ++g) {
      const int32_t base = c + 8 * g, n = pk->channels - base;
      __m256i acc;
      __m128i bytes;
      if (n <= 0) break;
      acc = _mm256_add_epi32(_mm256_load_si256((const __m256i*)(sums + i * 32 + 8 * g)),
                             _mm256_load_si256((const __m256i*)(pk->constant + base)));
      bytes = topt_x86_output_s8x8(acc, _mm256_load_si256((const __m256i*)(pk->multiplier + base)),
                                   _mm256_load_si256((const __m256i*)(pk->shift + base)), left_shifts,
                                   q->output_zero_point, q->act_min, q->act_max);
      if (n >= 8)
        topt_x86_store_s8x8(out_row + base, bytes);
      else
        topt_x86_store_s8_partial(out_row + base, bytes, n);
    }
  }
}

static inline int32_t load_quad(const uint8_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

#define TOPT_DP(acc, x, w) acc = _mm512_dpbusd_epi32(acc, x, w)

TOPT_VNNI static void gemm(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts, const uint8_t* a,
                           int32_t rows, int8_t* out, int32_t out_stride) {
  const int32_t k4 = pk->k4, quads = k4 / 4;
  int32_t sums[4 * 32] __attribute__((aligned(64))); /* (row, channel) sums of one 4 x 32 tile */
  int32_t m, c, j;
  for (m = 0; m < rows; m += 4) {
    const int32_t nrows = rows - m < 4 ? rows - m : 4;
    const uint8_t* r0 = a + (size_t)m * k4;
    const uint8_t* r1 = nrows > 1 ? r0 + k4 : r0;
    const uint8_t* r2 = nrows > 2 ? r0 + 2 * (size_t)k4 : r0;
    const uint8_t* r3 = nrows > 3 ? r0 + 3 * (size_t)k4 : r0;
    for (c = 0; c < pk->channels; c += 32) {
      const uint8_t* b0 = pk->weights + (size_t)c * k4;
      const uint8_t* b1 = b0 + (size_t)16 * k4;
      __m512i a00 = _mm512_setzero_si512(), a01 = a00, a10 = a00, a11 = a00;
      __m512i a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      for (j = 0; j < quads; ++j) {
        const __m512i w0 = _mm512_load_si512((const void*)(b0 + 64 * j));
        const __m512i w1 = _mm512_load_si512((const void*)(b1 + 64 * j));
        __m512i x = _mm512_set1_epi32(load_quad(r0 + 4 * j));
        TOPT_DP(a00, x, w0);
        TOPT_DP(a01, x, w1);
        x = _mm512_set1_epi32(load_quad(r1 + 4 * j));
        TOPT_DP(a10, x, w0);
        TOPT_DP(a11, x, w1);
        x = _mm512_set1_epi32(load_quad(r2 + 4 * j));
        TOPT_DP(a20, x, w0);
        TOPT_DP(a21, x, w1);
        x = _mm512_set1_epi32(load_quad(r3 + 4 * j));
        TOPT_DP(a30, x, w0);
        TOPT_DP(a31, x, w1);
      }
      _mm512_store_si512((void*)(sums + 0), a00);
      _mm512_store_si512((void*)(sums + 16), a01);
      _mm512_store_si512((void*)(sums + 32), a10);
      _mm512_store_si512((void*)(sums + 48), a11);
      _mm512_store_si512((void*)(sums + 64), a20);
      _mm512_store_si512((void*)(sums + 80), a21);
      _mm512_store_si512((void*)(sums + 96), a30);
      _mm512_store_si512((void*)(sums + 112), a31);
      store_rows(pk, q, left_shifts, sums, nrows, c, out + (size_t)m * (size_t)out_stride, out_stride);
    }
  }
}

TOPT_VNNI static void run(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                          int8_t* output, void* scratch) {
  const topt_window2d* w = &p->win;
  const int32_t k = k_of(p);
  const int pointwise = topt_conv2d_is_pointwise(p);
  const int left_shifts = topt_x86_any_left_shift(p->quant.shift, w->output.c);
  uint8_t* mem = (uint8_t*)(((uintptr_t)scratch + 63u) & ~(uintptr_t)63u);
  vnni_pack pk;
  uint8_t* rows;
  int32_t per_image, pixels, px0, r;
  pack(filter, k, w->output.c, bias, &p->quant, mem, &pk);
  rows = mem + packed_bytes(k, w->output.c);
  per_image = w->output.h * w->output.w;
  pixels = w->output.n * per_image;
  for (px0 = 0; px0 < pixels; px0 += ROWS_PER_BLOCK) {
    const int32_t count = pixels - px0 < ROWS_PER_BLOCK ? pixels - px0 : ROWS_PER_BLOCK;
    for (r = 0; r < count; ++r) {
      const int32_t px = px0 + r;
      uint8_t* row = rows + (size_t)r * (size_t)pk.k4;
      if (pointwise) {
        to_u8(input + (size_t)px * (size_t)k, k, row);
        memset(row + k, 0, (size_t)(pk.k4 - k));
      } else {
        const int32_t b = px / per_image, oy = (px % per_image) / w->output.w, ox = px % w->output.w;
        im2col_row(w, p->quant.input_zero_point, input, b, oy, ox, row, pk.k4);
      }
    }
    gemm(&pk, &p->quant, left_shifts, rows, count, output + (size_t)px0 * (size_t)w->output.c, w->output.c);
  }
}

topt_status topt_conv2d_vnni_s8__x86(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                     const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_params_check(p, TOPT_ACT_S8);
  if (st != TOPT_OK) return st;
  if (!has_vnni()) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  run(p, input, filter, bias, output, scratch);
  return TOPT_OK;
}

#else
typedef int topt_conv2d_vnni_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
