/* topt_neon_shapes.c: the _supports() and _scratch_bytes() companions of every NEON kernel variant.
 *
 * Plain portable C on purpose: the host compiles this file too (CMakeLists.txt), because the code
 * generator chooses kernels for an aarch64 target and the memory planner sizes their scratch on the host,
 * where the NEON kernels themselves are not compiled. The kernels call their _supports() at entry, so a
 * kernel and its predicate cannot disagree. Scratch layouts are described in topt_neon_internal.h.
 */
#include "tinyopt_rt.h"
#include "topt_neon_internal.h"

static int32_t conv_k(const topt_conv2d_params* p) { return p->win.kernel_h * p->win.kernel_w * p->win.input.c; }

/* effective bias [C_out] int32 */
static size_t bias_bytes(int32_t channels) { return (size_t)channels * sizeof(int32_t); }

int topt_conv2d_1x1_s8__neon_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK && topt_conv2d_is_pointwise(p);
}

size_t topt_conv2d_1x1_s8__neon_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_1x1_s8__neon_supports(p)) return 0;
  return bias_bytes(p->win.output.c);
}

int topt_conv2d_s8__neon_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_conv2d_s8__neon_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_s8__neon_supports(p)) return 0;
  return bias_bytes(p->win.output.c) + (size_t)TOPT_NEON_IM2COL_ROWS * (size_t)conv_k(p);
}

int topt_conv2d_s8w4__neon_supports(const topt_conv2d_params* p) {
  return topt_conv2d_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_conv2d_s8w4__neon_scratch_bytes(const topt_conv2d_params* p) {
  if (!topt_conv2d_s8w4__neon_supports(p)) return 0;
  return bias_bytes(p->win.output.c) + topt_neon_align4((size_t)TOPT_NEON_IM2COL_ROWS * (size_t)conv_k(p)) +
         (size_t)TOPT_NEON_W4_CHANNELS * (size_t)conv_k(p);
}

int topt_dense_s8__neon_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8__neon_scratch_bytes(const topt_dense_params* p) {
  if (!topt_dense_s8__neon_supports(p)) return 0;
  return bias_bytes(p->out_features);
}

int topt_dense_s8w4__neon_supports(const topt_dense_params* p) {
  return topt_dense_params_check(p, TOPT_ACT_S8) == TOPT_OK;
}

size_t topt_dense_s8w4__neon_scratch_bytes(const topt_dense_params* p) {
  if (!topt_dense_s8w4__neon_supports(p)) return 0;
  return bias_bytes(p->out_features) + (size_t)TOPT_NEON_W4_CHANNELS * (size_t)p->in_features;
}

/* depthwise: depth multiplier 1 (MobileNet, DS-CNN); other multipliers stay with the reference */
int topt_dwconv2d_s8__neon_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_params_check(p) == TOPT_OK && p->depth_multiplier == 1;
}

size_t topt_dwconv2d_s8__neon_scratch_bytes(const topt_dwconv2d_params* p) {
  (void)p;
  return 0;
}

int topt_dwconv2d_s8w4__neon_supports(const topt_dwconv2d_params* p) {
  return topt_dwconv2d_params_check(p) == TOPT_OK && p->depth_multiplier == 1;
}

/* the whole (KH, KW, C) filter unpacked to int8 */
size_t topt_dwconv2d_s8w4__neon_scratch_bytes(const topt_dwconv2d_params* p) {
  if (!topt_dwconv2d_s8w4__neon_supports(p)) return 0;
  return (size_t)p->win.kernel_h * (size_t)p->win.kernel_w * (size_t)p->win.output.c;
}
