/* topt_params_check.c: validation of the parameter structs shared by the variants of the conv, depthwise,
 * dense, pooling and requantize families (limits of docs/numerics.md section 11).
 *
 * Every kernel calls the check of its family at entry, and its _supports() predicate builds on it, so a
 * variant can never accept parameters its reference rejects. Not a kernel; no data is looked at, only
 * sizes and quantization parameters (O(channels) work at most).
 */
#include "tinyopt_rt.h"

/* Size over speed here: the checks run once per kernel call, and every model links them (ds-cnn's runtime
 * must fit 8 KiB of flash, docs/emulation.md). gcc only; other compilers keep the build's level. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("Os")
#endif

#define TOPT_MAX_K_S8 32896        /* K * 255 * 128 < 2^30: int32 accumulators cannot overflow */
#define TOPT_MAX_K_S16 16777216    /* K * 32768 * 128 < 2^46 */
#define TOPT_MAX_EXTENT 1073741824 /* bound on window index arithmetic: fits int32 with room */

static int dims_ok(const topt_dims* d) {
  if (d->n < 1 || d->h < 1 || d->w < 1 || d->c < 1) return 0;
  return (int64_t)d->n * d->h * d->w * d->c <= INT32_MAX;
}

static topt_status window_check(const topt_window2d* w) {
  if (!dims_ok(&w->input) || !dims_ok(&w->output)) return TOPT_ERR_SHAPE;
  if (w->output.n != w->input.n) return TOPT_ERR_SHAPE;
  if (w->kernel_h < 1 || w->kernel_w < 1 || w->stride_h < 1 || w->stride_w < 1) return TOPT_ERR_SHAPE;
  if (w->dilation_h < 1 || w->dilation_w < 1 || w->pad_top < 0 || w->pad_left < 0) return TOPT_ERR_SHAPE;
  if ((int64_t)(w->output.h - 1) * w->stride_h + (int64_t)(w->kernel_h - 1) * w->dilation_h + w->pad_top + w->input.h >
      TOPT_MAX_EXTENT)
    return TOPT_ERR_SHAPE;
  if ((int64_t)(w->output.w - 1) * w->stride_w + (int64_t)(w->kernel_w - 1) * w->dilation_w + w->pad_left + w->input.w >
      TOPT_MAX_EXTENT)
    return TOPT_ERR_SHAPE;
  return TOPT_OK;
}

static int act_range_ok(int32_t act_min, int32_t act_max, topt_act_type act) {
  const int32_t lo = act == TOPT_ACT_S8 ? -128 : -32768;
  const int32_t hi = act == TOPT_ACT_S8 ? 127 : 32767;
  return lo <= act_min && act_min <= act_max && act_max <= hi;
}

static topt_status channel_quant_check(const topt_channel_quant* q, int32_t channels, topt_act_type act) {
  int32_t c;
  const int32_t max_shift = act == TOPT_ACT_S8 ? 30 : 14;
  if (q->multiplier == NULL || q->shift == NULL) return TOPT_ERR_NULL;
  if (act == TOPT_ACT_S8) {
    if (q->input_zero_point < -128 || q->input_zero_point > 127) return TOPT_ERR_QUANT;
    if (q->output_zero_point < -128 || q->output_zero_point > 127) return TOPT_ERR_QUANT;
  } else if (q->input_zero_point != 0 || q->output_zero_point != 0) {
    return TOPT_ERR_QUANT;
  }
  if (!act_range_ok(q->act_min, q->act_max, act)) return TOPT_ERR_QUANT;
  for (c = 0; c < channels; ++c) {
    if (q->multiplier[c] < 0 || q->shift[c] < -31 || q->shift[c] > max_shift) return TOPT_ERR_QUANT;
  }
  return TOPT_OK;
}

topt_status topt_conv2d_params_check(const topt_conv2d_params* p, topt_act_type act) {
  topt_status st;
  int64_t k;
  if (p == NULL) return TOPT_ERR_NULL;
  st = window_check(&p->win);
  if (st != TOPT_OK) return st;
  k = (int64_t)p->win.kernel_h * p->win.kernel_w * p->win.input.c;
  if (k > (act == TOPT_ACT_S8 ? TOPT_MAX_K_S8 : TOPT_MAX_K_S16)) return TOPT_ERR_SHAPE;
  if (k * p->win.output.c > INT32_MAX) return TOPT_ERR_SHAPE;
  return channel_quant_check(&p->quant, p->win.output.c, act);
}

static topt_status dwconv2d_check(const topt_dwconv2d_params* p, topt_act_type act) {
  topt_status st;
  if (p == NULL) return TOPT_ERR_NULL;
  st = window_check(&p->win);
  if (st != TOPT_OK) return st;
  if (p->depth_multiplier < 1 || (int64_t)p->win.input.c * p->depth_multiplier != p->win.output.c)
    return TOPT_ERR_SHAPE;
  if ((int64_t)p->win.kernel_h * p->win.kernel_w > (act == TOPT_ACT_S8 ? TOPT_MAX_K_S8 : TOPT_MAX_K_S16))
    return TOPT_ERR_SHAPE;
  if ((int64_t)p->win.kernel_h * p->win.kernel_w * p->win.output.c > INT32_MAX) return TOPT_ERR_SHAPE;
  return channel_quant_check(&p->quant, p->win.output.c, act);
}

topt_status topt_dwconv2d_params_check(const topt_dwconv2d_params* p) { return dwconv2d_check(p, TOPT_ACT_S8); }

topt_status topt_dwconv2d_s16_params_check(const topt_dwconv2d_params* p) { return dwconv2d_check(p, TOPT_ACT_S16); }

topt_status topt_dense_params_check(const topt_dense_params* p, topt_act_type act) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->batches < 1 || p->in_features < 1 || p->out_features < 1) return TOPT_ERR_SHAPE;
  if (p->in_features > (act == TOPT_ACT_S8 ? TOPT_MAX_K_S8 : TOPT_MAX_K_S16)) return TOPT_ERR_SHAPE;
  if ((int64_t)p->batches * p->in_features > INT32_MAX) return TOPT_ERR_SHAPE;
  if ((int64_t)p->batches * p->out_features > INT32_MAX) return TOPT_ERR_SHAPE;
  if ((int64_t)p->out_features * p->in_features > INT32_MAX) return TOPT_ERR_SHAPE;
  return channel_quant_check(&p->quant, p->out_features, act);
}

static topt_status pool2d_check(const topt_pool2d_params* p, topt_act_type act) {
  topt_status st;
  const topt_window2d* w;
  if (p == NULL) return TOPT_ERR_NULL;
  w = &p->win;
  st = window_check(w);
  if (st != TOPT_OK) return st;
  if (w->output.c != w->input.c || w->dilation_h != 1 || w->dilation_w != 1) return TOPT_ERR_SHAPE;
  /* every window holds a valid tap: the first ends inside the input, the last starts inside it */
  if (w->pad_top >= w->kernel_h || w->pad_left >= w->kernel_w) return TOPT_ERR_SHAPE;
  if ((int64_t)(w->output.h - 1) * w->stride_h - w->pad_top >= w->input.h) return TOPT_ERR_SHAPE;
  if ((int64_t)(w->output.w - 1) * w->stride_w - w->pad_left >= w->input.w) return TOPT_ERR_SHAPE;
  /* bounds the average pool's int32 sum: 255 per tap for int8 (as before), 32768 for int16 */
  if ((int64_t)w->kernel_h * w->kernel_w * (act == TOPT_ACT_S8 ? 255 : 32768) > INT32_MAX) return TOPT_ERR_SHAPE;
  if (!act_range_ok(p->act_min, p->act_max, act)) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

topt_status topt_pool2d_params_check(const topt_pool2d_params* p) { return pool2d_check(p, TOPT_ACT_S8); }

topt_status topt_pool2d_s16_params_check(const topt_pool2d_params* p) { return pool2d_check(p, TOPT_ACT_S16); }

/* Both halves valid and the pool reading exactly the conv's output. */
topt_status topt_conv2d_maxpool_params_check(const topt_conv2d_maxpool_params* p) {
  topt_status st;
  const topt_dims *a, *b;
  if (p == NULL) return TOPT_ERR_NULL;
  st = topt_conv2d_params_check(&p->conv, TOPT_ACT_S8);
  if (st != TOPT_OK) return st;
  st = pool2d_check(&p->pool, TOPT_ACT_S8);
  if (st != TOPT_OK) return st;
  a = &p->conv.win.output;
  b = &p->pool.win.input;
  if (a->n != b->n || a->h != b->h || a->w != b->w || a->c != b->c) return TOPT_ERR_SHAPE;
  return TOPT_OK;
}

static int zero_point_ok(int32_t zero_point, topt_act_type act) {
  return act == TOPT_ACT_S8 ? (zero_point >= -128 && zero_point <= 127) : zero_point == 0;
}

topt_status topt_requantize_params_check(const topt_requantize_params* p, topt_act_type in, topt_act_type out) {
  if (p == NULL) return TOPT_ERR_NULL;
  if (p->count < 1) return TOPT_ERR_SHAPE;
  if (!zero_point_ok(p->input_zero_point, in) || !zero_point_ok(p->output_zero_point, out)) return TOPT_ERR_QUANT;
  if (p->requant.multiplier < 0 || p->requant.shift < -31 || p->requant.shift > 30) return TOPT_ERR_QUANT;
  if (!act_range_ok(p->act_min, p->act_max, out)) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_conv2d_is_pointwise(const topt_conv2d_params* p) {
  const topt_window2d* w = &p->win;
  return w->kernel_h == 1 && w->kernel_w == 1 && w->stride_h == 1 && w->stride_w == 1 && w->pad_top == 0 &&
         w->pad_left == 0 && w->output.h == w->input.h && w->output.w == w->input.w;
}
