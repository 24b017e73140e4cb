/* topt_ref_typed.h: the loop bodies the int8 and int16 reference kernels share, one routine per family with
 * the activation type (topt_act_type) as a parameter: depthwise convolution, max and average pooling, global
 * average pooling, requantization between activation types.
 *
 * Each public kernel keeps its own file (STYLE.md convention 2), checks its params and calls the routine with
 * its types, so the int16 kernel cannot drift from its int8 twin. Windows are walked with the
 * tinyopt_rt_window.h helpers; elements are read and written through topt_ref_load / topt_ref_store. The
 * type is a constant at every call site, so an optimizing compiler folds the type switches away. Static
 * inline C99, reference kernels only: the optimized variants keep their own loops. Not a kernel: the callers
 * validate the params (topt_params_check.c) before calling.
 */
#ifndef TOPT_REF_TYPED_H
#define TOPT_REF_TYPED_H

#include "tinyopt_rt.h"
#include "tinyopt_rt_fixedpoint.h"
#include "tinyopt_rt_window.h"

/* Element i of an int8 or int16 activation array. */
static inline int32_t topt_ref_load(const void* base, int32_t i, topt_act_type t) {
  return t == TOPT_ACT_S16 ? ((const int16_t*)base)[i] : ((const int8_t*)base)[i];
}

/* Stores v, already clamped to the type's range by the caller. */
static inline void topt_ref_store(void* base, int32_t i, int32_t v, topt_act_type t) {
  if (t == TOPT_ACT_S16) {
    ((int16_t*)base)[i] = (int16_t)v;
  } else {
    ((int8_t*)base)[i] = (int8_t)v;
  }
}

/* How depthwise weights are stored: int8, or int4 packed two per byte (docs/numerics.md section 6). */
typedef enum { TOPT_REF_WEIGHTS_S8 = 0, TOPT_REF_WEIGHTS_S4 = 1 } topt_ref_weights;

/* Weight element i of a flat filter array stored as `weights`. */
static inline int32_t topt_ref_weight(const void* filter, int32_t i, topt_ref_weights weights) {
  return weights == TOPT_REF_WEIGHTS_S4 ? topt_int4_at((const uint8_t*)filter, i) : ((const int8_t*)filter)[i];
}

/* Depthwise 2-D convolution over NHWC, filter (1, KH, KW, C_out), output channel oc = ic * depth_multiplier + m
 * reading input channel ic only. int8 activations: int32 bias and accumulator, topt_output_s8 (docs/numerics.md
 * section 3). int16 activations (zero point 0, "16x8"): int64 bias and accumulator, requantize64 and the int16
 * clamp (section 4). bias: const int32_t* for int8, const int64_t* for int16, or NULL. The taps are summed in
 * int64 for both: the params checks bound an int8 window's sum to int32, so the int8 result is the int32 sum. */
static inline void topt_ref_dwconv2d(const topt_dwconv2d_params* p, const void* input, topt_act_type act,
                                     const void* filter, topt_ref_weights weights, const void* bias, void* output) {
  const topt_window2d* w = &p->win;
  const topt_channel_quant* q = &p->quant;
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        const int32_t out0 = topt_window_out(w, b, oy, ox); /* output (b, oy, ox, 0) */
        for (ic = 0; ic < w->input.c; ++ic) {
          for (m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = ic * p->depth_multiplier + m;
            int64_t acc = 0;
            int32_t v;
            for (ky = 0; ky < w->kernel_h; ++ky) {
              for (kx = 0; kx < w->kernel_w; ++kx) {
                const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
                if (in0 < 0) continue;
                acc += (int64_t)(topt_ref_load(input, in0 + ic, act) - q->input_zero_point) *
                       topt_ref_weight(filter, (ky * w->kernel_w + kx) * w->output.c + oc, weights);
              }
            }
            if (act == TOPT_ACT_S16) {
              if (bias != NULL) acc += ((const int64_t*)bias)[oc];
              v = (int32_t)topt_clamp64(topt_requantize64(acc, q->multiplier[oc], q->shift[oc]), q->act_min, q->act_max);
            } else {
              int32_t acc32 = (int32_t)acc;
              if (bias != NULL) acc32 += ((const int32_t*)bias)[oc];
              v = topt_output_s8(acc32, q->multiplier[oc], q->shift[oc], q->output_zero_point, q->act_min, q->act_max);
            }
            topt_ref_store(output, out0 + oc, v, act);
          }
        }
      }
    }
  }
}

typedef enum { TOPT_REF_POOL_MAX = 0, TOPT_REF_POOL_AVG = 1 } topt_ref_pool;

/* Max or average pooling over NHWC, input and output sharing quantization (docs/numerics.md section 5):
 * q_out = clamp(max, or round_half_away(S / n), of the window's n valid taps summing to S), padding not
 * counted; the mean uses C's truncating division as (S +- n/2) / n (TFLite's formula). The params checks
 * guarantee every window a valid tap and bound the average's int32 sum. */
static inline void topt_ref_pool2d(const topt_pool2d_params* p, const void* input, void* output, topt_act_type act,
                                   topt_ref_pool pool) {
  const topt_window2d* w = &p->win;
  int32_t b, oy, ox, c, ky, kx;
  for (b = 0; b < w->output.n; ++b) {
    for (oy = 0; oy < w->output.h; ++oy) {
      for (ox = 0; ox < w->output.w; ++ox) {
        const int32_t out0 = topt_window_out(w, b, oy, ox); /* output (b, oy, ox, 0) */
        for (c = 0; c < w->output.c; ++c) {
          int32_t sum = 0, n = 0, mx = INT32_MIN, v;
          for (ky = 0; ky < w->kernel_h; ++ky) {
            for (kx = 0; kx < w->kernel_w; ++kx) {
              const int32_t in0 = topt_window_tap(w, b, oy, ox, ky, kx); /* input (b, iy, ix, 0) or -1 */
              int32_t x;
              if (in0 < 0) continue;
              x = topt_ref_load(input, in0 + c, act);
              if (pool == TOPT_REF_POOL_AVG) {
                sum += x;
                ++n;
              } else if (x > mx) {
                mx = x;
              }
            }
          }
          v = pool == TOPT_REF_POOL_MAX ? mx : (sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n);
          topt_ref_store(output, out0 + c, topt_clamp32(v, p->act_min, p->act_max), act);
        }
      }
    }
  }
}

/* Global average pooling's params check: zero points of the type (int16: 0), and H * W times the largest
 * |q - z_in| (255 for int8, 32768 for int16) within int32, so the sum cannot overflow. */
static inline topt_status topt_ref_global_avgpool2d_check(const topt_global_pool_params* p, topt_act_type act) {
  const topt_dims* d;
  const int32_t lo = act == TOPT_ACT_S16 ? -32768 : -128, hi = act == TOPT_ACT_S16 ? 32767 : 127;
  if (p == NULL) return TOPT_ERR_NULL;
  d = &p->input;
  if (d->n < 1 || d->h < 1 || d->w < 1 || d->c < 1) return TOPT_ERR_SHAPE;
  if ((int64_t)d->n * d->h * d->w * d->c > INT32_MAX) return TOPT_ERR_SHAPE;
  if ((int64_t)d->h * d->w * (act == TOPT_ACT_S16 ? 32768 : 255) > INT32_MAX) return TOPT_ERR_SHAPE;
  if (act == TOPT_ACT_S16 ? (p->input_zero_point != 0 || p->output_zero_point != 0)
                          : (p->input_zero_point < lo || p->input_zero_point > hi || p->output_zero_point < lo ||
                             p->output_zero_point > hi))
    return TOPT_ERR_QUANT;
  if (p->requant.multiplier < 0 || p->requant.shift < -31 || p->requant.shift > 30) return TOPT_ERR_QUANT;
  if (p->act_min < lo || p->act_min > p->act_max || p->act_max > hi) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

/* Global average pooling, (N, H, W, C) -> (N, 1, 1, C): the mean and any change of scale are one
 * requantization, q_out = clamp(requantize(sum(q - z_in), M, shift) + z_out) with (M, shift) =
 * qm(s_in / (s_out * H * W)) (docs/numerics.md section 5). */
static inline void topt_ref_global_avgpool2d(const topt_global_pool_params* p, const void* input, void* output,
                                             topt_act_type act) {
  const int32_t hw = p->input.h * p->input.w;
  int32_t b, c, i;
  for (b = 0; b < p->input.n; ++b) {
    const int32_t in0 = b * hw * p->input.c; /* input (b, 0, 0, 0); (H*W, C) from there */
    for (c = 0; c < p->input.c; ++c) {
      int32_t acc = 0;
      for (i = 0; i < hw; ++i) acc += topt_ref_load(input, in0 + i * p->input.c + c, act) - p->input_zero_point;
      topt_ref_store(output, b * p->input.c + c,
                     topt_add_zp_clamp(topt_requantize(acc, p->requant.multiplier, p->requant.shift),
                                       p->output_zero_point, p->act_min, p->act_max),
                     act);
    }
  }
}

/* Requantization between activation types (docs/numerics.md section 5, "Requantize"):
 * q_out = clamp(requantize(q_in - z_in, M, shift) + z_out, act_min, act_max); int16 zero points are 0. */
static inline void topt_ref_requantize(const topt_requantize_params* p, const void* input, topt_act_type in,
                                       void* output, topt_act_type out) {
  int32_t i;
  for (i = 0; i < p->count; ++i) {
    const int32_t v =
        topt_requantize(topt_ref_load(input, i, in) - p->input_zero_point, p->requant.multiplier, p->requant.shift);
    topt_ref_store(output, i, topt_add_zp_clamp(v, p->output_zero_point, p->act_min, p->act_max), out);
  }
}

#endif /* TOPT_REF_TYPED_H */
