/* topt_dsp_shapes.c: the _supports() and _scratch_bytes() companions of every Cortex-M DSP kernel variant.
 *
 * Plain portable C on purpose: the host compiles this file too (CMakeLists.txt), because the code
 * generator chooses kernels for a Cortex-M target and the memory planner sizes their scratch on the host,
 * where the DSP kernels themselves are not compiled. The kernels call their _supports() at entry, so a
 * kernel and its predicate cannot disagree. Scratch layouts are described in topt_dsp_internal.h.
 */
#include "tinyopt_rt.h"
#include "topt_dsp_internal.h"

/* Size over speed: each predicate runs once per kernel call (docs/emulation.md: ds-cnn's 8 KiB budget). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif

static int32_t conv_k(const topt_conv2d_params* p) { return p->win.kernel_h * p->win.kernel_w * p->win.input.c; }

/* every conv whose channels all shift right (the kernel requantizes only that way; real layers do), unless a
 * last partial block of pixels would waste more than 1/10 of the work (the 3x3 and 1x1 maps at the end of
 * MobileNet: the matrix-product kernels handle 1-3 leftover pixels without computing 4) */
int topt_conv2d_c1x4_s8__dsp_supports(const topt_conv2d_params* p) {
  int32_t pixels, waste;
  if (topt_conv2d_params_check(p, TOPT_ACT_S8) != TOPT_OK || !topt_dsp_all_plain(&p->quant, p->win.output.c)) return 0;
  pixels = p->win.output.n * p->win.output.h * p->win.output.w;
  waste = (-pixels) & (TOPT_DSP_ROWS - 1); /* TOPT_DSP_ROWS is 4 */
  return waste * 10 <= pixels + waste;
}

size_t topt_conv2d_c1x4_s8__dsp_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_c1x4_s8__dsp_supports(p)) return 0;
  return topt_dsp_c1x4_bytes(p);
}

int topt_conv2d_1x1_s8__dsp_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && topt_conv2d_is_pointwise(p);
}

/* the matrix product's working memory */
size_t topt_conv2d_1x1_s8__dsp_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_1x1_s8__dsp_supports(p)) return 0;
  return topt_dsp_gemm_bytes(p->win.input.c, p->win.output.c);
}

int topt_conv2d_s8__dsp_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

/* the matrix product's working memory, then TOPT_DSP_ROWS int8 im2col rows */
size_t topt_conv2d_s8__dsp_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_s8__dsp_supports(p)) return 0;
  return topt_dsp_gemm_bytes(conv_k(p), p->win.output.c) + (size_t)TOPT_DSP_ROWS * (size_t)conv_k(p);
}

int topt_conv2d_s8w4__dsp_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

/* as conv2d_s8__dsp, then TOPT_DSP_W4_CHANNELS unpacked int8 weight rows */
size_t topt_conv2d_s8w4__dsp_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_s8w4__dsp_supports(p)) return 0;
  return topt_dsp_gemm_bytes(conv_k(p), p->win.output.c) + (size_t)TOPT_DSP_ROWS * (size_t)conv_k(p) +
         (size_t)TOPT_DSP_W4_CHANNELS * (size_t)conv_k(p);
}

int topt_dense_s8__dsp_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8__dsp_scratch_bytes(const topt_dense_params* p) {
  if (!topt_dense_s8__dsp_supports(p)) return 0;
  return topt_dsp_gemm_bytes(p->in_features, p->out_features);
}

int topt_dense_s8w4__dsp_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8w4__dsp_scratch_bytes(const topt_dense_params* p) {
  if (!topt_dense_s8w4__dsp_supports(p)) return 0;
  return topt_dsp_gemm_bytes(p->in_features, p->out_features) + (size_t)TOPT_DSP_W4_CHANNELS * (size_t)p->in_features;
}

/* depthwise: depth multiplier 1 (MobileNet, DS-CNN); other multipliers stay with the reference */
int topt_dwconv2d_s8__dsp_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_params_check(p) == TOPT_OK && p->depth_multiplier == 1;
}

/* every channel's requantization parameters */
size_t topt_dwconv2d_s8__dsp_scratch_bytes(const topt_dwconv2d_params* p) {
  if (!topt_dwconv2d_s8__dsp_supports(p)) return 0;
  return topt_dsp_dwconv_bytes(p->win.output.c);
}

int topt_dwconv2d_s8w4__dsp_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_params_check(p) == TOPT_OK && p->depth_multiplier == 1;
}

/* the channels' requantization parameters, then the whole (KH, KW, C) filter unpacked to int8 */
size_t topt_dwconv2d_s8w4__dsp_scratch_bytes(const topt_dwconv2d_params* p) {
  if (!topt_dwconv2d_s8w4__dsp_supports(p)) return 0;
  return topt_dsp_dwconv_bytes(p->win.output.c) +
         (size_t)p->win.kernel_h * (size_t)p->win.kernel_w * (size_t)p->win.output.c;
}
