/* tinyopt_rt_window.h: the sliding-window index arithmetic shared by the conv, depthwise and pooling
 * kernels of every variant (static inline C99): where tap (ky, kx) of output pixel (b, oy, ox) reads, or
 * that it falls into the implicit padding. Offsets fit int32 because the params checks bound every extent.
 * Also the im2col row gather the optimized conv variants share. Not a loop framework: kernels keep their own
 * loop nests.
 */
#ifndef TINYOPT_RT_WINDOW_H
#define TINYOPT_RT_WINDOW_H

#include "tinyopt_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element offset of input pixel (b, iy, ix) (channel 0) for tap (ky, kx) of output (b, oy, ox), or -1
 * when the tap lies in the padding. */
static inline int32_t topt_window_tap(const topt_window2d* w, int32_t b, int32_t oy, int32_t ox, int32_t ky,
                                      int32_t kx) {
  const int32_t iy = oy * w->stride_h - w->pad_top + ky * w->dilation_h;
  const int32_t ix = ox * w->stride_w - w->pad_left + kx * w->dilation_w;
  if (iy < 0 || iy >= w->input.h || ix < 0 || ix >= w->input.w) return -1;
  return ((b * w->input.h + iy) * w->input.w + ix) * w->input.c;
}

/* Element offset of output pixel (b, oy, ox) (channel 0). */
static inline int32_t topt_window_out(const topt_window2d* w, int32_t b, int32_t oy, int32_t ox) {
  return ((b * w->output.h + oy) * w->output.w + ox) * w->output.c;
}

/* Along one axis, the taps k of output position o that fall inside the input (o * stride - pad + k * dilation
 * in [0, size)) form one range [*lo, *hi), empty when *lo == *hi. Kernels that walk a window by pointer
 * increments use it to skip the padding without a test per tap. */
static inline void topt_window_tap_range(int32_t o, int32_t stride, int32_t pad, int32_t dilation, int32_t kernel,
                                         int32_t size, int32_t* lo, int32_t* hi) {
  const int32_t base = o * stride - pad;
  int32_t k0 = 0, k1 = kernel;
  while (k0 < kernel && base + k0 * dilation < 0) ++k0;
  while (k1 > k0 && base + (k1 - 1) * dilation >= size) --k1;
  *lo = k0;
  *hi = k1;
}

/* The im2col row of output pixel (b, oy, ox): its (kernel_h, kernel_w, C_in) window as int8, in the order
 * of an OHWI filter row, with taps in the padding set to pad_value. With pad_value = z_in a padded tap
 * contributes (z_in - z_in) * w = 0, exactly what the reference's skipped tap contributes. row: KH*KW*C_in. */
static inline void topt_window_im2col_s8(const topt_window2d* w, const int8_t* input, int32_t b, int32_t oy,
                                         int32_t ox, int8_t pad_value, int8_t* row) {
  int32_t ky, kx, c;
  for (ky = 0; ky < w->kernel_h; ++ky) {
    for (kx = 0; kx < w->kernel_w; ++kx) {
      const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx);
      if (in0 >= 0) {
        for (c = 0; c < w->input.c; ++c) row[c] = input[in0 + c];
      } else {
        for (c = 0; c < w->input.c; ++c) row[c] = pad_value;
      }
      row += w->input.c;
    }
  }
}

#ifdef __cplusplus
}
#endif

#endif /* TINYOPT_RT_WINDOW_H */
