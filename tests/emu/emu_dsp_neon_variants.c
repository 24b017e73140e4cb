/* emu_dsp_neon_variants.c: a guest program (runs under qemu) that checks every Arm kernel variant compiled
 * into it — dsp rows on Cortex-M, neon rows on aarch64, chosen by TOPT_WHEN_<variant> from the kernel list —
 * against its family reference, byte for byte, over randomized shapes and parameters.
 *
 * Cases cover what breaks SIMD kernels: channel and feature counts that are not multiples of 4, 8 or 16,
 * 1x1 kernels, strides 1-3, dilation 1-2, padding, batch > 1, zero points at -128 and 127, clamps, extreme
 * multipliers and shifts (left shifts too, and cases with only right shifts as real layers have), int8
 * weights including -128 and every int4 nibble, bias present or NULL. Scratch and output buffers carry
 * guard bytes that must stay untouched. Prints one line per kernel ("PASS <name> cases=<n>" or "FAIL ..."
 * with the case's shape, quantization and first differing byte), and exits 1 on any failure. Driven by
 * tests/emu/emu_dsp_neon_variants_test.cpp; the seed is -DEMU_VARIANTS_SEED=n (default 1; nonzero) so a
 * failure reproduces. main takes no arguments: the bare-metal harness passes none. Not a benchmark
 * (bench/run.sh arm_kernels counts instructions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinyopt_rt.h"

#define CASES 150
#define GUARD 16
#define GUARD_BYTE 0x5A

static uint32_t g_rng = 1;

static uint32_t next_u32(void) { /* xorshift32 */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return g_rng;
}

static int32_t uniform(int32_t lo, int32_t hi) { return lo + (int32_t)(next_u32() % (uint32_t)(hi - lo + 1)); }

static int chance(int percent) { return uniform(0, 99) < percent; }

/* A buffer of n bytes followed by GUARD guard bytes. */
static void* guarded(size_t n) {
  unsigned char* b = (unsigned char*)malloc(n + GUARD);
  if (b == NULL) {
    printf("FAIL out of memory (%u bytes)\n", (unsigned)n);
    exit(2);
  }
  memset(b, GUARD_BYTE, n + GUARD);
  return b;
}

static int guard_intact(const void* buf, size_t n) {
  const unsigned char* b = (const unsigned char*)buf;
  size_t i;
  for (i = n; i < n + GUARD; ++i)
    if (b[i] != GUARD_BYTE) return 0;
  return 1;
}

static void fill_s8(int8_t* v, int32_t n, int32_t lo, int32_t hi) {
  int32_t i;
  for (i = 0; i < n; ++i) v[i] = (int8_t)uniform(lo, hi);
}

static int32_t pick_zero_point(void) {
  const int32_t r = uniform(0, 3);
  return r == 0 ? -128 : (r == 1 ? 127 : uniform(-128, 127));
}

/* Per-channel quantization: realistic multipliers and right shifts, with extremes mixed in. */
typedef struct {
  topt_channel_quant q;
  int32_t* multiplier;
  int32_t* shift;
  int32_t* bias;
  int has_bias;
} quant_case;

static void make_quant(quant_case* c, int32_t channels, int32_t k) {
  int32_t i;
  const int32_t bias_range = chance(10) ? (1 << 30) : 4096 * (k < 64 ? k : 64);
  const int typical = chance(40); /* only right shifts, as real layers have: kernels may take a fast path */
  c->multiplier = (int32_t*)malloc((size_t)channels * sizeof(int32_t));
  c->shift = (int32_t*)malloc((size_t)channels * sizeof(int32_t));
  c->bias = (int32_t*)malloc((size_t)channels * sizeof(int32_t));
  for (i = 0; i < channels; ++i) {
    const int32_t r = uniform(0, 19);
    c->multiplier[i] = r == 0 ? 0 : (r == 1 ? INT32_MAX : (int32_t)((1u << 30) | (next_u32() >> 2)));
    c->shift[i] =
        typical ? uniform(-14, -1) : (r == 2 ? 30 : (r == 3 ? -31 : (r == 4 ? uniform(1, 4) : uniform(-14, 0))));
    c->bias[i] = uniform(-bias_range, bias_range);
  }
  c->has_bias = !chance(15);
  c->q.input_zero_point = pick_zero_point();
  c->q.output_zero_point = pick_zero_point();
  c->q.act_min = chance(60) ? -128 : uniform(-128, 0);
  c->q.act_max = chance(60) ? 127 : uniform(c->q.act_min, 127);
  c->q.multiplier = c->multiplier;
  c->q.shift = c->shift;
}

static void free_quant(quant_case* c) {
  free(c->multiplier);
  free(c->shift);
  free(c->bias);
}

/* A random 2-D window; pointwise_percent of them are plain 1x1 stride 1 unpadded (the 1x1 kernels'
 * class). Returns 0 when the drawn sizes leave no output. */
static int make_window(topt_window2d* w, int32_t channels_in, int32_t channels_out, int pointwise_percent) {
  int32_t pad_bottom, pad_right, span_h, span_w;
  w->input.n = chance(80) ? 1 : uniform(2, 3);
  w->input.h = uniform(1, 9);
  w->input.w = uniform(1, 9);
  w->input.c = channels_in;
  if (chance(pointwise_percent)) {
    w->kernel_h = w->kernel_w = 1;
    w->stride_h = w->stride_w = w->dilation_h = w->dilation_w = 1;
    w->pad_top = w->pad_left = pad_bottom = pad_right = 0;
  } else {
    w->kernel_h = uniform(1, 4);
    w->kernel_w = uniform(1, 4);
    w->stride_h = uniform(1, 3);
    w->stride_w = uniform(1, 3);
    w->dilation_h = chance(80) ? 1 : 2;
    w->dilation_w = chance(80) ? 1 : 2;
    w->pad_top = uniform(0, w->kernel_h - 1);
    w->pad_left = uniform(0, w->kernel_w - 1);
    pad_bottom = uniform(0, w->kernel_h - 1);
    pad_right = uniform(0, w->kernel_w - 1);
  }
  span_h = w->input.h + w->pad_top + pad_bottom - w->dilation_h * (w->kernel_h - 1) - 1;
  span_w = w->input.w + w->pad_left + pad_right - w->dilation_w * (w->kernel_w - 1) - 1;
  if (span_h < 0 || span_w < 0) return 0;
  w->output.n = w->input.n;
  w->output.h = span_h / w->stride_h + 1;
  w->output.w = span_w / w->stride_w + 1;
  w->output.c = channels_out;
  return 1;
}

static int32_t channel_count(void) {
  const int32_t r = uniform(0, 9);
  return r < 6 ? uniform(1, 20) : (r < 9 ? uniform(21, 40) : 64);
}

static int32_t count_of(const topt_dims* d) { return d->n * d->h * d->w * d->c; }

static void print_window(const topt_window2d* w) {
  printf("  input (%d,%d,%d,%d) output (%d,%d,%d,%d) kernel %dx%d stride %d,%d dilation %d,%d pad %d,%d\n",
         (int)w->input.n, (int)w->input.h, (int)w->input.w, (int)w->input.c, (int)w->output.n, (int)w->output.h,
         (int)w->output.w, (int)w->output.c, (int)w->kernel_h, (int)w->kernel_w, (int)w->stride_h, (int)w->stride_w,
         (int)w->dilation_h, (int)w->dilation_w, (int)w->pad_top, (int)w->pad_left);
}

static void print_quant(const quant_case* c) {
  printf("  z_in %d z_out %d act [%d, %d] bias %s M[0] %ld shift[0] %d\n", (int)c->q.input_zero_point,
         (int)c->q.output_zero_point, (int)c->q.act_min, (int)c->q.act_max, c->has_bias ? "yes" : "NULL",
         (long)c->multiplier[0], (int)c->shift[0]);
}

/* Compares outputs and guards; prints the first difference. Returns 1 when equal. */
static int same(const char* name, int case_index, topt_status want_st, topt_status got_st, const int8_t* want,
                const int8_t* got, int32_t n, const void* scratch, size_t scratch_bytes) {
  int32_t i;
  if (want_st != got_st) {
    printf("FAIL %s case %d: status %d, reference %d\n", name, case_index, (int)got_st, (int)want_st);
    return 0;
  }
  for (i = 0; i < n; ++i) {
    if (want[i] != got[i]) {
      printf("FAIL %s case %d: output[%d] = %d, reference %d\n", name, case_index, (int)i, (int)got[i], (int)want[i]);
      return 0;
    }
  }
  if (!guard_intact(got, (size_t)n)) {
    printf("FAIL %s case %d: wrote past the output\n", name, case_index);
    return 0;
  }
  if (!guard_intact(scratch, scratch_bytes)) {
    printf("FAIL %s case %d: wrote past its %u scratch bytes\n", name, case_index, (unsigned)scratch_bytes);
    return 0;
  }
  return 1;
}

/* int4 weights: n random nibbles (all 16 values) packed low nibble first. */
static uint8_t* packed_int4(int32_t n) {
  const int32_t bytes = (n + 1) / 2;
  uint8_t* w = (uint8_t*)guarded((size_t)bytes);
  int32_t i;
  for (i = 0; i < bytes; ++i) w[i] = (uint8_t)next_u32();
  return w;
}

static void report(const char* name, int failures, int ran) {
  if (failures == 0) printf("PASS %s cases=%d\n", name, ran);
}

/* ---- conv2d_s8 and conv2d_s8w4 ---- */

static int check_conv(const char* name, int int4, int (*supports)(const topt_conv2d_params*),
                      size_t (*scratch_bytes)(const topt_conv2d_params*),
                      int (*run)(int, const topt_conv2d_params*, const int8_t*, const void*, const int32_t*, int8_t*,
                                 void*)) {
  int i, ran = 0, failures = 0;
  for (i = 0; i < CASES && failures == 0; ++i) {
    topt_conv2d_params p;
    quant_case qc;
    int8_t *input, *want, *got;
    void *filter, *scratch;
    int32_t k, out_count;
    size_t sb;
    topt_status st_want, st_got;
    if (!make_window(&p.win, channel_count(), channel_count(), 35)) continue;
    k = p.win.kernel_h * p.win.kernel_w * p.win.input.c;
    make_quant(&qc, p.win.output.c, k);
    p.quant = qc.q;
    if (!supports(&p)) {
      free_quant(&qc);
      continue;
    }
    ++ran;
    input = (int8_t*)guarded((size_t)count_of(&p.win.input));
    fill_s8(input, count_of(&p.win.input), -128, 127);
    if (int4) {
      filter = packed_int4(k * p.win.output.c);
    } else {
      filter = guarded((size_t)(k * p.win.output.c));
      fill_s8((int8_t*)filter, k * p.win.output.c, chance(50) ? -128 : -127, 127);
    }
    out_count = count_of(&p.win.output);
    want = (int8_t*)guarded((size_t)out_count);
    got = (int8_t*)guarded((size_t)out_count);
    sb = scratch_bytes(&p);
    scratch = guarded(sb);
    st_want = (topt_status)run(1, &p, input, filter, qc.has_bias ? qc.bias : NULL, want, NULL);
    st_got = (topt_status)run(0, &p, input, filter, qc.has_bias ? qc.bias : NULL, got, scratch);
    if (!same(name, i, st_want, st_got, want, got, out_count, scratch, sb)) {
      ++failures;
      print_window(&p.win);
      print_quant(&qc);
    }
    free(input);
    free(filter);
    free(want);
    free(got);
    free(scratch);
    free_quant(&qc);
  }
  report(name, failures, ran);
  return failures;
}

/* ---- dwconv2d_s8 and dwconv2d_s8w4 ---- */

static int check_dwconv(const char* name, int int4, int (*supports)(const topt_dwconv2d_params*),
                        size_t (*scratch_bytes)(const topt_dwconv2d_params*),
                        int (*run)(int, const topt_dwconv2d_params*, const int8_t*, const void*, const int32_t*,
                                   int8_t*, void*)) {
  int i, ran = 0, failures = 0;
  for (i = 0; i < CASES && failures == 0; ++i) {
    topt_dwconv2d_params p;
    quant_case qc;
    int8_t *input, *want, *got;
    void *filter, *scratch;
    int32_t cin, taps, out_count;
    size_t sb;
    topt_status st_want, st_got;
    p.depth_multiplier = chance(85) ? 1 : 2;
    cin = channel_count();
    if (!make_window(&p.win, cin, cin * p.depth_multiplier, 10)) continue;
    taps = p.win.kernel_h * p.win.kernel_w;
    make_quant(&qc, p.win.output.c, taps);
    p.quant = qc.q;
    if (!supports(&p)) {
      free_quant(&qc);
      continue;
    }
    ++ran;
    input = (int8_t*)guarded((size_t)count_of(&p.win.input));
    fill_s8(input, count_of(&p.win.input), -128, 127);
    if (int4) {
      filter = packed_int4(taps * p.win.output.c);
    } else {
      filter = guarded((size_t)(taps * p.win.output.c));
      fill_s8((int8_t*)filter, taps * p.win.output.c, -128, 127);
    }
    out_count = count_of(&p.win.output);
    want = (int8_t*)guarded((size_t)out_count);
    got = (int8_t*)guarded((size_t)out_count);
    sb = scratch_bytes(&p);
    scratch = guarded(sb);
    st_want = (topt_status)run(1, &p, input, filter, qc.has_bias ? qc.bias : NULL, want, NULL);
    st_got = (topt_status)run(0, &p, input, filter, qc.has_bias ? qc.bias : NULL, got, scratch);
    if (!same(name, i, st_want, st_got, want, got, out_count, scratch, sb)) {
      ++failures;
      print_window(&p.win);
      print_quant(&qc);
    }
    free(input);
    free(filter);
    free(want);
    free(got);
    free(scratch);
    free_quant(&qc);
  }
  report(name, failures, ran);
  return failures;
}

/* ---- dense_s8 and dense_s8w4 ---- */

static int check_dense(const char* name, int int4, int (*supports)(const topt_dense_params*),
                       size_t (*scratch_bytes)(const topt_dense_params*),
                       int (*run)(int, const topt_dense_params*, const int8_t*, const void*, const int32_t*, int8_t*,
                                  void*)) {
  int i, ran = 0, failures = 0;
  for (i = 0; i < CASES && failures == 0; ++i) {
    topt_dense_params p;
    quant_case qc;
    int8_t *input, *want, *got;
    void *filter, *scratch;
    size_t sb;
    topt_status st_want, st_got;
    p.batches = chance(70) ? 1 : uniform(2, 5);
    p.in_features = chance(80) ? uniform(1, 70) : uniform(71, 300);
    p.out_features = uniform(1, 37);
    make_quant(&qc, p.out_features, p.in_features);
    p.quant = qc.q;
    if (!supports(&p)) {
      free_quant(&qc);
      continue;
    }
    ++ran;
    input = (int8_t*)guarded((size_t)(p.batches * p.in_features));
    fill_s8(input, p.batches * p.in_features, -128, 127);
    if (int4) {
      filter = packed_int4(p.in_features * p.out_features);
    } else {
      filter = guarded((size_t)(p.in_features * p.out_features));
      fill_s8((int8_t*)filter, p.in_features * p.out_features, -128, 127);
    }
    want = (int8_t*)guarded((size_t)(p.batches * p.out_features));
    got = (int8_t*)guarded((size_t)(p.batches * p.out_features));
    sb = scratch_bytes(&p);
    scratch = guarded(sb);
    st_want = (topt_status)run(1, &p, input, filter, qc.has_bias ? qc.bias : NULL, want, NULL);
    st_got = (topt_status)run(0, &p, input, filter, qc.has_bias ? qc.bias : NULL, got, scratch);
    if (!same(name, i, st_want, st_got, want, got, p.batches * p.out_features, scratch, sb)) {
      ++failures;
      printf("  batches %d in %d out %d\n", (int)p.batches, (int)p.in_features, (int)p.out_features);
      print_quant(&qc);
    }
    free(input);
    free(filter);
    free(want);
    free(got);
    free(scratch);
    free_quant(&qc);
  }
  report(name, failures, ran);
  return failures;
}

/* One adapter per listed Arm kernel: run(reference?, ...) calls the family reference or the variant, so the
 * checkers above stay typed per family group. */
#define ADAPT_conv2d_s8(name)                                                                                        \
  static int run_##name(int ref, const topt_conv2d_params* p, const int8_t* in, const void* f, const int32_t* b,     \
                        int8_t* out, void* s) {                                                                      \
    return ref ? topt_conv2d_s8__ref(p, in, (const int8_t*)f, b, out, s) : name(p, in, (const int8_t*)f, b, out, s); \
  }
#define ADAPT_conv2d_s8w4(name)                                                                                  \
  static int run_##name(int ref, const topt_conv2d_params* p, const int8_t* in, const void* f, const int32_t* b, \
                        int8_t* out, void* s) {                                                                  \
    return ref ? topt_conv2d_s8w4__ref(p, in, (const uint8_t*)f, b, out, s)                                      \
               : name(p, in, (const uint8_t*)f, b, out, s);                                                      \
  }
#define ADAPT_dwconv2d_s8(name)                                                                                        \
  static int run_##name(int ref, const topt_dwconv2d_params* p, const int8_t* in, const void* f, const int32_t* b,     \
                        int8_t* out, void* s) {                                                                        \
    return ref ? topt_dwconv2d_s8__ref(p, in, (const int8_t*)f, b, out, s) : name(p, in, (const int8_t*)f, b, out, s); \
  }
#define ADAPT_dwconv2d_s8w4(name)                                                                                  \
  static int run_##name(int ref, const topt_dwconv2d_params* p, const int8_t* in, const void* f, const int32_t* b, \
                        int8_t* out, void* s) {                                                                    \
    return ref ? topt_dwconv2d_s8w4__ref(p, in, (const uint8_t*)f, b, out, s)                                      \
               : name(p, in, (const uint8_t*)f, b, out, s);                                                        \
  }
#define ADAPT_dense_s8(name)                                                                                        \
  static int run_##name(int ref, const topt_dense_params* p, const int8_t* in, const void* f, const int32_t* b,     \
                        int8_t* out, void* s) {                                                                     \
    return ref ? topt_dense_s8__ref(p, in, (const int8_t*)f, b, out, s) : name(p, in, (const int8_t*)f, b, out, s); \
  }
#define ADAPT_dense_s8w4(name)                                                                                  \
  static int run_##name(int ref, const topt_dense_params* p, const int8_t* in, const void* f, const int32_t* b, \
                        int8_t* out, void* s) {                                                                 \
    return ref ? topt_dense_s8w4__ref(p, in, (const uint8_t*)f, b, out, s)                                      \
               : name(p, in, (const uint8_t*)f, b, out, s);                                                     \
  }

/* Only the Arm rows of the list; their families are the six above. */
#define ARM_ROW_ref(name, family)
#define ARM_ROW_x86(name, family)
#define ARM_ROW_dsp(name, family) TOPT_WHEN_dsp(ADAPT_##family(name))
#define ARM_ROW_neon(name, family) TOPT_WHEN_neon(ADAPT_##family(name))
#define TOPT_KERNEL(name, family, variant) ARM_ROW_##variant(name, family)
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL

#define CHECK_conv2d_s8(name) failures += check_conv(#name, 0, name##_supports, name##_scratch_bytes, run_##name);
#define CHECK_conv2d_s8w4(name) failures += check_conv(#name, 1, name##_supports, name##_scratch_bytes, run_##name);
#define CHECK_dwconv2d_s8(name) failures += check_dwconv(#name, 0, name##_supports, name##_scratch_bytes, run_##name);
#define CHECK_dwconv2d_s8w4(name) failures += check_dwconv(#name, 1, name##_supports, name##_scratch_bytes, run_##name);
#define CHECK_dense_s8(name) failures += check_dense(#name, 0, name##_supports, name##_scratch_bytes, run_##name);
#define CHECK_dense_s8w4(name) failures += check_dense(#name, 1, name##_supports, name##_scratch_bytes, run_##name);

#ifndef EMU_VARIANTS_SEED
#define EMU_VARIANTS_SEED 1
#endif

int main(void) {
  int failures = 0, kernels = 0;
  g_rng = EMU_VARIANTS_SEED;
#undef ARM_ROW_dsp
#undef ARM_ROW_neon
#define ARM_ROW_dsp(name, family) TOPT_WHEN_dsp(CHECK_##family(name)++ kernels;)
#define ARM_ROW_neon(name, family) TOPT_WHEN_neon(CHECK_##family(name)++ kernels;)
#define TOPT_KERNEL(name, family, variant) ARM_ROW_##variant(name, family)
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
  printf("%d kernels checked, %d failed\n", kernels, failures);
  return failures == 0 && kernels > 0 ? 0 : 1;
}
