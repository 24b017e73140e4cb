/* tinyopt_rt.h: the public C99 API of tinyopt's integer kernel library (runtime/).
 *
 * The same code runs on the host (integer evaluation) and on the device (generated firmware). It is plain
 * C99: no malloc, no globals (const tables only), no libm in the int path, no strings. Numerics follow
 * docs/numerics.md exactly; that document is the spec, and `_ref` kernels are its executable form.
 * This header holds the contracts (layouts, value ranges, scratch, aliasing), the parameter structs, one
 * function type per kernel family, and the declarations of every kernel variant, generated from the single
 * list in tinyopt_rt_kernels.inc. It is not a graph interpreter and owns no memory.
 * Companions: tinyopt_rt_fixedpoint.h (the rounding primitives), tinyopt_rt_window.h (window indexing),
 * tinyopt_rt_registry.h (host only: the kernel table and one selector per family).
 *
 * Common contracts
 *  - Activations are NHWC, row-major; weights are pre-arranged by the host (OHWI, 1HWC, OI; section 3 of
 *    docs/numerics.md); int4 weights are packed two per byte, low nibble first (section 6).
 *  - Every kernel validates its parameters at entry (O(channels) work at most) and returns a topt_status;
 *    nothing is written to the output unless it returns TOPT_OK. The hot loops then run unchecked.
 *  - `<kernel>_supports(p)` is nonzero exactly when the kernel would accept `p` (valid and, for
 *    specialized variants, of the shape class it handles). `<kernel>_scratch_bytes(p)` is the scratch it
 *    needs (any alignment; 0 means `scratch` may be NULL). Both are cheap and may run at setup time.
 *  - Inputs and outputs must not overlap unless a family says otherwise. Pointers need only the natural
 *    alignment of their element type.
 */
#ifndef TINYOPT_RT_H
#define TINYOPT_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TOPT_OK = 0,
  TOPT_ERR_NULL = 1,       /* a required pointer is NULL */
  TOPT_ERR_SHAPE = 2,      /* a dimension, stride, pad or count is out of range or inconsistent */
  TOPT_ERR_QUANT = 3,      /* a zero point, activation range, multiplier or shift is out of range */
  TOPT_ERR_UNSUPPORTED = 4 /* valid parameters outside this variant's shape class (_supports() is 0) */
} topt_status;

/* Kernel variants: the instruction set a kernel is written for. */
typedef enum { TOPT_VARIANT_ref = 0, TOPT_VARIANT_x86 = 1, TOPT_VARIANT_dsp = 2, TOPT_VARIANT_neon = 3 } topt_variant;

/* Which variants this compilation can call. TOPT_WHEN_<variant>(...) expands to its arguments only for
 * variants compiled in (use it around function addresses taken from the kernel list). */
#define TOPT_WHEN_ref(...) __VA_ARGS__
#if defined(__AVX2__)
#define TOPT_WHEN_x86(...) __VA_ARGS__
#else
#define TOPT_WHEN_x86(...)
#endif
#if defined(__ARM_FEATURE_DSP)
#define TOPT_WHEN_dsp(...) __VA_ARGS__
#else
#define TOPT_WHEN_dsp(...)
#endif
#if defined(__ARM_NEON)
#define TOPT_WHEN_neon(...) __VA_ARGS__
#else
#define TOPT_WHEN_neon(...)
#endif

/* ---------------------------------------------------------------------------------------------------
 * Quantization parameters (docs/numerics.md sections 1-2)
 * ------------------------------------------------------------------------------------------------- */

/* A real multiplier m ~= multiplier * 2^(shift - 31); multiplier in [2^30, 2^31 - 1] or 0, shift in
 * [-31, 30] (int16 outputs: [-31, 14]). Produced by topt_quantize_multiplier(). */
typedef struct {
  int32_t multiplier;
  int32_t shift;
} topt_requant;

/* Per-output-channel requantization of a conv / depthwise / dense layer. Weights have zero point 0. */
typedef struct {
  int32_t input_zero_point;  /* int8: [-128, 127]; int16: 0 */
  int32_t output_zero_point; /* int8: [-128, 127]; int16: 0 */
  int32_t act_min, act_max;  /* fused activation clamp, inside the output dtype's range */
  const int32_t* multiplier; /* [C_out] */
  const int32_t* shift;      /* [C_out] */
} topt_channel_quant;

/* ---------------------------------------------------------------------------------------------------
 * Shapes
 * ------------------------------------------------------------------------------------------------- */

typedef struct {
  int32_t n, h, w, c;
} topt_dims; /* an NHWC shape */

/* A 2-D sliding window over an NHWC input (conv, depthwise, pooling). Output position (oy, ox) reads
 * input rows iy = oy*stride_h - pad_top + ky*dilation_h for ky < kernel_h (columns likewise); taps outside
 * the input are skipped. The output size is the caller's; bottom/right padding is whatever it implies. */
typedef struct {
  topt_dims input;  /* (N, H, W, C_in) */
  topt_dims output; /* (N, OH, OW, C_out) */
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;     /* >= 1 */
  int32_t dilation_h, dilation_w; /* >= 1 (pooling: 1) */
  int32_t pad_top, pad_left;      /* >= 0 */
} topt_window2d;

/* ---------------------------------------------------------------------------------------------------
 * Parameter structs, one per kernel family group
 * ------------------------------------------------------------------------------------------------- */

/* conv2d: weights (C_out, kernel_h, kernel_w, C_in) (OHWI). No groups. */
typedef struct {
  topt_window2d win;
  topt_channel_quant quant;
} topt_conv2d_params;

/* depthwise conv2d: weights (1, kernel_h, kernel_w, C_out), C_out = C_in * depth_multiplier, output
 * channel oc = ic * depth_multiplier + m. */
typedef struct {
  topt_window2d win;
  int32_t depth_multiplier; /* >= 1 */
  topt_channel_quant quant;
} topt_dwconv2d_params;

/* fully connected: input (batches, in_features), weights (out_features, in_features), output
 * (batches, out_features). */
typedef struct {
  int32_t batches, in_features, out_features;
  topt_channel_quant quant;
} topt_dense_params;

/* max / average pool: input and output share scale and zero point; win.output.c == win.input.c;
 * dilation 1; every window must hold at least one valid tap (pad < kernel, last window starts inside). */
typedef struct {
  topt_window2d win;
  int32_t act_min, act_max;
} topt_pool2d_params;

/* conv2d followed by max pooling of its output (conv2d_maxpool_s8): pool.win.input is conv.win.output.
 * The result is the bytes the conv and the max pool give run one after the other (the conv writes int8 at
 * its quantization, the pool keeps it and clamps to pool.act_min / act_max): requantization is monotonic
 * in the accumulator, so a variant may pool the int32 sums and requantize once (docs/numerics.md 5). */
typedef struct {
  topt_conv2d_params conv;
  topt_pool2d_params pool;
} topt_conv2d_maxpool_params;

/* global average pool: (N, H, W, C) -> (N, 1, 1, C); requant = qm(s_in / (s_out * H * W)). */
typedef struct {
  topt_dims input;
  int32_t input_zero_point, output_zero_point;
  topt_requant requant;
  int32_t act_min, act_max;
} topt_global_pool_params;

/* elementwise add of two same-shape int8 tensors (TFLite scheme; see topt_add_prepare). The output may
 * alias either input. */
typedef struct {
  int32_t count;
  int32_t input1_zero_point, input2_zero_point, output_zero_point;
  int32_t left_shift; /* [0, 22]; topt_add_prepare uses 20 */
  topt_requant input1, input2, output;
  int32_t act_min, act_max;
} topt_add_params;

/* concat along one axis: every tensor is viewed as (outer, axis_size, inner); input i contributes
 * axis_sizes[i] * inner contiguous elements per outer index. NHWC channel concat: outer = N*H*W,
 * inner = 1. Input i is requantized by input_requant[i] from input_zero_points[i] to output_zero_point;
 * an input with (zero point == output_zero_point, multiplier 2^30, shift 1) is copied byte for byte. */
typedef struct {
  int32_t outer, inner;
  int32_t num_inputs;                /* >= 1 */
  const int32_t* axis_sizes;         /* [num_inputs], each >= 1 */
  const int32_t* input_zero_points;  /* [num_inputs] */
  const topt_requant* input_requant; /* [num_inputs] */
  int32_t output_zero_point;
} topt_concat_params;

/* constant pad of an NHWC tensor; output dims = input + pad_before + pad_after, per axis (N, H, W, C). */
typedef struct {
  topt_dims input;
  int32_t pad_before[4], pad_after[4]; /* >= 0 */
  int32_t pad_value;                   /* an int8 value, normally the zero point */
} topt_pad_params;

/* clamp (standalone ReLU / ReLU6 / Clip): same quantization in and out; in place allowed. */
typedef struct {
  int32_t count;
  int32_t act_min, act_max;
} topt_clamp_params;

/* hard-swish (docs/numerics.md section 7; see topt_hardswish_prepare); in place allowed. */
typedef struct {
  int32_t count;
  int32_t input_zero_point, output_zero_point;
  int32_t three;        /* round_half_away(3 / s_in), [1, 2^22] */
  int32_t six;          /* 2 * three */
  topt_requant requant; /* qm(s_in / (s_out * six)) */
} topt_hardswish_params;

/* softmax over the last axis of (rows, row_size); output scale 1/256, zero point -128 (section 8). */
typedef struct {
  int32_t rows, row_size; /* row_size in [1, 4095] */
  int32_t input_beta_multiplier;
  int32_t input_beta_left_shift; /* [0, 30] */
  int32_t diff_min;              /* <= 0 */
} topt_softmax_params;

/* requantize between int8 and int16 activations of the same shape (docs/numerics.md section 5):
 * q_out = clamp(requantize(q_in - input_zero_point, M, shift) + output_zero_point, act_min, act_max),
 * requant = qm(s_in / s_out). The int16 side has zero point 0. With s_out = s_in an int8 -> int16
 * conversion is exact (q_out = q_in - z_in). In place is not allowed (the element sizes differ). */
typedef struct {
  int32_t count;
  int32_t input_zero_point, output_zero_point;
  topt_requant requant;     /* multiplier >= 0, shift in [-31, 30] */
  int32_t act_min, act_max; /* inside the output dtype's range */
} topt_requantize_params;

/* quantize float -> int8 / dequantize int8 -> float (graph boundary; uses float, not libm). */
typedef struct {
  int32_t count;
  float scale; /* > 0, finite */
  int32_t zero_point;
} topt_quantize_params;

/* ---------------------------------------------------------------------------------------------------
 * Kernel families: one function type per family (a wrong signature is a compile error). A family's
 * reference kernel is named topt_<family>__ref; every other kernel in the family is bit-exact to it.
 * ------------------------------------------------------------------------------------------------- */

/* conv2d_s8: input (N,H,W,C_in) int8, filter (C_out,KH,KW,C_in) int8, bias [C_out] int32 or NULL,
 * output (N,OH,OW,C_out) int8. */
typedef topt_status topt_conv2d_s8_fn(const topt_conv2d_params* p, const int8_t* input, const int8_t* filter,
                                      const int32_t* bias, int8_t* output, void* scratch);
/* conv2d_s8w4: as conv2d_s8 with the filter packed int4 (ceil(C_out*KH*KW*C_in / 2) bytes). */
typedef topt_status topt_conv2d_s8w4_fn(const topt_conv2d_params* p, const int8_t* input, const uint8_t* filter,
                                        const int32_t* bias, int8_t* output, void* scratch);
/* conv2d_s16: int16 activations (zero point 0), int8 filter, int64 bias or NULL. */
typedef topt_status topt_conv2d_s16_fn(const topt_conv2d_params* p, const int16_t* input, const int8_t* filter,
                                       const int64_t* bias, int16_t* output, void* scratch);
/* dwconv2d_s8: filter (1,KH,KW,C_out) int8. */
typedef topt_status topt_dwconv2d_s8_fn(const topt_dwconv2d_params* p, const int8_t* input, const int8_t* filter,
                                        const int32_t* bias, int8_t* output, void* scratch);
/* dwconv2d_s8w4: filter (1,KH,KW,C_out) packed int4. */
typedef topt_status topt_dwconv2d_s8w4_fn(const topt_dwconv2d_params* p, const int8_t* input, const uint8_t* filter,
                                          const int32_t* bias, int8_t* output, void* scratch);
/* dense_s8: input (B, I), filter (O, I), bias [O] or NULL, output (B, O). */
typedef topt_status topt_dense_s8_fn(const topt_dense_params* p, const int8_t* input, const int8_t* filter,
                                     const int32_t* bias, int8_t* output, void* scratch);
typedef topt_status topt_dense_s8w4_fn(const topt_dense_params* p, const int8_t* input, const uint8_t* filter,
                                       const int32_t* bias, int8_t* output, void* scratch);
typedef topt_status topt_dense_s16_fn(const topt_dense_params* p, const int16_t* input, const int8_t* filter,
                                      const int64_t* bias, int16_t* output, void* scratch);
typedef topt_status topt_add_s8_fn(const topt_add_params* p, const int8_t* input1, const int8_t* input2, int8_t* output,
                                   void* scratch);
/* conv2d_maxpool_s8: conv2d_s8's operands, output the pooled (N, PH, PW, C_out) int8. */
typedef topt_status topt_conv2d_maxpool_s8_fn(const topt_conv2d_maxpool_params* p, const int8_t* input,
                                              const int8_t* filter, const int32_t* bias, int8_t* output,
                                              void* scratch);
typedef topt_status topt_maxpool2d_s8_fn(const topt_pool2d_params* p, const int8_t* input, int8_t* output,
                                         void* scratch);
typedef topt_status topt_avgpool2d_s8_fn(const topt_pool2d_params* p, const int8_t* input, int8_t* output,
                                         void* scratch);
typedef topt_status topt_global_avgpool2d_s8_fn(const topt_global_pool_params* p, const int8_t* input, int8_t* output,
                                                void* scratch);
/* concat_s8: inputs[num_inputs]. */
typedef topt_status topt_concat_s8_fn(const topt_concat_params* p, const int8_t* const* inputs, int8_t* output,
                                      void* scratch);
typedef topt_status topt_pad_s8_fn(const topt_pad_params* p, const int8_t* input, int8_t* output, void* scratch);
typedef topt_status topt_clamp_s8_fn(const topt_clamp_params* p, const int8_t* input, int8_t* output, void* scratch);
typedef topt_status topt_hardswish_s8_fn(const topt_hardswish_params* p, const int8_t* input, int8_t* output,
                                         void* scratch);
typedef topt_status topt_softmax_s8_fn(const topt_softmax_params* p, const int8_t* input, int8_t* output,
                                       void* scratch);
/* requantize_s8_s16: int8 -> int16; requantize_s16_s8: int16 -> int8. */
typedef topt_status topt_requantize_s8_s16_fn(const topt_requantize_params* p, const int8_t* input, int16_t* output,
                                             void* scratch);
typedef topt_status topt_requantize_s16_s8_fn(const topt_requantize_params* p, const int16_t* input, int8_t* output,
                                             void* scratch);
typedef topt_status topt_quantize_s8_fn(const topt_quantize_params* p, const float* input, int8_t* output,
                                        void* scratch);
typedef topt_status topt_dequantize_s8_fn(const topt_quantize_params* p, const int8_t* input, float* output,
                                          void* scratch);

/* int16-activation families (zero points 0; docs/numerics.md sections 4-5): dwconv2d_s16 as conv2d_s16
 * (int8 filter, int64 bias); the others as their int8 family with int16 data. add_s16 takes left_shift
 * <= 15 (topt_add_prepare_s16); global_avgpool2d_s16 takes H * W * 32768 < 2^31. */
typedef topt_status topt_dwconv2d_s16_fn(const topt_dwconv2d_params* p, const int16_t* input, const int8_t* filter,
                                         const int64_t* bias, int16_t* output, void* scratch);
typedef topt_status topt_add_s16_fn(const topt_add_params* p, const int16_t* input1, const int16_t* input2,
                                    int16_t* output, void* scratch);
typedef topt_status topt_maxpool2d_s16_fn(const topt_pool2d_params* p, const int16_t* input, int16_t* output,
                                          void* scratch);
typedef topt_status topt_avgpool2d_s16_fn(const topt_pool2d_params* p, const int16_t* input, int16_t* output,
                                          void* scratch);
typedef topt_status topt_global_avgpool2d_s16_fn(const topt_global_pool_params* p, const int16_t* input,
                                                 int16_t* output, void* scratch);
typedef topt_status topt_requantize_s16_s16_fn(const topt_requantize_params* p, const int16_t* input,
                                              int16_t* output, void* scratch);
typedef topt_status topt_quantize_s16_fn(const topt_quantize_params* p, const float* input, int16_t* output,
                                         void* scratch);
typedef topt_status topt_dequantize_s16_fn(const topt_quantize_params* p, const int16_t* input, float* output,
                                           void* scratch);

/* Companion function types (supports / scratch_bytes) and the family enumeration, from the family list. */
#define TOPT_FAMILY(family, params_type)                         \
  typedef int topt_##family##_supports_fn(const params_type* p); \
  typedef size_t topt_##family##_scratch_bytes_fn(const params_type* p);
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY

typedef enum {
#define TOPT_FAMILY(family, params_type) TOPT_FAMILY_##family,
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
  TOPT_FAMILY_COUNT
} topt_family;

/* Declarations of every kernel variant and its two companions, from the kernel list. */
#define TOPT_KERNEL(name, family, variant)     \
  topt_##family##_fn name;                     \
  topt_##family##_supports_fn name##_supports; \
  topt_##family##_scratch_bytes_fn name##_scratch_bytes;
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL

/* ---------------------------------------------------------------------------------------------------
 * Parameter validation shared by the variants of a family (docs/numerics.md section 11); the families
 * not listed here validate inside their reference kernel's file.
 * ------------------------------------------------------------------------------------------------- */

typedef enum { TOPT_ACT_S8 = 0, TOPT_ACT_S16 = 1 } topt_act_type;

topt_status topt_conv2d_params_check(const topt_conv2d_params* p, topt_act_type act);
topt_status topt_dwconv2d_params_check(const topt_dwconv2d_params* p);
topt_status topt_dense_params_check(const topt_dense_params* p, topt_act_type act);
topt_status topt_pool2d_params_check(const topt_pool2d_params* p);
topt_status topt_conv2d_maxpool_params_check(const topt_conv2d_maxpool_params* p);
topt_status topt_quantize_params_check(const topt_quantize_params* p);
/* int16 activations: the same checks with the int16 range, zero point 0 and int16 accumulation bounds. */
topt_status topt_dwconv2d_s16_params_check(const topt_dwconv2d_params* p);
topt_status topt_pool2d_s16_params_check(const topt_pool2d_params* p);
topt_status topt_quantize_params_check_act(const topt_quantize_params* p, topt_act_type act);
topt_status topt_requantize_params_check(const topt_requantize_params* p, topt_act_type in, topt_act_type out);

/* Shape classes of specialized variants (p must have passed its check). */
/* 1x1 kernel, stride 1, no padding, output H, W == input H, W: a matrix product over pixels. */
int topt_conv2d_is_pointwise(const topt_conv2d_params* p);

/* ---------------------------------------------------------------------------------------------------
 * Setup-time helpers (host or device setup code; use double, never libm; docs/numerics.md section 2.4)
 * ------------------------------------------------------------------------------------------------- */

/* real >= 0 and finite -> (multiplier, shift); TOPT_ERR_QUANT when real is negative, NaN, or >= 2^30. */
topt_status topt_quantize_multiplier(double real, int32_t* multiplier, int32_t* shift);
/* Fills the quantization fields of *p (left shift 20) and sets the act range to all of int8 (tighten it
 * for a fused ReLU); count is left to the caller. */
topt_status topt_add_prepare(double input1_scale, int32_t input1_zero_point, double input2_scale,
                             int32_t input2_zero_point, double output_scale, int32_t output_zero_point,
                             topt_add_params* p);
/* As topt_add_prepare for int16 tensors (zero points 0, left shift 15, act range all of int16). */
topt_status topt_add_prepare_s16(double input1_scale, double input2_scale, double output_scale, topt_add_params* p);
/* Fills three, six, requant and the zero points of *p; count is left to the caller. */
topt_status topt_hardswish_prepare(double input_scale, int32_t input_zero_point, double output_scale,
                                   int32_t output_zero_point, topt_hardswish_params* p);
/* Fills the beta multiplier, left shift and diff_min of *p; rows and row_size are left to the caller. */
topt_status topt_softmax_prepare(double beta, double input_scale, topt_softmax_params* p);

#ifdef __cplusplus
}
#endif

#endif /* TINYOPT_RT_H */
