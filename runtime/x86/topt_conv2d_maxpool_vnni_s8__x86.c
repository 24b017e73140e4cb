/* topt_conv2d_maxpool_vnni_s8__x86.c: AVX-512 VNNI int8 conv2d followed by max pooling, bit-exact to
 * topt_conv2d_maxpool_s8__ref (the conv reference then the max pool reference).
 *
 * Requantization (saturating left shift, SRDHM with M >= 0, RDBPOT), the zero point and the clamps are all
 * monotonic non-decreasing in the int32 accumulator, so the max over a pool window of the conv's int8
 * outputs is the output stage applied to the max of the window's int32 sums: this kernel pools the sums and
 * runs the output stage once per pooled pixel (a quarter of the conv's for a 2x2 pool), and the conv output
 * never goes to memory. The sums come from the VNNI conv's micro-kernel (topt_x86_vnni_conv.h) without the
 * packed per-channel constant, which is the same for every tap of a channel's window: its wrap-around
 * differs from the true accumulator by the same multiple of 2^32 for all taps, so the max is unchanged.
 * The conv's clamp then the pool's is one clamp to [clamp(conv min), clamp(conv max)] in the pool's range.
 *
 * Per pooled output row and block of 32 channels: the conv rows its windows read are computed whole, in
 * tiles of 8 (or 7) pixels of one conv row (filter rows reading only the border skipped as in the conv),
 * into int32 row buffers in the scratch; then each pooled pixel takes the max of its window's valid sums.
 * Conv rows shared by overlapping pool windows (pool stride < kernel) are recomputed. Layers the VNNI conv
 * runs through im2col (1 or 2 input channels) are left to the reference.
 * Scratch: 64 (alignment) + the packed weights + the padded image + the row buffers.
 */
#if defined(__AVX2__)

#include "tinyopt_rt_fixedpoint.h"
#include "topt_x86_vnni_conv.h"

/* Pixels of slack after each conv row buffer: a tile writes 8 rows of sums even when fewer are valid. */
#define ROW_SLACK TILE_ROWS

static int32_t conv_rows_per_window(const topt_conv2d_maxpool_params* p) {
  return p->pool.win.kernel_h < p->conv.win.output.h ? p->pool.win.kernel_h : p->conv.win.output.h;
}

static size_t row_buffer_bytes(const topt_conv2d_maxpool_params* p) {
  return (size_t)(p->conv.win.output.w + ROW_SLACK) * 32 * sizeof(int32_t);
}

int topt_conv2d_maxpool_vnni_s8__x86_supports(const topt_conv2d_maxpool_params* p) {
  return topt_conv2d_maxpool_params_check(p) == TOPT_OK && topt_x86_vnni_supported() &&
         !topt_x86_vnni_use_im2col(&p->conv.win);
}

size_t topt_conv2d_maxpool_vnni_s8__x86_scratch_bytes(const topt_conv2d_maxpool_params* p) {
  const topt_window2d* w = &p->conv.win;
  const padded_image g = topt_x86_vnni_padded(w);
  if (!topt_conv2d_maxpool_vnni_s8__x86_supports(p)) return 0;
  return 64 + topt_x86_vnni_packed_bytes(w->kernel_h * w->kernel_w * g.c4, w->output.c, w->kernel_h) +
         topt_x86_vnni_align64((size_t)g.hp * (size_t)g.wp * (size_t)g.c4) +
         (size_t)conv_rows_per_window(p) * row_buffer_bytes(p);
}

/* Sums of conv row oy, channels c .. c+31, into row: pixel ox at row + 32 * ox. */
TOPT_VNNI static void conv_row_sums(const vnni_pack* pk, const topt_window2d* w, const uint8_t* img, padded_image g,
                                    int32_t oy, int32_t c, int32_t* row) {
  const int32_t width = w->output.w % 8 == 0 ? 8 : (w->output.w % 7 == 0 ? 7 : 8);
  const size_t step = (size_t)w->stride_w * (size_t)g.c4;
  int32_t ox;
  tile t;
  topt_x86_vnni_real_filter_rows(w, oy, &t.ky0, &t.ky1);
  for (ox = 0; ox < w->output.w; ox += width) {
    topt_x86_vnni_row_tile(
        &t, img + ((size_t)oy * (size_t)w->stride_h * (size_t)g.wp + (size_t)ox * (size_t)w->stride_w) * (size_t)g.c4,
        step, w->output.w - ox < width ? w->output.w - ox : width);
    topt_x86_vnni_tile_sums(pk, w, g, &t, c, row + (size_t)ox * 32);
  }
}

/* The max of the sums over pooled pixel px's window (conv rows [0, nrows) of the buffers, columns clipped
 * to the conv output), 32 channels, into dst. */
TOPT_VNNI static void window_max(const topt_window2d* pw, const int32_t* rows, size_t row_ints, int32_t nrows,
                                 int32_t px, int32_t* dst) {
  const int32_t x0 = px * pw->stride_w - pw->pad_left;
  const int32_t lo = x0 < 0 ? 0 : x0, hi = x0 + pw->kernel_w < pw->input.w ? x0 + pw->kernel_w : pw->input.w;
  __m512i m0 = _mm512_set1_epi32(INT32_MIN), m1 = m0;
  int32_t r, x;
  if (nrows == 2 && hi - lo == 2) { /* a whole 2x2 window (a 2x2 / stride 2 pool): the 4 taps, no loop */
    const int32_t* a = rows + (size_t)lo * 32;
    const int32_t* b = a + row_ints;
    for (x = 0; x < 32; x += 16)
      _mm512_store_si512((void*)(dst + x),
                         _mm512_max_epi32(_mm512_max_epi32(_mm512_load_si512((const void*)(a + x)),
                                                           _mm512_load_si512((const void*)(a + 32 + x))),
                                          _mm512_max_epi32(_mm512_load_si512((const void*)(b + x)),
                                                           _mm512_load_si512((const void*)(b + 32 + x)))));
    return;
  }
  for (r = 0; r < nrows; ++r) {
    const int32_t* src = rows + (size_t)r * row_ints;
    for (x = lo; x < hi; ++x) {
      m0 = _mm512_max_epi32(m0, _mm512_load_si512((const void*)(src + (size_t)x * 32)));
      m1 = _mm512_max_epi32(m1, _mm512_load_si512((const void*)(src + (size_t)x * 32 + 16)));
    }
  }
  _mm512_store_si512((void*)dst, m0);
  _mm512_store_si512((void*)(dst + 16), m1);
}

/* One image: pooled row by pooled row, channel block by channel block. */
TOPT_VNNI static void run_image(const topt_conv2d_maxpool_params* p, const vnni_pack* pk, const topt_channel_quant* q,
                                int left_shifts, const uint8_t* img, padded_image g, int32_t* rows, int8_t* out) {
  const topt_window2d* w = &p->conv.win;
  const topt_window2d* pw = &p->pool.win;
  const size_t row_ints = row_buffer_bytes(p) / sizeof(int32_t);
  int32_t pooled[TILE_ROWS * 32] __attribute__((aligned(64)));
  int32_t py, px, c, k, oy;
  for (py = 0; py < pw->output.h; ++py) {
    const int32_t y0 = py * pw->stride_h - pw->pad_top;
    const int32_t lo = y0 < 0 ? 0 : y0, hi = y0 + pw->kernel_h < w->output.h ? y0 + pw->kernel_h : w->output.h;
    int8_t* out_row = out + (size_t)py * (size_t)pw->output.w * (size_t)w->output.c;
    for (c = 0; c < pk->channels; c += 32) {
      for (oy = lo; oy < hi; ++oy) conv_row_sums(pk, w, img, g, oy, c, rows + (size_t)(oy - lo) * row_ints);
      for (px = 0; px < pw->output.w; px += TILE_ROWS) {
        const int32_t n = pw->output.w - px < TILE_ROWS ? pw->output.w - px : TILE_ROWS;
        for (k = 0; k < n; ++k) window_max(pw, rows, row_ints, hi - lo, px + k, pooled + 32 * k);
        topt_x86_vnni_store(pk, q, left_shifts, pooled, n, c, out_row + (size_t)px * (size_t)w->output.c,
                            w->output.c);
      }
    }
  }
}

TOPT_VNNI static void run(const topt_conv2d_maxpool_params* p, const int8_t* input, const int8_t* filter,
                          const int32_t* bias, int8_t* output, void* scratch) {
  const topt_window2d* w = &p->conv.win;
  const padded_image g = topt_x86_vnni_padded(w);
  const size_t per_image = (size_t)p->pool.win.output.h * (size_t)p->pool.win.output.w * (size_t)w->output.c;
  uint8_t* mem = (uint8_t*)(((uintptr_t)scratch + 63u) & ~(uintptr_t)63u);
  uint8_t* img;
  int32_t* rows;
  topt_channel_quant q = p->conv.quant; /* the conv's clamp, then the pool's */
  vnni_pack pk;
  int32_t b;
  q.act_min = topt_clamp32(p->conv.quant.act_min, p->pool.act_min, p->pool.act_max);
  q.act_max = topt_clamp32(p->conv.quant.act_max, p->pool.act_min, p->pool.act_max);
  topt_x86_vnni_pack(filter, w->kernel_h * w->kernel_w, w->kernel_h, w->input.c, g.c4, w->output.c, bias, &q, mem,
                     &pk);
  img = mem + topt_x86_vnni_packed_bytes(pk.k4, w->output.c, w->kernel_h);
  rows = (int32_t*)(img + topt_x86_vnni_align64((size_t)g.hp * (size_t)g.wp * (size_t)g.c4));
  for (b = 0; b < w->output.n; ++b) {
    topt_x86_vnni_fill_padded(w, q.input_zero_point, input, b, g, img);
    run_image(p, &pk, &q, topt_x86_any_left_shift(q.shift, w->output.c), img, g, rows, output + (size_t)b * per_image);
  }
}

topt_status topt_conv2d_maxpool_vnni_s8__x86(const topt_conv2d_maxpool_params* p, const int8_t* input,
                                             const int8_t* filter, const int32_t* bias, int8_t* output,
                                             void* scratch) {
  const topt_status st = topt_conv2d_maxpool_params_check(p);
  if (st != TOPT_OK) return st;
  if (!topt_x86_vnni_supported() || topt_x86_vnni_use_im2col(&p->conv.win)) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  run(p, input, filter, bias, output, scratch);
  return TOPT_OK;
}

#else
typedef int topt_conv2d_maxpool_vnni_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
