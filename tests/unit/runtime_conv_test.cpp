// Checkers of the conv2d_*, dwconv2d_* and dense_* kernel families (declared in runtime_test_support.h and
// called once per kernel variant by runtime_variants_test.cpp), plus the status-code contract of these
// families: invalid parameters are rejected before anything is written.
//
// A checker runs the family reference on every case of conv_cases() and asserts it equals the naive model
// (docs/numerics.md sections 3-4), then runs the kernel under test on the cases its _supports() accepts
// and asserts it equals the reference byte for byte; on cases it does not support the kernel must return
// TOPT_ERR_UNSUPPORTED.
#include <functional>

#include "unit/runtime_case_runner.h"

namespace tinyopt::rt_test {
namespace {

// The generic part of every checker. Out: output element type; ref / run call the reference / the kernel
// under test on case c with its params, an output buffer and (run only) the scratch.
template <class Out, class Params>
void check_family(const char* name, ConvKind kind, bool int16, bool int4, Params (ConvCase::*params)() const,
                  int (*supports)(const Params*), size_t (*scratch_bytes)(const Params*),
                  const std::function<topt_status(const ConvCase&, const Params&, Out*)>& ref,
                  const std::function<topt_status(const ConvCase&, const Params&, Out*, void*)>& run) {
  CaseRunner<ConvCase, Out>{
      [](const ConvCase& c) { return c.describe(); },
      [](const ConvCase& c) { return c.output_count(); },
      [](const ConvCase& c) { return narrow<Out>(c.naive()); },
      [&](const ConvCase& c, Out* out) { return ref(c, (c.*params)(), out); },
      [&](const ConvCase& c) {
        const Params p = (c.*params)();
        return supports(&p);
      },
      [&](const ConvCase& c) {
        const Params p = (c.*params)();
        return scratch_bytes(&p);
      },
      [&](const ConvCase& c, Out* out, void* scratch) { return run(c, (c.*params)(), out, scratch); }}
      .check(name, conv_cases(kind, int16, int4));
}

}  // namespace

void check_conv2d_s8(const conv2d_s8_kernel& k) {
  check_family<int8_t, topt_conv2d_params>(
      k.name, ConvKind::kConv, false, false, &ConvCase::conv, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_conv2d_params& p, int8_t* out) {
        return topt_conv2d_s8__ref(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_conv2d_params& p, int8_t* out, void* scratch) {
        return k.run(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out, scratch);
      });
}

void check_conv2d_s8w4(const conv2d_s8w4_kernel& k) {
  check_family<int8_t, topt_conv2d_params>(
      k.name, ConvKind::kConv, false, true, &ConvCase::conv, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_conv2d_params& p, int8_t* out) {
        return topt_conv2d_s8w4__ref(&p, c.input8.data(), c.packed.data(), c.bias_s8(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_conv2d_params& p, int8_t* out, void* scratch) {
        return k.run(&p, c.input8.data(), c.packed.data(), c.bias_s8(), out, scratch);
      });
}

void check_conv2d_s16(const conv2d_s16_kernel& k) {
  check_family<int16_t, topt_conv2d_params>(
      k.name, ConvKind::kConv, true, false, &ConvCase::conv, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_conv2d_params& p, int16_t* out) {
        return topt_conv2d_s16__ref(&p, c.input16.data(), c.weights.data(), c.bias_s16(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_conv2d_params& p, int16_t* out, void* scratch) {
        return k.run(&p, c.input16.data(), c.weights.data(), c.bias_s16(), out, scratch);
      });
}

void check_dwconv2d_s8(const dwconv2d_s8_kernel& k) {
  check_family<int8_t, topt_dwconv2d_params>(
      k.name, ConvKind::kDepthwise, false, false, &ConvCase::dwconv, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_dwconv2d_params& p, int8_t* out) {
        return topt_dwconv2d_s8__ref(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_dwconv2d_params& p, int8_t* out, void* scratch) {
        return k.run(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out, scratch);
      });
}

void check_dwconv2d_s8w4(const dwconv2d_s8w4_kernel& k) {
  check_family<int8_t, topt_dwconv2d_params>(
      k.name, ConvKind::kDepthwise, false, true, &ConvCase::dwconv, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_dwconv2d_params& p, int8_t* out) {
        return topt_dwconv2d_s8w4__ref(&p, c.input8.data(), c.packed.data(), c.bias_s8(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_dwconv2d_params& p, int8_t* out, void* scratch) {
        return k.run(&p, c.input8.data(), c.packed.data(), c.bias_s8(), out, scratch);
      });
}

void check_dense_s8(const dense_s8_kernel& k) {
  check_family<int8_t, topt_dense_params>(
      k.name, ConvKind::kDense, false, false, &ConvCase::dense, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_dense_params& p, int8_t* out) {
        return topt_dense_s8__ref(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_dense_params& p, int8_t* out, void* scratch) {
        return k.run(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out, scratch);
      });
}

void check_dense_s8w4(const dense_s8w4_kernel& k) {
  check_family<int8_t, topt_dense_params>(
      k.name, ConvKind::kDense, false, true, &ConvCase::dense, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_dense_params& p, int8_t* out) {
        return topt_dense_s8w4__ref(&p, c.input8.data(), c.packed.data(), c.bias_s8(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_dense_params& p, int8_t* out, void* scratch) {
        return k.run(&p, c.input8.data(), c.packed.data(), c.bias_s8(), out, scratch);
      });
}

void check_dense_s16(const dense_s16_kernel& k) {
  check_family<int16_t, topt_dense_params>(
      k.name, ConvKind::kDense, true, false, &ConvCase::dense, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_dense_params& p, int16_t* out) {
        return topt_dense_s16__ref(&p, c.input16.data(), c.weights.data(), c.bias_s16(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_dense_params& p, int16_t* out, void* scratch) {
        return k.run(&p, c.input16.data(), c.weights.data(), c.bias_s16(), out, scratch);
      });
}

void check_dwconv2d_s16(const dwconv2d_s16_kernel& k) {
  check_family<int16_t, topt_dwconv2d_params>(
      k.name, ConvKind::kDepthwise, true, false, &ConvCase::dwconv, k.supports, k.scratch_bytes,
      [](const ConvCase& c, const topt_dwconv2d_params& p, int16_t* out) {
        return topt_dwconv2d_s16__ref(&p, c.input16.data(), c.weights.data(), c.bias_s16(), out, nullptr);
      },
      [&k](const ConvCase& c, const topt_dwconv2d_params& p, int16_t* out, void* scratch) {
        return k.run(&p, c.input16.data(), c.weights.data(), c.bias_s16(), out, scratch);
      });
}

namespace {

// A valid 3x3 conv case to break one field at a time.
ConvCase small_conv() { return ConvTester().input(5, 5, 4).output_channels(3).kernel(3, 3).seed(7).build(); }

topt_status run_conv(const ConvCase& c, const topt_conv2d_params& p, std::vector<int8_t>& out) {
  return topt_conv2d_s8__ref(&p, c.input8.data(), c.weights.data(), c.bias_s8(), out.data(), nullptr);
}

TEST(RuntimeConvContract, RejectsInvalidParametersWithoutWriting) {
  const ConvCase c = small_conv();
  std::vector<int8_t> out(c.output_count(), 99);
  std::vector<int32_t> bad_shift = c.requant.shift, bad_mult = c.requant.multiplier;
  bad_shift[1] = 31;
  bad_mult[2] = -1;
  struct Breakage {
    const char* what;
    std::function<void(topt_conv2d_params&)> apply;
    topt_status want;
  } cases[] = {
      {"zero stride", [](auto& p) { p.win.stride_h = 0; }, TOPT_ERR_SHAPE},
      {"zero dilation", [](auto& p) { p.win.dilation_w = 0; }, TOPT_ERR_SHAPE},
      {"negative pad", [](auto& p) { p.win.pad_left = -1; }, TOPT_ERR_SHAPE},
      {"batch mismatch", [](auto& p) { p.win.output.n = 2; }, TOPT_ERR_SHAPE},
      {"zero channels", [](auto& p) { p.win.input.c = 0; }, TOPT_ERR_SHAPE},
      {"element count over 2^31",
       [](auto& p) {
         p.win.input.h = 1 << 20;
         p.win.input.w = 1 << 12;
       },
       TOPT_ERR_SHAPE},
      {"K beyond the int32 accumulator bound", [](auto& p) { p.win.input.c = 5000; }, TOPT_ERR_SHAPE},
      {"input zero point 128", [](auto& p) { p.quant.input_zero_point = 128; }, TOPT_ERR_QUANT},
      {"output zero point -129", [](auto& p) { p.quant.output_zero_point = -129; }, TOPT_ERR_QUANT},
      {"act_min > act_max",
       [](auto& p) {
         p.quant.act_min = 10;
         p.quant.act_max = 9;
       },
       TOPT_ERR_QUANT},
      {"act_max 128", [](auto& p) { p.quant.act_max = 128; }, TOPT_ERR_QUANT},
      {"shift 31", [&](auto& p) { p.quant.shift = bad_shift.data(); }, TOPT_ERR_QUANT},
      {"negative multiplier", [&](auto& p) { p.quant.multiplier = bad_mult.data(); }, TOPT_ERR_QUANT},
      {"no multipliers", [](auto& p) { p.quant.multiplier = nullptr; }, TOPT_ERR_NULL},
  };
  for (const auto& b : cases) {
    topt_conv2d_params p = c.conv();
    b.apply(p);
    EXPECT_EQ(run_conv(c, p, out), b.want) << b.what;
    EXPECT_FALSE(topt_conv2d_s8__ref_supports(&p)) << b.what;
    for (int8_t v : out) ASSERT_EQ(v, 99) << "output written despite: " << b.what;
  }
  const topt_conv2d_params p = c.conv();
  EXPECT_EQ(topt_conv2d_s8__ref(nullptr, c.input8.data(), c.weights.data(), nullptr, out.data(), nullptr),
            TOPT_ERR_NULL);
  EXPECT_EQ(topt_conv2d_s8__ref(&p, nullptr, c.weights.data(), nullptr, out.data(), nullptr), TOPT_ERR_NULL);
  EXPECT_EQ(topt_conv2d_s8__ref(&p, c.input8.data(), c.weights.data(), nullptr, nullptr, nullptr), TOPT_ERR_NULL);
  EXPECT_FALSE(topt_conv2d_s8__ref_supports(nullptr));
}

TEST(RuntimeConvContract, PointwiseVariantRejectsOtherShapesAsUnsupported) {
  const ConvCase c = small_conv();  // 3x3
  const topt_conv2d_params p = c.conv();
  std::vector<int8_t> out(c.output_count());
  EXPECT_FALSE(topt_conv2d_1x1_s8__ref_supports(&p));
  EXPECT_EQ(topt_conv2d_1x1_s8__ref(&p, c.input8.data(), c.weights.data(), nullptr, out.data(), nullptr),
            TOPT_ERR_UNSUPPORTED);
}

TEST(RuntimeConvContract, Int16FamiliesRequireZeroPointZero) {
  ConvCase c = ConvTester().int16_activations().input(4, 4, 3).output_channels(2).kernel(3, 3).seed(3).build();
  topt_conv2d_params p = c.conv();
  EXPECT_TRUE(topt_conv2d_s16__ref_supports(&p));
  p.quant.input_zero_point = 1;
  EXPECT_FALSE(topt_conv2d_s16__ref_supports(&p));
  p = c.conv();
  std::vector<int32_t> shift = c.requant.shift;
  shift[0] = 15;  // requantize64 allows [-31, 14]
  p.quant.shift = shift.data();
  EXPECT_EQ(topt_conv2d_params_check(&p, TOPT_ACT_S16), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_conv2d_params_check(&p, TOPT_ACT_S8), TOPT_ERR_QUANT);  // act range is int16-wide
}

TEST(RuntimeConvContract, DepthwiseChecksTheDepthMultiplier) {
  ConvCase c = ConvTester().depthwise(2).input(4, 4, 3).kernel(3, 3).seed(5).build();
  topt_dwconv2d_params p = c.dwconv();
  EXPECT_EQ(topt_dwconv2d_params_check(&p), TOPT_OK);
  p.depth_multiplier = 3;  // output channels no longer input * multiplier
  EXPECT_EQ(topt_dwconv2d_params_check(&p), TOPT_ERR_SHAPE);
  p.depth_multiplier = 0;
  EXPECT_EQ(topt_dwconv2d_params_check(&p), TOPT_ERR_SHAPE);
}

TEST(RuntimeConvContract, Int4WeightMinusEightDecodes) {
  // docs/numerics.md section 6: -8 is accepted by the kernels even though the quantizer never emits it.
  ConvCase c = ConvTester().dense().input(1, 1, 3).output_channels(1).bias(false).seed(9).build();
  c.weights = {-8, 7, -1};
  c.packed = pack_int4(c.weights);
  EXPECT_EQ(c.packed[0], 0x78);
  EXPECT_EQ(c.packed[1], 0x0F);
  const topt_dense_params p = c.dense();
  std::vector<int8_t> want(1), got(1);
  ASSERT_EQ(topt_dense_s8__ref(&p, c.input8.data(), c.weights.data(), nullptr, want.data(), nullptr), TOPT_OK);
  ASSERT_EQ(topt_dense_s8w4__ref(&p, c.input8.data(), c.packed.data(), nullptr, got.data(), nullptr), TOPT_OK);
  EXPECT_EQ(want, got);
  EXPECT_EQ(want[0], static_cast<int8_t>(c.naive()[0]));
}

}  // namespace
}  // namespace tinyopt::rt_test
