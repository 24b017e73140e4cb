/* topt_x86_vnni_conv.h: the pieces of the AVX-512 VNNI direct convolution (topt_conv2d_vnni_s8__x86.c, whose
 * header comment describes the method) shared with the fused conv + max pool (topt_conv2d_maxpool_vnni_s8__x86.c):
 * - topt_x86_vnni_pack.c: the operands in VNNI layout: the padded u8 image, the packed weights and their
 *   per-channel constants (cached in the scratch);
 * - topt_x86_vnni_tile.c: the micro-kernel (a tile of 7 or 8 output pixels x 32 channels of int32 sums) and
 *   the output stage (requantize, clamp, narrow).
 * Not public API. Include only inside `#if defined(__AVX2__)`; callers check topt_x86_vnni_supported() (CPUID)
 * before running any of it.
 */
#ifndef TOPT_X86_VNNI_CONV_H
#define TOPT_X86_VNNI_CONV_H

#include "topt_x86_internal.h"

#define TOPT_VNNI __attribute__((target("avx2,fma,bmi,bmi2,avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))

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

#define TILE_ROWS 8 /* output pixels per tile: 8 x 2 accumulators, so 16 vpdpbusd share 2 weight loads */

/* One tile: where each of its pixels' windows starts in the image, and the filter rows [ky0, ky1) that
 * read input rows; the others read only the border, so the tile skips them (see tile_sums). */
typedef struct {
  const uint8_t* base[TILE_ROWS];
  int32_t nrows, ky0, ky1;
} tile;

/* Tile t as nrows pixels `step` bytes apart from `first` (one output row); rows past nrows repeat the first.
 * Each base computed from `first`, not from the previous one (no chain through the stored array). */
static inline void topt_x86_vnni_row_tile(tile* t, const uint8_t* first, size_t step, int32_t nrows) {
  int32_t i;
  t->nrows = nrows;
  for (i = 0; i < TILE_ROWS; ++i) t->base[i] = first + (size_t)(i < nrows ? i : 0) * step;
}

static inline size_t topt_x86_vnni_align64(size_t n) { return (n + 63u) & ~(size_t)63u; }

/* 1 when the layer runs on an explicit im2col matrix instead of the padded image: with few input channels
 * (a first layer reading 1 or 2 channels) padding each tap's channels to c4 would waste at least a quarter
 * of the quads, while an im2col row packs all taps * cin values and pads only its end to 4. */
static inline int topt_x86_vnni_use_im2col(const topt_window2d* w) {
  const int32_t taps = w->kernel_h * w->kernel_w, cin = w->input.c;
  const int32_t k_direct = taps * ((cin + 3) & ~3), k_im2col = (taps * cin + 3) & ~3;
  return 4 * k_im2col <= 3 * k_direct;
}

/* 1 when the CPU has AVX512F, BW, VL and VNNI. */
int topt_x86_vnni_supported(void);
/* The padded image a window reads (as far as the window reaches, channels padded to c4). */
padded_image topt_x86_vnni_padded(const topt_window2d* w);
/* Bytes of the packed weights of k4-quad rows for `channels` channels and `rows` filter rows. */
size_t topt_x86_vnni_packed_bytes(int32_t k4, int32_t channels, int32_t rows);
/* Packs (channels, taps, cin) weights into mem (64-byte aligned) unless mem's tag says it holds them. */
void topt_x86_vnni_pack(const int8_t* w, int32_t taps, int32_t rows, int32_t cin, int32_t c4, int32_t channels,
                        const int32_t* bias, const topt_channel_quant* q, uint8_t* mem, vnni_pack* out);
/* Image b of the input as the padded u8 image g. */
void topt_x86_vnni_fill_padded(const topt_window2d* w, int32_t zero_point, const int8_t* input, int32_t b,
                               padded_image g, uint8_t* img);
/* Filter rows of output row oy that read input rows, [*ky0, *ky1) (empty when none does). */
void topt_x86_vnni_real_filter_rows(const topt_window2d* w, int32_t oy, int32_t* ky0, int32_t* ky1);
/* The int32 sums (without the packed constant) of tile t x channels c .. c+31, row i at sums + 32 * i, for
 * all TILE_ROWS rows when t->nrows is 8, else 7 rows (rows past t->nrows repeat the first pixel). */
void topt_x86_vnni_tile_sums(const vnni_pack* pk, const topt_window2d* w, padded_image g, const tile* t, int32_t c,
                             int32_t* sums);
/* Output stage of nrows rows of sums (row i at sums + 32 * i) for channels c .. c+31: add the constant,
 * requantize, clamp, narrow, store row i at out + i * out_stride + c. left_shifts: any channel's shift > 0. */
void topt_x86_vnni_store(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts, const int32_t* sums,
                         int32_t nrows, int32_t c, int8_t* out, int32_t out_stride);
/* Sums and output stage of tile t (its first pixel m) for every block of 32 channels. */
void topt_x86_vnni_run_tile(const vnni_pack* pk, const topt_channel_quant* q, int left_shifts, const topt_window2d* w,
                            padded_image g, const tile* t, int32_t m, int8_t* out);

#endif
