// Checkers of the pooling and data-movement families (max / average / global average pool, concat, pad;
// declared in runtime_test_support.h, called per kernel variant by runtime_variants_test.cpp) with their
// naive models, and the pooling geometry contract.
#include <limits>

#include "unit/runtime_case_runner.h"

namespace tinyopt::rt_test {
namespace {

// ---- max / average pool ------------------------------------------------------------------------------

template <class T>
struct PoolCase {
  topt_pool2d_params p{};
  std::vector<T> x;
  uint32_t seed = 0;
  size_t output_count() const {
    const topt_dims& o = p.win.output;
    return static_cast<size_t>(o.n) * o.h * o.w * o.c;
  }
  std::string describe() const {
    return "seed " + std::to_string(seed) + " " + rt_test::describe(p.win) + " act [" + std::to_string(p.act_min) +
           "," + std::to_string(p.act_max) + "]";
  }
};

template <class T>
std::vector<PoolCase<T>> pool_cases() {
  constexpr int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  std::vector<PoolCase<T>> cases;
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    Rng rng(seed * 3);
    PoolCase<T> c;
    c.seed = seed;
    topt_window2d& w = c.p.win;
    w.kernel_h = rng.uniform(1, 4);
    w.kernel_w = rng.uniform(1, 4);
    if (seed == 1) w.kernel_h = w.kernel_w = 1;
    w.stride_h = rng.uniform(1, 3);
    w.stride_w = rng.uniform(1, 3);
    w.dilation_h = w.dilation_w = 1;
    w.pad_top = rng.uniform(0, w.kernel_h - 1);
    w.pad_left = rng.uniform(0, w.kernel_w - 1);
    const int32_t pad_bottom = rng.uniform(0, w.kernel_h - 1), pad_right = rng.uniform(0, w.kernel_w - 1);
    w.input = topt_dims{rng.uniform(1, 3), rng.uniform(1, 12), rng.uniform(1, 12), rng.uniform(1, 40)};
    if (seed == 2) w.input = topt_dims{1, 25, 5, 64};  // DS-CNN's pooled feature map
    const int32_t oh = (w.input.h + w.pad_top + pad_bottom - w.kernel_h) / w.stride_h + 1;
    const int32_t ow = (w.input.w + w.pad_left + pad_right - w.kernel_w) / w.stride_w + 1;
    if (oh < 1 || ow < 1) continue;  // window larger than the padded input
    w.output = topt_dims{w.input.n, oh, ow, w.input.c};
    random_act_range(rng, lo == -128 ? rng.uniform(lo, hi) : 0, lo, hi, &c.p.act_min, &c.p.act_max);
    c.x = rng.values<T>(static_cast<size_t>(w.input.n) * w.input.h * w.input.w * w.input.c, lo, hi);
    cases.push_back(c);
  }
  return cases;
}

// The valid taps of every output element, in output order.
template <class T, class Reduce>
std::vector<T> naive_pool(const PoolCase<T>& c, Reduce reduce) {
  const topt_window2d& w = c.p.win;
  std::vector<T> out;
  for (int32_t b = 0; b < w.output.n; ++b)
    for (int32_t oy = 0; oy < w.output.h; ++oy)
      for (int32_t ox = 0; ox < w.output.w; ++ox)
        for (int32_t ch = 0; ch < w.output.c; ++ch) {
          std::vector<int32_t> taps;
          for (int32_t ky = 0; ky < w.kernel_h; ++ky)
            for (int32_t kx = 0; kx < w.kernel_w; ++kx) {
              const int32_t iy = oy * w.stride_h - w.pad_top + ky, ix = ox * w.stride_w - w.pad_left + kx;
              if (iy >= 0 && iy < w.input.h && ix >= 0 && ix < w.input.w)
                taps.push_back(c.x[((static_cast<size_t>(b) * w.input.h + iy) * w.input.w + ix) * w.input.c + ch]);
            }
          out.push_back(static_cast<T>(std::clamp<int32_t>(reduce(taps), c.p.act_min, c.p.act_max)));
        }
  return out;
}

int32_t max_of(const std::vector<int32_t>& taps) { return *std::max_element(taps.begin(), taps.end()); }

int32_t rounded_mean(const std::vector<int32_t>& taps) {  // round half away from zero, exactly
  int64_t sum = 0;
  for (int32_t t : taps) sum += t;
  const int64_t n = static_cast<int64_t>(taps.size());
  const int64_t mag = sum < 0 ? -sum : sum;
  const int64_t q = (2 * mag + n) / (2 * n);  // floor(mag / n + 1/2)
  return static_cast<int32_t>(sum < 0 ? -q : q);
}

// ---- global average pool -----------------------------------------------------------------------------

template <class T>
struct GlobalPoolCase {
  topt_global_pool_params p{};
  std::vector<T> x;
  uint32_t seed = 0;
  std::string describe() const {
    std::ostringstream os;
    os << "seed " << seed << " input NHWC (" << p.input.n << "," << p.input.h << "," << p.input.w << "," << p.input.c
       << ") zero points " << p.input_zero_point << "," << p.output_zero_point << " requant (" << p.requant.multiplier
       << "," << p.requant.shift << ") act [" << p.act_min << "," << p.act_max << "]";
    return os.str();
  }
};

// ---- concat ------------------------------------------------------------------------------------------

struct ConcatCase {
  topt_concat_params p{};
  std::vector<int32_t> sizes, zps;
  std::vector<topt_requant> requant;
  std::vector<std::vector<int8_t>> inputs;
  std::vector<const int8_t*> ptrs;
  uint32_t seed = 0;
  size_t output_count() const {
    size_t axis = 0;
    for (int32_t s : sizes) axis += static_cast<size_t>(s);
    return static_cast<size_t>(p.outer) * axis * static_cast<size_t>(p.inner);
  }
  std::string describe() const {
    std::ostringstream os;
    os << "seed " << seed << " outer " << p.outer << " inner " << p.inner << " output zero point "
       << p.output_zero_point << " inputs:";
    for (size_t i = 0; i < sizes.size(); ++i)
      os << " [axis " << sizes[i] << " zp " << zps[i] << " (" << requant[i].multiplier << "," << requant[i].shift
         << ")]";
    return os.str();
  }
};

std::vector<ConcatCase> concat_cases() {
  std::vector<ConcatCase> cases(30);
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed * 5);
    ConcatCase& c = cases[seed - 1];
    c.seed = seed;
    const int32_t n = rng.uniform(1, 4);
    c.p.outer = rng.uniform(1, 30);
    c.p.inner = rng.chance(0.6) ? 1 : rng.uniform(2, 5);
    c.p.output_zero_point = rng.uniform(-128, 127);
    for (int32_t i = 0; i < n; ++i) {
      c.sizes.push_back(rng.uniform(1, 20));
      if (rng.chance(0.4)) {  // already in the output's quantization: a copy
        c.zps.push_back(c.p.output_zero_point);
        c.requant.push_back({1 << 30, 1});
      } else {
        int32_t m = 0, s = 0;
        EXPECT_EQ(topt_quantize_multiplier(rng.real(0.2, 3.0), &m, &s), TOPT_OK);
        c.zps.push_back(rng.uniform(-128, 127));
        c.requant.push_back({m, s});
      }
      c.inputs.push_back(rng.values<int8_t>(static_cast<size_t>(c.p.outer) * c.sizes.back() * c.p.inner, -128, 127));
    }
    for (const auto& in : c.inputs) c.ptrs.push_back(in.data());
    c.p.num_inputs = n;
    c.p.axis_sizes = c.sizes.data();
    c.p.input_zero_points = c.zps.data();
    c.p.input_requant = c.requant.data();
  }
  return cases;
}

std::vector<int8_t> naive_concat(const ConcatCase& c) {
  std::vector<int8_t> out;
  for (int32_t o = 0; o < c.p.outer; ++o)
    for (size_t i = 0; i < c.sizes.size(); ++i) {
      const size_t block = static_cast<size_t>(c.sizes[i]) * c.p.inner;
      for (size_t j = 0; j < block; ++j)
        out.push_back(
            static_cast<int8_t>(naive_output_s8(c.inputs[i][o * block + j] - c.zps[i], c.requant[i].multiplier,
                                                c.requant[i].shift, c.p.output_zero_point, -128, 127)));
    }
  return out;
}

// ---- pad ---------------------------------------------------------------------------------------------

struct PadCase {
  topt_pad_params p{};
  std::vector<int8_t> x;
  uint32_t seed = 0;
  int32_t out_dim(int a) const {
    const int32_t in[4] = {p.input.n, p.input.h, p.input.w, p.input.c};
    return in[a] + p.pad_before[a] + p.pad_after[a];
  }
  size_t output_count() const { return static_cast<size_t>(out_dim(0)) * out_dim(1) * out_dim(2) * out_dim(3); }
  std::string describe() const {
    std::ostringstream os;
    os << "seed " << seed << " input NHWC (" << p.input.n << "," << p.input.h << "," << p.input.w << "," << p.input.c
       << ") pads before/after";
    for (int a = 0; a < 4; ++a) os << " " << p.pad_before[a] << "/" << p.pad_after[a];
    os << " value " << p.pad_value;
    return os.str();
  }
};

std::vector<int8_t> naive_pad(const PadCase& c) {
  std::vector<int8_t> out;
  const topt_dims& d = c.p.input;
  for (int32_t n = 0; n < c.out_dim(0); ++n)
    for (int32_t h = 0; h < c.out_dim(1); ++h)
      for (int32_t w = 0; w < c.out_dim(2); ++w)
        for (int32_t ch = 0; ch < c.out_dim(3); ++ch) {
          const int32_t i[4] = {n - c.p.pad_before[0], h - c.p.pad_before[1], w - c.p.pad_before[2],
                                ch - c.p.pad_before[3]};
          const bool inside =
              i[0] >= 0 && i[0] < d.n && i[1] >= 0 && i[1] < d.h && i[2] >= 0 && i[2] < d.w && i[3] >= 0 && i[3] < d.c;
          out.push_back(inside ? c.x[((static_cast<size_t>(i[0]) * d.h + i[1]) * d.w + i[2]) * d.c + i[3]]
                               : static_cast<int8_t>(c.p.pad_value));
        }
  return out;
}

template <class C>
std::function<std::string(const C&)> describer() {
  return [](const C& c) { return c.describe(); };
}

// A pooling family's checker: `reduce` is the naive model of one window, `ref` the family reference.
template <class T, class Kernel, class Reduce, class Ref>
void check_pool(const Kernel& k, Reduce reduce, Ref ref) {
  using Case = PoolCase<T>;
  CaseRunner<Case, T>{
      describer<Case>(),
      [](const Case& c) { return c.output_count(); },
      [reduce](const Case& c) { return naive_pool(c, reduce); },
      [ref](const Case& c, T* out) { return ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, T* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, pool_cases<T>());
}

// Global average pool cases: int8 with random zero points, int16 with zero points 0 (docs/numerics.md).
template <class T>
std::vector<GlobalPoolCase<T>> global_pool_cases() {
  constexpr int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  constexpr bool int8 = lo == -128;
  std::vector<GlobalPoolCase<T>> cases;
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed * 11);
    GlobalPoolCase<T> c;
    c.seed = seed;
    c.p.input = topt_dims{rng.uniform(1, 3), rng.uniform(1, 26), rng.uniform(1, 9), rng.uniform(1, 70)};
    if (seed > 27) c.p.input.h = c.p.input.w = rng.uniform(60, 120);  // thousands of pixels per channel sum
    c.p.input_zero_point = int8 ? rng.uniform(lo, hi) : 0;
    c.p.output_zero_point = int8 ? rng.uniform(lo, hi) : 0;
    const double s_in = rng.real(0.01, 0.2), s_out = rng.real(0.01, 0.2);
    EXPECT_EQ(topt_quantize_multiplier(s_in / (s_out * c.p.input.h * c.p.input.w), &c.p.requant.multiplier,
                                       &c.p.requant.shift),
              TOPT_OK);
    random_act_range(rng, c.p.output_zero_point, lo, hi, &c.p.act_min, &c.p.act_max);
    c.x = rng.values<T>(static_cast<size_t>(c.p.input.n) * c.p.input.h * c.p.input.w * c.p.input.c, lo, hi);
    cases.push_back(c);
  }
  return cases;
}

template <class T, class Kernel, class Ref>
void check_global_pool(const Kernel& k, Ref ref) {
  using Case = GlobalPoolCase<T>;
  CaseRunner<Case, T>{
      describer<Case>(),
      [](const Case& c) { return static_cast<size_t>(c.p.input.n) * c.p.input.c; },
      [](const Case& c) {
        std::vector<T> out;
        const size_t hw = static_cast<size_t>(c.p.input.h) * c.p.input.w;
        for (int32_t b = 0; b < c.p.input.n; ++b)
          for (int32_t ch = 0; ch < c.p.input.c; ++ch) {
            int64_t acc = 0;
            for (size_t i = 0; i < hw; ++i) acc += c.x[(b * hw + i) * c.p.input.c + ch] - c.p.input_zero_point;
            out.push_back(static_cast<T>(naive_output_s8(acc, c.p.requant.multiplier, c.p.requant.shift,
                                                         c.p.output_zero_point, c.p.act_min, c.p.act_max)));
          }
        return out;
      },
      [ref](const Case& c, T* out) { return ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, T* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, global_pool_cases<T>());
}

}  // namespace

void check_maxpool2d_s8(const maxpool2d_s8_kernel& k) { check_pool<int8_t>(k, max_of, topt_maxpool2d_s8__ref); }
void check_avgpool2d_s8(const avgpool2d_s8_kernel& k) { check_pool<int8_t>(k, rounded_mean, topt_avgpool2d_s8__ref); }
void check_maxpool2d_s16(const maxpool2d_s16_kernel& k) { check_pool<int16_t>(k, max_of, topt_maxpool2d_s16__ref); }
void check_avgpool2d_s16(const avgpool2d_s16_kernel& k) {
  check_pool<int16_t>(k, rounded_mean, topt_avgpool2d_s16__ref);
}
void check_global_avgpool2d_s8(const global_avgpool2d_s8_kernel& k) {
  check_global_pool<int8_t>(k, topt_global_avgpool2d_s8__ref);
}
void check_global_avgpool2d_s16(const global_avgpool2d_s16_kernel& k) {
  check_global_pool<int16_t>(k, topt_global_avgpool2d_s16__ref);
}

void check_concat_s8(const concat_s8_kernel& k) {
  CaseRunner<ConcatCase, int8_t>{
      describer<ConcatCase>(),
      [](const ConcatCase& c) { return c.output_count(); },
      naive_concat,
      [](const ConcatCase& c, int8_t* out) { return topt_concat_s8__ref(&c.p, c.ptrs.data(), out, nullptr); },
      [&k](const ConcatCase& c) { return k.supports(&c.p); },
      [&k](const ConcatCase& c) { return k.scratch_bytes(&c.p); },
      [&k](const ConcatCase& c, int8_t* out, void* s) { return k.run(&c.p, c.ptrs.data(), out, s); }}
      .check(k.name, concat_cases());
}

void check_pad_s8(const pad_s8_kernel& k) {
  std::vector<PadCase> cases;
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed * 17);
    PadCase c;
    c.seed = seed;
    c.p.input = topt_dims{rng.uniform(1, 2), rng.uniform(1, 7), rng.uniform(1, 7), rng.uniform(1, 9)};
    for (int a = 0; a < 4; ++a) {
      const int32_t most = a == 0 ? 1 : 3;
      c.p.pad_before[a] = rng.chance(0.5) ? 0 : rng.uniform(0, most);
      c.p.pad_after[a] = rng.chance(0.5) ? 0 : rng.uniform(0, most);
    }
    c.p.pad_value = rng.uniform(-128, 127);
    c.x = rng.values<int8_t>(static_cast<size_t>(c.p.input.n) * c.p.input.h * c.p.input.w * c.p.input.c, -128, 127);
    cases.push_back(c);
  }
  CaseRunner<PadCase, int8_t>{
      describer<PadCase>(),
      [](const PadCase& c) { return c.output_count(); },
      naive_pad,
      [](const PadCase& c, int8_t* out) { return topt_pad_s8__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const PadCase& c) { return k.supports(&c.p); },
      [&k](const PadCase& c) { return k.scratch_bytes(&c.p); },
      [&k](const PadCase& c, int8_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, cases);
}

namespace {

TEST(RuntimePool, RejectsWindowsWithoutValidTaps) {
  topt_pool2d_params p{};
  p.win = topt_window2d{{1, 4, 4, 2}, {1, 2, 2, 2}, 2, 2, 2, 2, 1, 1, 0, 0};
  p.act_min = -128;
  p.act_max = 127;
  EXPECT_EQ(topt_pool2d_params_check(&p), TOPT_OK);
  p.win.pad_top = 2;  // the first window lies entirely in the padding
  EXPECT_EQ(topt_pool2d_params_check(&p), TOPT_ERR_SHAPE);
  p.win.pad_top = 0;
  p.win.output.h = 3;  // the last window starts below the input
  EXPECT_EQ(topt_pool2d_params_check(&p), TOPT_ERR_SHAPE);
  p.win.output.h = 2;
  p.win.output.c = 3;  // pooling keeps the channels
  EXPECT_EQ(topt_pool2d_params_check(&p), TOPT_ERR_SHAPE);
  p.win.output.c = 2;
  p.win.dilation_h = 2;
  EXPECT_EQ(topt_pool2d_params_check(&p), TOPT_ERR_SHAPE);
}

TEST(RuntimeConcat, IdentityInputsAreCopiedExactly) {
  // multiplier 2^30 with shift 1 is exactly x1.0 through requantize(), so copy and requantize agree
  for (int v = -128; v <= 127; ++v) EXPECT_EQ(naive_requant(v, 1 << 30, 1), v);
}

}  // namespace
}  // namespace tinyopt::rt_test
