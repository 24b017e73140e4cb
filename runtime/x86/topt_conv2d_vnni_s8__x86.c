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
 * Shared with the fused conv + max pool (topt_conv2d_maxpool_vnni_s8__x86.c) through topt_x86_vnni_conv.h:
 * the operands' layout in topt_x86_vnni_pack.c, the micro-kernel and output stage in topt_x86_vnni_tile.c.
 *
 * Direct convolution: each image is copied once into the scratch as u8, zero-point padded (u = z + 128
 * around it, as far as the window reaches) and with its channels padded to c4, a multiple of 4, by zeros
 * (facing zero weights). A row of the implicit matrix product is an output pixel; its k index runs over
 * taps (ky, kx) and, within a tap, over the c4 channels of the input pixel the tap reads, which sit
 * contiguously in the padded image, so the micro-kernel reads quads straight from it.
 * Few input channels (topt_x86_vnni_use_im2col: a first layer reading 1 or 2 channels) would waste most quads on that
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

#include "topt_x86_vnni_conv.h"

int topt_conv2d_vnni_s8__x86_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && topt_x86_vnni_supported();
}


/* The im2col matrix of topt_x86_vnni_use_im2col(): one row of k4 bytes per output pixel, read by the
 * micro-kernel as a 1x1 convolution over a 1 x pixels image (flat window). */
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
  const padded_image g = topt_x86_vnni_padded(w);
  if (topt_x86_vnni_use_im2col(w)) {
    topt_window2d flat;
    padded_image ga;
    im2col_shape(w, &flat, &ga);
    return topt_x86_vnni_align64((size_t)g.hp * (size_t)g.wp * (size_t)w->input.c + 4) + (size_t)ga.wp * (size_t)ga.c4 + 4;
  }
  return (size_t)g.hp * (size_t)g.wp * (size_t)g.c4;
}

size_t topt_conv2d_vnni_s8__x86_scratch_bytes(const topt_conv2d_params* p) {
  const topt_window2d* w = &p->win;
  if (!topt_conv2d_vnni_s8__x86_supports(p)) return 0;
  if (topt_x86_vnni_use_im2col(w))
    return 64 + topt_x86_vnni_packed_bytes((w->kernel_h * w->kernel_w * w->input.c + 3) & ~3, w->output.c, 1) + image_bytes(w);
  return 64 + topt_x86_vnni_packed_bytes(w->kernel_h * w->kernel_w * topt_x86_vnni_padded(w).c4, w->output.c, w->kernel_h) + image_bytes(w);
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

/* Tile width when every output row splits into equal tiles of 8 or 7 pixels, else 0. Row tiles waste no
 * row and, at the top and bottom, skip filter rows that read only the border (most at 7 x 7 or 14 x 14:
 * up to a tenth of the MACs); otherwise tiles run across rows (see gemm). */
static int32_t row_tile_width(const topt_window2d* w) {
  if (w->output.w % 8 == 0) return 8;
  if (w->output.w % 7 == 0) return 7;
  return 0;
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
    for (oy = 0; oy < w->output.h; ++oy) {
      topt_x86_vnni_real_filter_rows(w, oy, &t.ky0, &t.ky1);
      for (ox = 0; ox < w->output.w; ox += width) {
        topt_x86_vnni_row_tile(
            &t, img + ((size_t)oy * (size_t)w->stride_h * (size_t)g.wp + (size_t)ox * (size_t)w->stride_w) * (size_t)g.c4,
            step, width);
        topt_x86_vnni_run_tile(pk, q, left_shifts, w, g, &t, oy * w->output.w + ox, out);
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
    topt_x86_vnni_run_tile(pk, q, left_shifts, w, g, &t, m, out);
  }
}

TOPT_VNNI static void run(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter, const int32_t* bias,
                          int8_t* output, void* scratch) {
  const topt_window2d* w = &p->win;
  const int left_shifts = topt_x86_any_left_shift(p->quant.shift, w->output.c);
  const size_t per_image = (size_t)w->output.h * (size_t)w->output.w * (size_t)w->output.c;
  const int im2col = topt_x86_vnni_use_im2col(w);
  uint8_t* mem = (uint8_t*)(((uintptr_t)scratch + 63u) & ~(uintptr_t)63u);
  padded_image g = topt_x86_vnni_padded(w), ga;
  topt_window2d flat;
  vnni_pack pk;
  uint8_t *img, *rows;
  int32_t b;
  if (im2col) {
    im2col_shape(w, &flat, &ga);
    g.c4 = w->input.c; /* the image keeps C channels per pixel; the rows are padded instead */
    topt_x86_vnni_pack(filter, 1, 1, w->kernel_h * w->kernel_w * w->input.c, ga.c4, w->output.c, bias, &p->quant, mem, &pk);
    img = mem + topt_x86_vnni_packed_bytes(pk.k4, w->output.c, 1);
  } else {
    topt_x86_vnni_pack(filter, w->kernel_h * w->kernel_w, w->kernel_h, w->input.c, g.c4, w->output.c, bias, &p->quant, mem, &pk);
    img = mem + topt_x86_vnni_packed_bytes(pk.k4, w->output.c, w->kernel_h);
  }
  rows = img + topt_x86_vnni_align64((size_t)g.hp * (size_t)g.wp * (size_t)g.c4 + 4);
  for (b = 0; b < w->output.n; ++b) {
    topt_x86_vnni_fill_padded(w, p->quant.input_zero_point, input, b, g, img);
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
  if (!topt_x86_vnni_supported()) return TOPT_ERR_UNSUPPORTED;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  run(p, input, filter, bias, output, scratch);
  return TOPT_OK;
}

#else
typedef int topt_conv2d_vnni_s8__x86_requires_avx2; /* keeps the translation unit non-empty */
#endif
