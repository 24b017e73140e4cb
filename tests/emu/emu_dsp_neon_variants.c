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

/* ---- one case of any family group: the draw, the buffers and the check are the same code for all ---- */

typedef enum { GROUP_CONV, GROUP_DWCONV, GROUP_DENSE } family_group;

typedef struct {
  topt_conv2d_params conv;   /* conv2d_s8, conv2d_s8w4 */
  topt_dwconv2d_params dw;   /* dwconv2d_s8, dwconv2d_s8w4 */
  topt_dense_params dense;   /* dense_s8, dense_s8w4 */
  const void* params;        /* the member above that the kernel takes */
  const topt_window2d* win;  /* NULL for dense */
  int32_t in_count, weight_count, out_count;
} any_case;

/* Draws the shape and quantization of a case of `group`; 0 when the window leaves no output. Depthwise
 * sometimes has depth multiplier 2, dense sometimes batches > 1 and long rows. */
static int draw_case(family_group group, any_case* c, quant_case* qc) {
  int32_t k, out_channels;
  if (group == GROUP_DENSE) {
    c->dense.batches = chance(70) ? 1 : uniform(2, 5);
    c->dense.in_features = chance(80) ? uniform(1, 70) : uniform(71, 300);
    c->dense.out_features = uniform(1, 37);
    make_quant(qc, c->dense.out_features, c->dense.in_features);
    c->dense.quant = qc->q;
    c->params = &c->dense;
    c->win = NULL;
    c->in_count = c->dense.batches * c->dense.in_features;
    c->weight_count = c->dense.in_features * c->dense.out_features;
    c->out_count = c->dense.batches * c->dense.out_features;
    return 1;
  }
  if (group == GROUP_DWCONV) {
    int32_t cin;
    c->dw.depth_multiplier = chance(85) ? 1 : 2;
    cin = channel_count();
    if (!make_window(&c->dw.win, cin, cin * c->dw.depth_multiplier, 10)) return 0;
    c->win = &c->dw.win;
    k = c->win->kernel_h * c->win->kernel_w;
  } else {
    if (!make_window(&c->conv.win, channel_count(), channel_count(), 35)) return 0;
    c->win = &c->conv.win;
    k = c->win->kernel_h * c->win->kernel_w * c->win->input.c;
  }
  out_channels = c->win->output.c;
  make_quant(qc, out_channels, k);
  c->conv.quant = c->dw.quant = qc->q;
  c->params = group == GROUP_DWCONV ? (const void*)&c->dw : (const void*)&c->conv;
  c->in_count = count_of(&c->win->input);
  c->weight_count = k * out_channels;
  c->out_count = count_of(&c->win->output);
  return 1;
}

static void print_case(const any_case* c, const quant_case* qc) {
  if (c->win != NULL)
    print_window(c->win);
  else
    printf("  batches %d in %d out %d\n", (int)c->dense.batches, (int)c->dense.in_features,
           (int)c->dense.out_features);
  print_quant(qc);
}

/* One listed Arm kernel: its family group, weight format and type-erased entry points. run(1, ...) calls the
 * family reference (scratch NULL), run(0, ...) the variant. */
typedef struct {
  const char* name;
  family_group group;
  int int4;
  int (*supports)(const void* params);
  size_t (*scratch_bytes)(const void* params);
  int (*run)(int ref, const void* params, const int8_t* in, const void* filter, const int32_t* bias, int8_t* out,
             void* scratch);
} kernel_row;

/* CASES random cases of row->group that the kernel supports, each against the reference; stops at the first
 * failure (its message reproduces it). Returns the number of failures (0 or 1). */
static int check_kernel(const kernel_row* row) {
  int i, ran = 0, failures = 0;
  for (i = 0; i < CASES && failures == 0; ++i) {
    any_case c;
    quant_case qc;
    int8_t *input, *want, *got;
    void *filter, *scratch;
    size_t sb;
    topt_status st_want, st_got;
    if (!draw_case(row->group, &c, &qc)) continue;
    if (!row->supports(c.params)) {
      free_quant(&qc);
      continue;
    }
    ++ran;
    input = (int8_t*)guarded((size_t)c.in_count);
    fill_s8(input, c.in_count, -128, 127);
    if (row->int4) {
      filter = packed_int4(c.weight_count);
    } else {
      filter = guarded((size_t)c.weight_count);
      /* -128 is outside the symmetric int8 weight range; conv also runs without it half the time */
      fill_s8((int8_t*)filter, c.weight_count, row->group != GROUP_CONV || chance(50) ? -128 : -127, 127);
    }
    want = (int8_t*)guarded((size_t)c.out_count);
    got = (int8_t*)guarded((size_t)c.out_count);
    sb = row->scratch_bytes(c.params);
    scratch = guarded(sb);
    st_want = (topt_status)row->run(1, c.params, input, filter, qc.has_bias ? qc.bias : NULL, want, NULL);
    st_got = (topt_status)row->run(0, c.params, input, filter, qc.has_bias ? qc.bias : NULL, got, scratch);
    if (!same(row->name, i, st_want, st_got, want, got, c.out_count, scratch, sb)) {
      ++failures;
      print_case(&c, &qc);
    }
    free(input);
    free(filter);
    free(want);
    free(got);
    free(scratch);
    free_quant(&qc);
  }
  report(row->name, failures, ran);
  return failures;
}

/* Type-erasing adapters, one set per listed Arm kernel, generated from the kernel list. */
#define ADAPT(name, params_t, filter_t, reference)                                                                 \
  static int supports_##name(const void* p) { return name##_supports((const params_t*)p); }                       \
  static size_t scratch_##name(const void* p) { return name##_scratch_bytes((const params_t*)p); }                \
  static int run_##name(int ref, const void* p, const int8_t* in, const void* f, const int32_t* b, int8_t* out,   \
                        void* s) {                                                                                 \
    return ref ? reference((const params_t*)p, in, (const filter_t*)f, b, out, s)                                 \
               : name((const params_t*)p, in, (const filter_t*)f, b, out, s);                                     \
  }
#define ADAPT_conv2d_s8(name) ADAPT(name, topt_conv2d_params, int8_t, topt_conv2d_s8__ref)
#define ADAPT_conv2d_s8w4(name) ADAPT(name, topt_conv2d_params, uint8_t, topt_conv2d_s8w4__ref)
#define ADAPT_dwconv2d_s8(name) ADAPT(name, topt_dwconv2d_params, int8_t, topt_dwconv2d_s8__ref)
#define ADAPT_dwconv2d_s8w4(name) ADAPT(name, topt_dwconv2d_params, uint8_t, topt_dwconv2d_s8w4__ref)
#define ADAPT_dense_s8(name) ADAPT(name, topt_dense_params, int8_t, topt_dense_s8__ref)
#define ADAPT_dense_s8w4(name) ADAPT(name, topt_dense_params, uint8_t, topt_dense_s8w4__ref)

/* Only the Arm rows of the list; their families are the six above. */
#define ARM_ROW_ref(name, family)
#define ARM_ROW_x86(name, family)
#define ARM_ROW_dsp(name, family) TOPT_WHEN_dsp(ADAPT_##family(name))
#define ARM_ROW_neon(name, family) TOPT_WHEN_neon(ADAPT_##family(name))
#define TOPT_KERNEL(name, family, variant) ARM_ROW_##variant(name, family)
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL

#define GROUP_OF_conv2d_s8 GROUP_CONV, 0
#define GROUP_OF_conv2d_s8w4 GROUP_CONV, 1
#define GROUP_OF_dwconv2d_s8 GROUP_DWCONV, 0
#define GROUP_OF_dwconv2d_s8w4 GROUP_DWCONV, 1
#define GROUP_OF_dense_s8 GROUP_DENSE, 0
#define GROUP_OF_dense_s8w4 GROUP_DENSE, 1
#define ROW(name, family) {#name, GROUP_OF_##family, supports_##name, scratch_##name, run_##name},
#undef ARM_ROW_dsp
#undef ARM_ROW_neon
#define ARM_ROW_dsp(name, family) TOPT_WHEN_dsp(ROW(name, family))
#define ARM_ROW_neon(name, family) TOPT_WHEN_neon(ROW(name, family))

/* Every Arm row compiled in, then a terminator (so the table is never empty on a build without any). */
static const kernel_row kRows[] = {
#define TOPT_KERNEL(name, family, variant) ARM_ROW_##variant(name, family)
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
    {NULL, GROUP_CONV, 0, NULL, NULL, NULL}};

#ifndef EMU_VARIANTS_SEED
#define EMU_VARIANTS_SEED 1
#endif

int main(void) {
  int failures = 0, kernels = 0;
  const kernel_row* row;
  g_rng = EMU_VARIANTS_SEED;
  for (row = kRows; row->name != NULL; ++row, ++kernels) failures += check_kernel(row);
  printf("%d kernels checked, %d failed\n", kernels, failures);
  return failures == 0 && kernels > 0 ? 0 : 1;
}
