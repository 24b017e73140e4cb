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
 * Direct convolution: each image is copied once into the scratch as u8, zero-point padded (u = z + 128
 * around it, as far as the window reaches) and with its channels padded to c4, a multiple of 4, by zeros
 * (facing zero weights). A row of the implicit matrix product is an output pixel; its k index runs over
 * taps (ky, kx) and, within a tap, over the c4 channels of the input pixel the tap reads, which sit
 * contiguously in the padded image, so the micro-kernel reads quads straight from it.
 * Few input channels (use_im2col: a first layer reading 1 or 2 channels) would waste most quads on that
 * channel padding; such layers gather explicit im2col rows (all taps * C values, padded once at the end to
 * a multiple of 4) from the padded image and run the same micro-kernel on them as a 1x1 convolution.
 * Packing: output channels in blocks of 16; for each quad of k (4j .. 4j+3, k = tap * c4 + channel) a
 * block holds 64 bytes, the quad of each of its 16 channels, so a row's quad broadcast to all lanes gives,
 * after one vpdpbusd, each channel's 4 products summed in its own lane. Micro-kernel: 8 (or 7) rows x 32
 * channels, 16 (14) accumulators. Tiles: when every output row splits into tiles of 8 or 7 pixels, a tile
 * is part of one output row, so no row is computed in vain (7 x 7, 14 x 14, 28 x 28 outputs) and a filter
 * row that reads only the border for that output row (top and bottom rows under padding) is skipped: its
 * (z + 128) * (sum of the row's weights), packed per row and channel, seeds the accumulators instead, which
 * is exactly what computing it would add. Otherwise tiles of 8 consecutive pixels run across rows. The
 * output stage runs 16 channels at a time in AVX-512 when no channel's shift
 * is > 0 (store_rows_right), else 8 at a time through the AVX2 helpers (store_rows).
 *
 * Weight cache: the scratch starts with a tag naming the filter, bias and multiplier / shift arrays and the
 * shape it was packed for; a call with a scratch whose tag matches skips the packing (the integer executor
 * keeps one scratch per layer, so packing happens once). A caller that changes a filter's contents in place
 * and reuses the scratch must zero the scratch first.
 */
#if defined(__AVX2__)

#include "topt_x86_internal.h"

#define TOPT_VNNI __attribute__((target("avx2,fma,bmi,bmi2,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#define TAG_MAGIC 0x44564E4Eu /* "NNVD" */

typedef struct {
  uint32_t magic;
  int32_t taps, rows, c4, channels, input_zero_point;
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
  const int32_t* row_sums;   /* [rows][c32] (z + 128) * sum of the weights of filter row ky (see gemm) */
  int32_t k4, channels, c32;
} vnni_pack;

/* The padded u8 image one call works on: c4 channels per pixel, hp x wp pixels, the input at
 * (pad_top, pad_left). */
typedef struct {
  int32_t c4, hp, wp;
} padded_image;

static padded_image padded_of(const topt_window2d* w) {
  padded_image g;
  const int64_t need_h = (int64_t)(w->output.h - 1) * w->stride_h + (int64_t)(w->kernel_h - 1) * w->dilation_h + 1;
  const int64_t need_w = (int64_t)(w->output.w - 1) * w->stride_w + (int64_t)(w->kernel_w - 1) * w->dilation_w + 1;
  g.c4 = (w->input.c + 3) & ~3;
  g.hp = (int32_t)(need_h > (int64_t)w->pad_top + w->input.h ? need_h : (int64_t)w->pad_top + w->input.h);
  g.wp = (int32_t)(need_w > (int64_t)w->pad_left + w->input.w ? need_w : (int64_t)w->pad_left + w->input.w);
  return g;
}

static size_t align64(size_t n) { return (n + 63u) & ~(size_t)63u; }

/* rows: the filter rows (kernel_h, or 1 for the im2col matrix), each with its row_sums. */
static size_t packed_bytes(int32_t k4, int32_t channels, int32_t rows) {
  const size_t c32 = (size_t)((channels + 31) & ~31);
  return align64(sizeof(pack_tag)) + align64(c32 * (size_t)k4) + (3 + (size_t)rows) * align64(c32 * sizeof(int32_t));
}

static int has_vnni(void) {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

int topt_conv2d_vnni_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && has_vnni();
}

/* 1 when the layer runs on an explicit im2col matrix instead of the padded image: with few input channels
 * (a first layer reading 1 or 2 channels) padding each tap's channels to c4 would waste at least a quarter
 * of the quads, while an im2col row packs all taps * cin values and pads only its end to 4. */
static int use_im2col(const topt_window2d* w) {
  const int32_t taps = w->kernel_h * w->kernel_w, cin = w->input.c;
  const int32_t k_direct = taps * ((cin + 3) & ~3), k_im2col = (taps * cin + 3) & ~3;
  return 4 * k_im2col <= 3 * k_direct;
}

/* The im2col matrix of use_im2col(): one row of k4 bytes per output pixel, read by the micro-kernel as a
 * 1x1 convolution over a 1 x pixels image (flat window). */
static void im2col_shape(const topt_window2d* w, topt_window2d* flat, padded_image* g) {
  const int32_t pixels = w->output.h * w->output.w;
  *flat = *w;
  flat->output.h = 1;
  flat->output.w = pixels;
  flat->input.h = 1; /* the matrix as an unpadded 1 x pixels image */
  flat->input.w = pixels;
  flat->pad_top = flat->pad_left = 0;
  flat->kernel_h = flat->kernel_w = 1;
  flat->stride_h = flat->stride_w = flat->dilation_h = flat->dilation_w = 1;
  g->c4 = (w->kernel_h * w->kernel_w * w->input.c + 3) & ~3;
  g->hp = 1;
  g->wp = pixels;
}

/* Bytes of the image area: the padded image, plus for im2col its matrix; 4 bytes of slack after each
 * for the 4-byte word copies of gather_rows. */
static size_t image_bytes(const topt_window2d* w) {
  const padded_image g = padded_of(w);
  if (use_im2col(w)) {
    topt_window2d flat;
    padded_image ga;
    im2col_shape(w, &flat, &ga);
    return align64((size_t)g.hp * (size_t)g.wp * (size_t)w->input.c + 4) + (size_t)ga.wp * (size_t)ga.c4 + 4;
  }
  return (size_t)g.hp * (size_t)g.wp * (size_t)g.c4;
}

size_t topt_conv2d_vnni_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  const topt_window2d* w = &p->win;
  if (!topt_conv2d_vnni_s8__x86_supports(p)) return 0;
  if (use_im2col(w))
    return 64 + packed_bytes((w->kernel_h * w->kernel_w * w->input.c + 3) & ~3, w->output.c, 1) + image_bytes(w);
  return 64 + packed_bytes(w->kernel_h * w->kernel_w * padded_of(w).c4, w->output.c, w->kernel_h) + image_bytes(w);
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
static void pack(const int8_t* w, int32_t taps, int32_t rows, int32_t cin, int32_t c4, int32_t channels,
                 const int32_t* bias, const topt_channel_quant* q, uint8_t* mem, vnni_pack* out) {
  const int32_t c32 = (channels + 31) & ~31, k4 = taps * c4, k = taps * cin, row_k = k / rows;
  const size_t vec = align64((size_t)c32 * sizeof(int32_t)) / sizeof(int32_t);
  pack_tag tag;
  uint8_t* weights = mem + align64(sizeof(pack_tag));
  int32_t* constant = (int32_t*)(weights + align64((size_t)c32 * (size_t)k4));
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
TOPT_VNNI static void fill_padded(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b,
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

/* Copies n bytes as ceil(n / 4) 4-byte words: up to 3 bytes past both ends are read and written (the
 * callers leave slack, and what lands past a run is overwritten by the next run or faces a zero weight). */
static inline void copy_words(uint8_t* dst, const uint8_t* src, int32_t n) {
  int32_t i;
  for (i = 0; i < n; i += 4) memcpy(dst + i, src + i, 4);
}

/* The im2col rows (k4 bytes each, in OHWI filter order) of every output pixel, gathered from the padded
 * image img of C channels per pixel (g.c4 == C): per tap row ky one run of kernel_w * C bytes (dilation 1)
 * or kernel_w runs of C bytes. Runs are written in order, row after row, so a word copy spilling into the
 * next run or row is overwritten by it; bytes between taps * C and k4 face zero weights. */
static void gather_rows(const topt_window2d* w, const uint8_t* img, padded_image g, int32_t k4, uint8_t* rows) {
  const int32_t cin = w->input.c, run = w->dilation_w == 1 ? w->kernel_w * cin : cin;
  const int32_t runs = w->dilation_w == 1 ? 1 : w->kernel_w, kh = w->kernel_h;
  const size_t tap_row = (size_t)w->dilation_h * (size_t)g.wp * (size_t)cin, run_step = (size_t)w->dilation_w * (size_t)cin;
  int32_t oy, ox, ky, r;
  for (oy = 0; oy < w->output.h; ++oy) {
    const uint8_t* src = img + (size_t)oy * (size_t)w->stride_h * (size_t)g.wp * (size_t)cin;
    for (ox = 0; ox < w->output.w; ++ox, src += (size_t)w->stride_w * (size_t)cin, rows += k4) {
      uint8_t* dst = rows;
      if (run <= 4 && runs == 1) { /* a first layer's 1- or 2-channel 1-, 2- or 3-wide kernel row */
        for (ky = 0; ky < kh; ++ky, dst += run) memcpy(dst, src + (size_t)ky * tap_row, 4);
        continue;
      }
      for (ky = 0; ky < kh; ++ky)
        for (r = 0; r < runs; ++r, dst += run) copy_words(dst, src + (size_t)ky * tap_row + (size_t)r * run_step, run);
    }
  }
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

/* The output stage of store_rows for 16 channels at once, when no lane's shift is > 0 (the common case):
 * requantize (SRDHM with M >= 0, then RDBPOT by -shift), clamp to [act_min - zp, act_max - zp], add zp,
 * narrow to int8 in lane order. Written with AVX-512 intrinsics only (see store_rows). */
TOPT_VNNI static inline __m128i output_s8x16(__m512i acc, __m512i multiplier, __m512i right, __m512i lo, __m512i hi,
                                             __m512i zp) {
  const __m512i nudge = _mm512_set1_epi64((int64_t)1 << 30), one = _mm512_set1_epi32(1);
  const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(acc, multiplier), nudge), 31);
  const __m512i odd = _mm512_slli_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(multiplier, 32)), nudge), 1);
  const __m512i x = _mm512_mask_blend_epi32((__mmask16)0xAAAA, even, odd); /* SRDHM */
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
  const __m512i remainder = _mm512_and_si512(x, mask);
  const __mmask16 negative = _mm512_cmpgt_epi32_mask(_mm512_setzero_si512(), x);
  const __m512i threshold = _mm512_mask_add_epi32(_mm512_srli_epi32(mask, 1), negative, _mm512_srli_epi32(mask, 1), one);
  const __mmask16 round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
  const __m512i v = _mm512_mask_add_epi32(_mm512_srav_epi32(x, right), round_up, _mm512_srav_epi32(x, right), one);
  return _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zp));
}

/* store_rows for tiles whose channels all have shift <= 0: 16 channels per step. */
TOPT_VNNI static void store_rows_right(const vnni_pack* pk, const topt_channel_quant* q, const int32_t* sums,
                                       int32_t nrows, int32_t c, int8_t* out, int32_t out_stride) {
  const __m512i lo = _mm512_set1_epi32(q->act_min - q->output_zero_point);
  const __m512i hi = _mm512_set1_epi32(q->act_max - q->output_zero_point);
  const __m512i zp = _mm512_set1_epi32(q->output_zero_point);
  int32_t i, g;
  for (g = 0; g < 2; ++g) {
    const int32_t base = c + 16 * g, n = pk->channels - base;
    const __m512i constant = _mm512_load_si512((const void*)(pk->constant + base));
    const __m512i multiplier = _mm512_load_si512((const void*)(pk->multiplier + base));
    const __m512i right = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_load_si512((const void*)(pk->shift + base)));
    if (n <= 0) break;
    for (i = 0; i < nrows; ++i) {
      const __m512i acc = _mm512_add_epi32(_mm512_load_si512((const void*)(sums + i * 32 + 16 * g)), constant);
      const __m128i bytes = output_s8x16(acc, multiplier, right, lo, hi, zp);
      int8_t* dst = out + (size_t)i * (size_t)out_stride + base;
      if (n >= 16)
        _mm_storeu_si128((__m128i*)dst, bytes);
      else
        _mm_mask_storeu_epi8(dst, (__mmask16)((1u << n) - 1u), bytes);
    }
  }
}

static inline int32_t load_quad(const uint8_t* p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

#define TILE_ROWS 8 /* output pixels per tile: 8 x 2 accumulators, so 16 vpdpbusd share 2 weight loads */

/* One tile: where each of its pixels' windows starts in the image, and the filter rows [ky0, ky1) that
 * read input rows; the others read only the border, so the tile skips them (see tile_sums). */
typedef struct {
  const uint8_t* base[TILE_ROWS];
  int32_t nrows, ky0, ky1;
} tile;

#define TOPT_DP(acc, x, w) acc = _mm512_dpbusd_epi32(acc, x, w)
#define TOPT_ROW_DP(i)                        \
  if ((i) < rows) {                           \
    x = _mm512_set1_epi32(load_quad(r[i] + j)); \
    TOPT_DP(a##i##0, x, w0);                  \
    TOPT_DP(a##i##1, x, w1);                  \
  }
#define TOPT_ROW_STORE(i)                                    \
  if ((i) < rows) {                                          \
    _mm512_store_si512((void*)(sums + 32 * (i)), a##i##0);      \
    _mm512_store_si512((void*)(sums + 32 * (i) + 16), a##i##1); \
  }

/* The (row, channel) int32 sums of `rows` tile rows (a constant: 7 or 8) x channels c .. c+31. A skipped
 * filter row would have added (z + 128) * (its weights' sum) per channel, the border's u times the
 * weights, which the packed constant subtracts for every row: the accumulators start from those sums
 * instead, so the result is the one of computing them. */
TOPT_VNNI static inline __attribute__((always_inline)) void tile_sums(const vnni_pack* pk, const topt_window2d* w,
                                                                       int32_t c4, int32_t wp, const tile* t, int32_t c,
                                                                       int32_t rows, int32_t* sums) {
  const size_t row_bytes = (size_t)w->kernel_w * (size_t)c4 * 16; /* packed bytes of one filter row (16 ch) */
  /* with dilation_w 1 the kernel_w taps of a filter row read one contiguous run of kernel_w * c4 bytes,
   * as the packed k index runs, so one loop covers them */
  const int32_t runs = w->dilation_w == 1 ? 1 : w->kernel_w, run = w->dilation_w == 1 ? w->kernel_w * c4 : c4;
  const uint8_t* b0 = pk->weights + (size_t)c * (size_t)pk->k4 + (size_t)t->ky0 * row_bytes;
  const uint8_t* b1 = b0 + (size_t)16 * (size_t)pk->k4;
  __m512i init0 = _mm512_setzero_si512(), init1 = init0;
  int32_t ky, kx, j, i;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    if (ky >= t->ky0 && ky < t->ky1) continue;
    init0 = _mm512_add_epi32(init0, _mm512_load_si512((const void*)(pk->row_sums + (size_t)ky * pk->c32 + c)));
    init1 = _mm512_add_epi32(init1, _mm512_load_si512((const void*)(pk->row_sums + (size_t)ky * pk->c32 + c + 16)));
  }
  {
    __m512i a00 = init0, a01 = init1, a10 = init0, a11 = init1, a20 = init0, a21 = init1, a30 = init0, a31 = init1;
    __m512i a40 = init0, a41 = init1, a50 = init0, a51 = init1, a60 = init0, a61 = init1, a70 = init0, a71 = init1;
    for (ky = t->ky0; ky < t->ky1; ++ky) {
      for (kx = 0; kx < runs; ++kx) {
        const size_t off = ((size_t)ky * (size_t)w->dilation_h * (size_t)wp + (size_t)kx * (size_t)w->dilation_w) * (size_t)c4;
        const uint8_t* r[TILE_ROWS];
        for (i = 0; i < TILE_ROWS; ++i) r[i] = t->base[i] + off;
        for (j = 0; j < run; j += 4) {
          const __m512i w0 = _mm512_load_si512((const void*)b0);
          const __m512i w1 = _mm512_load_si512((const void*)b1);
          __m512i x;
          b0 += 64;
          b1 += 64;
          TOPT_ROW_DP(0)
          TOPT_ROW_DP(1)
          TOPT_ROW_DP(2)
          TOPT_ROW_DP(3)
          TOPT_ROW_DP(4)
          TOPT_ROW_DP(5)
          TOPT_ROW_DP(6)
          TOPT_ROW_DP(7)
        }
      }
    }
    TOPT_ROW_STORE(0)
    TOPT_ROW_STORE(1)
    TOPT_ROW_STORE(2)
    TOPT_ROW_STORE(3)
    TOPT_ROW_STORE(4)
    TOPT_ROW_STORE(5)
    TOPT_ROW_STORE(6)
    TOPT_ROW_STORE(7)
  }
}

/* tile_sums compiled for 8 and for 7 rows (rows is a constant in each, so the unused row vanishes). */
TOPT_VNNI static void tile_sums8(const vnni_pack* pk, const topt_window2d* w, int32_t c4, int32_t wp, const tile* t,
                                 int32_t c, int32_t* sums) {
  tile_sums(pk, w, c4, wp, t, c, 8, sums);
}
TOPT_VNNI static void tile_sums7(const vnni_pack* pk, const topt_window2d* w, int32_t c4, int32_t wp, const tile* t,
                                 int32_t c, int32_t* sums) {
  tile_sums(pk, w, c4, wp, t, c, 7, sums);
}

/* Tile width when every output row splits into equal tiles of 8 or 7 pixels, else 0. Row tiles waste no
 * row and, at the top and bottom, skip filter rows that read only the border (most at 7 x 7 or 14 x 14:
 * up to a tenth of the MACs); otherwise tiles run across rows (see gemm). */
static int32_t row_tile_width(const topt_window2d* w) {
  if (w->output.w % 8 == 0) return 8;
  if (w->output.w % 7 == 0) return 7;
  return 0;
}

/* Filter rows of output row oy that read input rows, [*ky0, *ky1) (empty when none does). */
static void real_filter_rows(const topt_window2d* w, int32_t oy, int32_t* ky0, int32_t* ky1) {
  int32_t ky;
  *ky0 = w->kernel_h;
  *ky1 = 0;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    const int32_t iy = oy * w->stride_h + ky * w->dilation_h - w->pad_top;
    if (iy < 0 || iy >= w->input.h) continue;
    if (*ky0 > ky) *ky0 = ky;
    *ky1 = ky + 1;
  }
  if (*ky0 >= *ky1) *ky0 = *ky1 = 0;
}

/* Sums and output stage of tile t (its first pixel m) for every block of 32 channels. */
TOPT_VNNI static void run_tile(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts, const topt_window2d* w,
                               padded_image g, const tile* t, int32_t m, int8_t* out) {
  int32_t sums[TILE_ROWS * 32] __attribute__((aligned(64))); /* (row, channel) sums of one tile */
  int32_t c;
  int8_t* dst = out + (size_t)m * (size_t)w->output.c;
  for (c = 0; c < pk->channels; c += 32) {
    if (t->nrows == 7)
      tile_sums7(pk, w, g.c4, g.wp, t, c, sums);
    else
      tile_sums8(pk, w, g.c4, g.wp, t, c, sums);
    if (left_shifts)
      store_rows(pk, q, left_shifts, sums, t->nrows, c, dst, w->output.c);
    else
      store_rows_right(pk, q, sums, t->nrows, c, dst, w->output.c);
  }
}

/* Every output pixel of one image, each pixel's quads read from the padded image at
 * (oy * stride_h + ky * dilation_h, ox * stride_w + kx * dilation_w). Row tiles when row_tile_width()
 * allows, else tiles of TILE_ROWS consecutive pixels across rows (the last one's missing rows recompute
 * its first, not stored) with every filter row computed. */
TOPT_VNNI static void gemm(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts, const topt_window2d* w,
                           const uint8_t* img, padded_image g, int8_t* out) {
  const int32_t pixels = w->output.h * w->output.w, width = row_tile_width(w);
  const size_t step = (size_t)w->stride_w * (size_t)g.c4;
  int32_t m, i, oy = 0, ox = 0; /* (oy, ox): output pixel m, stepped without a division */
  tile t;
  if (width > 0) {
    t.nrows = width;
    for (oy = 0; oy < w->output.h; ++oy) {
      real_filter_rows(w, oy, &t.ky0, &t.ky1);
      for (ox = 0; ox < w->output.w; ox += width) {
        t.base[0] = img + ((size_t)oy * (size_t)w->stride_h * (size_t)g.wp + (size_t)ox * (size_t)w->stride_w) * (size_t)g.c4;
        for (i = 1; i < TILE_ROWS; ++i) t.base[i] = i < width ? t.base[i - 1] + step : t.base[0];
        run_tile(pk, q, left_shifts, w, g, &t, oy * w->output.w + ox, out);
      }
    }
    return;
  }
  t.ky0 = 0;
  t.ky1 = w->kernel_h;
  for (m = 0; m < pixels; m += TILE_ROWS) {
    t.nrows = pixels - m < TILE_ROWS ? pixels - m : TILE_ROWS;
    for (i = 0; i < TILE_ROWS; ++i) {
      if (i >= t.nrows) {
        t.base[i] = t.base[0];
        continue;
      }
      t.base[i] = img + ((size_t)oy * (size_t)w->stride_h * (size_t)g.wp + (size_t)ox * (size_t)w->stride_w) * (size_t)g.c4;
      if (++ox == w->output.w) {
        ox = 0;
        ++oy;
      }
    }
    run_tile(pk, q, left_shifts, w, g, &t, m, out);
  }
}

TOPT_VNNI static void run(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                          int8_t* output, void* scratch) {
  const topt_window2d* w = &p->win;
  const int left_shifts = topt_x86_any_left_shift(p->quant.shift, w->output.c);
  const size_t per_image = (size_t)w->output.h * (size_t)w->output.w * (size_t)w->output.c;
  const int im2col = use_im2col(w);
  uint8_t* mem = (uint8_t*)(((uintptr_t)scratch + 63u) & ~(uintptr_t)63u);
  padded_image g = padded_of(w), ga;
  topt_window2d flat;
  vnni_pack pk;
  uint8_t *img, *rows;
  int32_t b;
  if (im2col) {
    im2col_shape(w, &flat, &ga);
    g.c4 = w->input.c; /* the image keeps C channels per pixel; the rows are padded instead */
    pack(filter, 1, 1, w->kernel_h * w->kernel_w * w->input.c, ga.c4, w->output.c, bias, &p->quant, mem, &pk);
    img = mem + packed_bytes(pk.k4, w->output.c, 1);
  } else {
    pack(filter, w->kernel_h * w->kernel_w, w->kernel_h, w->input.c, g.c4, w->output.c, bias, &p->quant, mem, &pk);
    img = mem + packed_bytes(pk.k4, w->output.c, w->kernel_h);
  }
  rows = img + align64((size_t)g.hp * (size_t)g.wp * (size_t)g.c4 + 4);
  for (b = 0; b < w->output.n; ++b) {
    fill_padded(w, p->quant.input_zero_point, input, b, g, img);
    if (im2col) {
      gather_rows(w, img, g, ga.c4, rows);
      gemm(&pk, &p->quant, left_shifts, &flat, rows, ga, output + (size_t)b * per_image);
    } else {
      gemm(&pk, &p->quant, left_shifts, w, img, g, output + (size_t)b * per_image);
    }
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
