/* kernel_driver.c: the program the emu kernel tests and the emu_kernels benchmark build for the host, the
 * emulated Cortex-M4 / M7 and aarch64 (src/emulate/kernel_driver_run.cpp builds and runs it).
 *
 * It reads "cases.cfg" ("random SEED COUNT" or "bench"), makes that many parameter sets with a seeded
 * generator that is identical on every platform (randomized shapes and quantization parameters, or the
 * MLPerf Tiny layer shapes), and runs every kernel compiled into this build (the kernel table of
 * tinyopt_rt_registry.h: ref everywhere, dsp on Cortex-M, neon on aarch64) that supports each case. Per
 * kernel call it prints one line
 *   case <index> <family> <kernel> <macs> <output bytes> <status> <description of the case>
 * appends the output bytes to "outputs.bin", and brackets the call with the instruction-count markers, so
 * the plugin's regions are these lines in order. The host test compares every record with the host's
 * family-reference record of the same case, byte for byte. It checks nothing itself.
 */
#include <stdio.h>
#include <string.h>

#include "emu_harness.h"
#include "tinyopt_rt_registry.h"

/* ---- a generator that gives the same numbers on every platform ------------------------------------ */
static uint32_t rng_state = 1;
static uint32_t rnd(void) { /* xorshift32 */
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}
static int32_t rnd_in(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

/* ---- buffers (static: no heap on the device) ---------------------------------------------------- */
enum { kMaxIn = 96 * 1024, kMaxOut = 96 * 1024, kMaxFilter = 128 * 1024, kMaxCh = 1024, kMaxScratch = 160 * 1024 };
static int8_t input[kMaxIn];
static int8_t filter[kMaxFilter];
static int32_t bias32[kMaxCh];
static int64_t bias64[kMaxCh];
static int32_t mult[kMaxCh], shift[kMaxCh];
static int8_t output[kMaxOut];
static int64_t scratch_words[kMaxScratch / 8];

/* ---- one case: the params of its family and its size ------------------------------------------------ */
typedef struct {
  topt_family family;
  topt_conv2d_params conv;
  topt_dwconv2d_params dw;
  topt_dense_params dense;
  int has_bias;
  long macs;
  size_t in_bytes, out_bytes, filter_bytes;
} kcase;

static void fill_quant(topt_channel_quant* q, int32_t channels, int32_t k, int s16) {
  int32_t c, log2k = 0;
  while ((1 << log2k) < k) ++log2k;
  for (c = 0; c < channels; ++c) {
    mult[c] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
    /* accumulators ~ 2^(14 + log2k/2); map them roughly onto the output range, with spread */
    shift[c] = (s16 ? 2 : -6) - log2k / 2 + rnd_in(-3, 2);
    if (shift[c] < -31) shift[c] = -31;
  }
  q->multiplier = mult;
  q->shift = shift;
  if (s16) {
    q->input_zero_point = q->output_zero_point = 0;
    q->act_min = rnd_in(0, 3) == 0 ? 0 : -32768;
    q->act_max = 32767;
  } else {
    q->input_zero_point = rnd_in(-128, 127);
    q->output_zero_point = rnd_in(-128, 127);
    q->act_min = rnd_in(0, 2) == 0 ? q->output_zero_point : -128; /* a fused ReLU sometimes */
    q->act_max = rnd_in(0, 3) == 0 ? (q->act_min + 127 > 127 ? 127 : q->act_min + 127) : 127;
  }
}

/* A random window; pointwise forces a 1x1 stride-1 unpadded one. Returns 0 when the output is empty. */
static int random_window(topt_window2d* w, int32_t cin, int32_t cout, int pointwise, int depthwise) {
  static const int32_t sizes[] = {1, 2, 3, 3, 5};
  int32_t pad_bottom, pad_right;
  w->input.n = rnd_in(1, 2);
  w->input.h = rnd_in(1, 9);
  w->input.w = rnd_in(1, 9);
  w->input.c = cin;
  w->kernel_h = pointwise ? 1 : sizes[rnd_in(0, 4)];
  w->kernel_w = pointwise ? 1 : sizes[rnd_in(0, 4)];
  w->stride_h = pointwise ? 1 : rnd_in(1, 2);
  w->stride_w = pointwise ? 1 : rnd_in(1, 2);
  w->dilation_h = (pointwise || rnd_in(0, 4)) ? 1 : 2;
  w->dilation_w = (pointwise || rnd_in(0, 4)) ? 1 : 2;
  w->pad_top = pointwise ? 0 : rnd_in(0, w->kernel_h - 1);
  w->pad_left = pointwise ? 0 : rnd_in(0, w->kernel_w - 1);
  pad_bottom = pointwise ? 0 : rnd_in(0, w->kernel_h - 1);
  pad_right = pointwise ? 0 : rnd_in(0, w->kernel_w - 1);
  w->output.n = w->input.n;
  w->output.h = (w->input.h + w->pad_top + pad_bottom - w->dilation_h * (w->kernel_h - 1) - 1) / w->stride_h + 1;
  w->output.w = (w->input.w + w->pad_left + pad_right - w->dilation_w * (w->kernel_w - 1) - 1) / w->stride_w + 1;
  w->output.c = cout;
  (void)depthwise;
  return w->output.h >= 1 && w->output.w >= 1 &&
         w->input.h + w->pad_top + pad_bottom >= w->dilation_h * (w->kernel_h - 1) + 1 &&
         w->input.w + w->pad_left + pad_right >= w->dilation_w * (w->kernel_w - 1) + 1;
}

/* The case in words, for failure messages (STYLE.md 9: a failure must be reproducible from its message). */
static void describe(const kcase* k, char* buf, size_t size) {
  const topt_window2d* w = k->family == TOPT_FAMILY_dwconv2d_s8 || k->family == TOPT_FAMILY_dwconv2d_s8w4
                               ? &k->dw.win
                               : &k->conv.win;
  const topt_channel_quant* q = k->family == TOPT_FAMILY_dwconv2d_s8 || k->family == TOPT_FAMILY_dwconv2d_s8w4
                                    ? &k->dw.quant
                                    : &k->conv.quant;
  if (k->family == TOPT_FAMILY_dense_s8 || k->family == TOPT_FAMILY_dense_s8w4 || k->family == TOPT_FAMILY_dense_s16) {
    q = &k->dense.quant;
    snprintf(buf, size, "batches=%ld in=%ld out=%ld bias=%d zp_in=%ld zp_out=%ld act=[%ld,%ld] shift0=%ld",
             (long)k->dense.batches, (long)k->dense.in_features, (long)k->dense.out_features, k->has_bias,
             (long)q->input_zero_point, (long)q->output_zero_point, (long)q->act_min, (long)q->act_max,
             (long)q->shift[0]);
    return;
  }
  snprintf(buf, size,
           "in=%ldx%ldx%ldx%ld out=%ldx%ldx%ldx%ld k=%ldx%ld s=%ldx%ld d=%ldx%ld pad=%ld,%ld bias=%d zp_in=%ld "
           "zp_out=%ld act=[%ld,%ld] shift0=%ld",
           (long)w->input.n, (long)w->input.h, (long)w->input.w, (long)w->input.c, (long)w->output.n,
           (long)w->output.h, (long)w->output.w, (long)w->output.c, (long)w->kernel_h, (long)w->kernel_w,
           (long)w->stride_h, (long)w->stride_w, (long)w->dilation_h, (long)w->dilation_w, (long)w->pad_top,
           (long)w->pad_left, k->has_bias, (long)q->input_zero_point, (long)q->output_zero_point,
           (long)q->act_min, (long)q->act_max, (long)q->shift[0]);
}

static size_t dims_count(const topt_dims* d) { return (size_t)d->n * d->h * d->w * d->c; }

/* Sizes and MACs of a case from its params (elements: bytes for s8, twice that for s16 activations). */
static int finish_case(kcase* k) {
  const int s16 = k->family == TOPT_FAMILY_conv2d_s16 || k->family == TOPT_FAMILY_dense_s16;
  const int w4 = k->family == TOPT_FAMILY_conv2d_s8w4 || k->family == TOPT_FAMILY_dwconv2d_s8w4 ||
                 k->family == TOPT_FAMILY_dense_s8w4;
  size_t in_elems, out_elems, weights;
  if (k->family == TOPT_FAMILY_dense_s8 || k->family == TOPT_FAMILY_dense_s8w4 || k->family == TOPT_FAMILY_dense_s16) {
    in_elems = (size_t)k->dense.batches * k->dense.in_features;
    out_elems = (size_t)k->dense.batches * k->dense.out_features;
    weights = (size_t)k->dense.out_features * k->dense.in_features;
    k->macs = (long)(k->dense.batches * weights);
  } else if (k->family == TOPT_FAMILY_dwconv2d_s8 || k->family == TOPT_FAMILY_dwconv2d_s8w4) {
    in_elems = dims_count(&k->dw.win.input);
    out_elems = dims_count(&k->dw.win.output);
    weights = (size_t)k->dw.win.kernel_h * k->dw.win.kernel_w * k->dw.win.output.c;
    k->macs = (long)(out_elems * k->dw.win.kernel_h * k->dw.win.kernel_w);
  } else {
    in_elems = dims_count(&k->conv.win.input);
    out_elems = dims_count(&k->conv.win.output);
    weights = (size_t)k->conv.win.output.c * k->conv.win.kernel_h * k->conv.win.kernel_w * k->conv.win.input.c;
    k->macs = (long)(out_elems * k->conv.win.kernel_h * k->conv.win.kernel_w * k->conv.win.input.c);
  }
  k->in_bytes = in_elems * (s16 ? 2 : 1);
  k->out_bytes = out_elems * (s16 ? 2 : 1);
  k->filter_bytes = w4 ? (weights + 1) / 2 : weights;
  return k->in_bytes <= kMaxIn && k->out_bytes <= kMaxOut && k->filter_bytes <= kMaxFilter;
}

static void random_data(const kcase* k) {
  size_t i;
  int32_t c;
  for (i = 0; i < k->in_bytes; ++i) input[i] = (int8_t)rnd();
  for (i = 0; i < k->filter_bytes; ++i) filter[i] = (int8_t)rnd();
  /* int8 filters: the reference range is symmetric [-127, 127] */
  for (i = 0; i < k->filter_bytes; ++i)
    if (filter[i] == -128) filter[i] = -127;
  for (c = 0; c < kMaxCh; ++c) {
    bias32[c] = rnd_in(-20000, 20000);
    bias64[c] = (int64_t)rnd_in(-2000000, 2000000);
  }
}

/* A random case of `family`; 0 when it does not fit the buffers (the caller draws again). */
static int random_case(kcase* k, topt_family family) {
  memset(k, 0, sizeof *k);
  k->family = family;
  k->has_bias = rnd_in(0, 4) != 0;
  switch (family) {
    case TOPT_FAMILY_conv2d_s8:
    case TOPT_FAMILY_conv2d_s8w4:
    case TOPT_FAMILY_conv2d_s16: {
      const int pointwise = rnd_in(0, 2) == 0;
      const int32_t cin = rnd_in(1, 24), cout = rnd_in(1, 24);
      if (!random_window(&k->conv.win, cin, cout, pointwise, 0)) return 0;
      fill_quant(&k->conv.quant, cout, k->conv.win.kernel_h * k->conv.win.kernel_w * cin,
                 family == TOPT_FAMILY_conv2d_s16);
      break;
    }
    case TOPT_FAMILY_dwconv2d_s8:
    case TOPT_FAMILY_dwconv2d_s8w4: {
      const int32_t cin = rnd_in(1, 24), mult_ = rnd_in(0, 3) == 0 ? rnd_in(2, 3) : 1;
      if (!random_window(&k->dw.win, cin, cin * mult_, 0, 1)) return 0;
      k->dw.depth_multiplier = mult_;
      fill_quant(&k->dw.quant, cin * mult_, k->dw.win.kernel_h * k->dw.win.kernel_w, 0);
      break;
    }
    case TOPT_FAMILY_dense_s8:
    case TOPT_FAMILY_dense_s8w4:
    case TOPT_FAMILY_dense_s16:
      k->dense.batches = rnd_in(1, 3);
      k->dense.in_features = rnd_in(1, 200);
      k->dense.out_features = rnd_in(1, 40);
      fill_quant(&k->dense.quant, k->dense.out_features, k->dense.in_features, family == TOPT_FAMILY_dense_s16);
      break;
    default:
      return 0;
  }
  return finish_case(k);
}

/* ---- the MLPerf Tiny layer shapes (bench mode); same list as bench/runtime_kernels_bench.cpp -------- */
typedef struct {
  const char* name;
  int kind; /* 0 conv, 1 depthwise, 2 dense */
  int32_t h, w, cin, cout, kh, kw, stride, pad_top, pad_left, pad_bottom, pad_right;
} bench_layer;

static const bench_layer kBench[] = {
    {"ds-cnn conv1 10x4 s2 1->64 @49x10", 0, 49, 10, 1, 64, 10, 4, 2, 4, 1, 5, 1},
    {"ds-cnn dw 3x3 64ch @25x5", 1, 25, 5, 64, 64, 3, 3, 1, 1, 1, 1, 1},
    {"ds-cnn pw 1x1 64->64 @25x5", 0, 25, 5, 64, 64, 1, 1, 1, 0, 0, 0, 0},
    {"ds-cnn fc 64->12", 2, 1, 1, 64, 12, 1, 1, 1, 0, 0, 0, 0},
    {"resnet8 conv 3x3 3->16 @32x32", 0, 32, 32, 3, 16, 3, 3, 1, 1, 1, 1, 1},
    {"resnet8 conv 3x3 16->16 @32x32", 0, 32, 32, 16, 16, 3, 3, 1, 1, 1, 1, 1},
    {"resnet8 conv 3x3 s2 16->32 @32x32", 0, 32, 32, 16, 32, 3, 3, 2, 1, 1, 1, 1},
    {"resnet8 shortcut 1x1 s2 16->32 @32x32", 0, 32, 32, 16, 32, 1, 1, 2, 0, 0, 0, 0},
    {"resnet8 conv 3x3 64->64 @8x8", 0, 8, 8, 64, 64, 3, 3, 1, 1, 1, 1, 1},
    {"mobilenetv1-0.25 dw 3x3 8ch @48x48", 1, 48, 48, 8, 8, 3, 3, 1, 1, 1, 1, 1},
    {"mobilenetv1-0.25 pw 1x1 8->16 @48x48", 0, 48, 48, 8, 16, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenetv1-0.25 dw 3x3 s2 32ch @24x24", 1, 24, 24, 32, 32, 3, 3, 2, 1, 1, 1, 1},
    {"mobilenetv1-0.25 pw 1x1 128->128 @6x6", 0, 6, 6, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"fc-autoencoder fc 640->128", 2, 1, 1, 640, 128, 1, 1, 1, 0, 0, 0, 0},
    {"fc-autoencoder fc 128->128", 2, 1, 1, 128, 128, 1, 1, 1, 0, 0, 0, 0},
};

static int bench_case(kcase* k, const bench_layer* l) {
  topt_window2d* w = l->kind == 1 ? &k->dw.win : &k->conv.win;
  memset(k, 0, sizeof *k);
  k->has_bias = 1;
  if (l->kind == 2) {
    k->family = TOPT_FAMILY_dense_s8;
    k->dense.batches = 1;
    k->dense.in_features = l->cin;
    k->dense.out_features = l->cout;
    fill_quant(&k->dense.quant, l->cout, l->cin, 0);
    return finish_case(k);
  }
  k->family = l->kind == 1 ? TOPT_FAMILY_dwconv2d_s8 : TOPT_FAMILY_conv2d_s8;
  w->input.n = w->output.n = 1;
  w->input.h = l->h, w->input.w = l->w, w->input.c = l->cin;
  w->kernel_h = l->kh, w->kernel_w = l->kw;
  w->stride_h = w->stride_w = l->stride;
  w->dilation_h = w->dilation_w = 1;
  w->pad_top = l->pad_top, w->pad_left = l->pad_left;
  w->output.h = (l->h + l->pad_top + l->pad_bottom - l->kh) / l->stride + 1;
  w->output.w = (l->w + l->pad_left + l->pad_right - l->kw) / l->stride + 1;
  w->output.c = l->cout;
  if (l->kind == 1) {
    k->dw.depth_multiplier = 1;
    fill_quant(&k->dw.quant, l->cout, l->kh * l->kw, 0);
  } else {
    fill_quant(&k->conv.quant, l->cout, l->kh * l->kw * l->cin, 0);
  }
  return finish_case(k);
}

/* ---- running every compiled-in kernel of the case's family --------------------------------------- */
static const char* const kFamilyNames[] = {
#define TOPT_FAMILY(family, params_type) #family,
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
};

/* Calls kernel `info` on case k if it supports it; returns -1 when unsupported, else the status. */
static int run_kernel(const topt_kernel_info* info, const kcase* k, FILE* out) {
  void* scratch = scratch_words;
  const int32_t* b32 = k->has_bias ? bias32 : NULL;
  const int64_t* b64 = k->has_bias ? bias64 : NULL;
  size_t need = 0;
  topt_status st = TOPT_OK;
#define EMU_SUPPORTS(fam, params) \
  if (!((topt_##fam##_supports_fn*)info->supports)(params)) return -1; \
  need = ((topt_##fam##_scratch_bytes_fn*)info->scratch_bytes)(params);
  switch (k->family) {
    case TOPT_FAMILY_conv2d_s8: EMU_SUPPORTS(conv2d_s8, &k->conv) break;
    case TOPT_FAMILY_conv2d_s8w4: EMU_SUPPORTS(conv2d_s8w4, &k->conv) break;
    case TOPT_FAMILY_conv2d_s16: EMU_SUPPORTS(conv2d_s16, &k->conv) break;
    case TOPT_FAMILY_dwconv2d_s8: EMU_SUPPORTS(dwconv2d_s8, &k->dw) break;
    case TOPT_FAMILY_dwconv2d_s8w4: EMU_SUPPORTS(dwconv2d_s8w4, &k->dw) break;
    case TOPT_FAMILY_dense_s8: EMU_SUPPORTS(dense_s8, &k->dense) break;
    case TOPT_FAMILY_dense_s8w4: EMU_SUPPORTS(dense_s8w4, &k->dense) break;
    case TOPT_FAMILY_dense_s16: EMU_SUPPORTS(dense_s16, &k->dense) break;
    default: return -1;
  }
#undef EMU_SUPPORTS
  if (need > sizeof scratch_words) return -1; /* reported as unsupported: the buffers are too small */
  memset(output, 0x5A, k->out_bytes);
  emu_region_begin();
  switch (k->family) {
    case TOPT_FAMILY_conv2d_s8:
      st = ((topt_conv2d_s8_fn*)info->run)(&k->conv, input, filter, b32, output, scratch);
      break;
    case TOPT_FAMILY_conv2d_s8w4:
      st = ((topt_conv2d_s8w4_fn*)info->run)(&k->conv, input, (const uint8_t*)filter, b32, output, scratch);
      break;
    case TOPT_FAMILY_conv2d_s16:
      st = ((topt_conv2d_s16_fn*)info->run)(&k->conv, (const int16_t*)(void*)input, filter, b64,
                                            (int16_t*)(void*)output, scratch);
      break;
    case TOPT_FAMILY_dwconv2d_s8:
      st = ((topt_dwconv2d_s8_fn*)info->run)(&k->dw, input, filter, b32, output, scratch);
      break;
    case TOPT_FAMILY_dwconv2d_s8w4:
      st = ((topt_dwconv2d_s8w4_fn*)info->run)(&k->dw, input, (const uint8_t*)filter, b32, output, scratch);
      break;
    case TOPT_FAMILY_dense_s8:
      st = ((topt_dense_s8_fn*)info->run)(&k->dense, input, filter, b32, output, scratch);
      break;
    case TOPT_FAMILY_dense_s8w4:
      st = ((topt_dense_s8w4_fn*)info->run)(&k->dense, input, (const uint8_t*)filter, b32, output, scratch);
      break;
    case TOPT_FAMILY_dense_s16:
      st = ((topt_dense_s16_fn*)info->run)(&k->dense, (const int16_t*)(void*)input, filter, b64,
                                           (int16_t*)(void*)output, scratch);
      break;
    default:
      break;
  }
  emu_region_end();
  fwrite(output, 1, k->out_bytes, out);
  return (int)st;
}

static const topt_family kRandomFamilies[] = {
    TOPT_FAMILY_conv2d_s8,   TOPT_FAMILY_conv2d_s8w4, TOPT_FAMILY_conv2d_s16, TOPT_FAMILY_dwconv2d_s8,
    TOPT_FAMILY_dwconv2d_s8w4, TOPT_FAMILY_dense_s8,  TOPT_FAMILY_dense_s8w4, TOPT_FAMILY_dense_s16,
};

int main(void) {
  char mode[16] = "";
  unsigned long seed = 1, count = 0, i;
  size_t n_kernels, j;
  const topt_kernel_info* kernels = topt_kernels(&n_kernels);
  FILE* cfg = fopen("cases.cfg", "r");
  FILE* out = fopen("outputs.bin", "wb");
  if (cfg == NULL || out == NULL || fscanf(cfg, "%15s %lu %lu", mode, &seed, &count) < 1) {
    fprintf(stderr, "kernel_driver: cannot read cases.cfg or write outputs.bin\n");
    return 2;
  }
  fclose(cfg);
  rng_state = (uint32_t)seed | 1u;
  if (strcmp(mode, "bench") == 0) count = sizeof kBench / sizeof kBench[0];
  for (i = 0; i < count; ++i) {
    kcase k;
    char label[640];
    if (strcmp(mode, "bench") == 0) {
      if (!bench_case(&k, &kBench[i])) return 3;
      snprintf(label, sizeof label, "%s", kBench[i].name);
    } else {
      const topt_family family = kRandomFamilies[i % (sizeof kRandomFamilies / sizeof kRandomFamilies[0])];
      while (!random_case(&k, family)) {
      }
    }
    if (strcmp(mode, "bench") != 0) describe(&k, label, sizeof label);
    random_data(&k);
    for (j = 0; j < n_kernels; ++j) {
      int st;
      if (kernels[j].family != k.family) continue;
      st = run_kernel(&kernels[j], &k, out);
      if (st < 0) continue;
      printf("case %lu %s %s %ld %lu %d %s\n", i, kFamilyNames[k.family], kernels[j].name, k.macs,
             (unsigned long)k.out_bytes, st, label);
    }
  }
  fclose(out);
  return 0;
}
