// Checkers of the elementwise families (add, clamp, hard-swish, softmax, quantize, dequantize; declared in
// runtime_test_support.h, called per kernel variant by runtime_variants_test.cpp) with their naive models,
// plus accuracy tests of the fixed-point hard-swish and softmax against double precision.
#include <cmath>
#include <limits>

#include "unit/runtime_case_runner.h"

namespace tinyopt::rt_test {
namespace {

const int32_t kCounts[] = {1, 7, 16, 31, 32, 33, 100, 1000};

double log_uniform(Rng& rng, double lo, double hi) { return std::exp(rng.real(std::log(lo), std::log(hi))); }

std::string seed_text(uint32_t seed) { return "seed " + std::to_string(seed); }

// ---- add ---------------------------------------------------------------------------------------------

template <class T>
struct AddCase {
  topt_add_params p{};
  std::vector<T> a, b;
  uint32_t seed = 0;
  std::string describe() const {
    std::ostringstream os;
    os << seed_text(seed) << " count " << p.count << " zero points " << p.input1_zero_point << ","
       << p.input2_zero_point << "," << p.output_zero_point << " left_shift " << p.left_shift << " requant in1 ("
       << p.input1.multiplier << "," << p.input1.shift << ") in2 (" << p.input2.multiplier << "," << p.input2.shift
       << ") out (" << p.output.multiplier << "," << p.output.shift << ") act [" << p.act_min << "," << p.act_max
       << "]";
    return os.str();
  }
};

// int8: random zero points, left shift 20 (up to 22 raw); int16: zero points 0, left shift 15 (up to 15 raw).
template <class T>
std::vector<AddCase<T>> add_cases() {
  constexpr int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  constexpr bool int8 = lo == -128;
  std::vector<AddCase<T>> cases;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    AddCase<T> c;
    c.seed = seed;
    if (int8) {
      EXPECT_EQ(topt_add_prepare(log_uniform(rng, 0.005, 0.5), rng.uniform(-128, 127), log_uniform(rng, 0.005, 0.5),
                                 rng.uniform(-128, 127), log_uniform(rng, 0.005, 0.5), rng.uniform(-128, 127), &c.p),
                TOPT_OK);
    } else {
      EXPECT_EQ(topt_add_prepare_s16(log_uniform(rng, 1e-5, 1e-2), log_uniform(rng, 1e-5, 1e-2),
                                     log_uniform(rng, 1e-5, 1e-2), &c.p),
                TOPT_OK);
    }
    if (rng.chance(0.15)) {  // raw parameters, including a saturating output stage
      c.p.left_shift = rng.uniform(0, int8 ? 22 : 15);
      c.p.input1 = {rng.uniform(0, INT32_MAX), rng.uniform(-31, 0)};
      c.p.input2 = {rng.uniform(0, INT32_MAX), rng.uniform(-31, 0)};
      c.p.output = {rng.uniform(0, INT32_MAX), rng.uniform(-31, 30)};
    }
    random_act_range(rng, c.p.output_zero_point, lo, hi, &c.p.act_min, &c.p.act_max);
    c.p.count = kCounts[seed % 8];
    c.a = rng.values<T>(static_cast<size_t>(c.p.count), lo, hi);
    c.b = rng.values<T>(static_cast<size_t>(c.p.count), lo, hi);
    cases.push_back(c);
  }
  return cases;
}

template <class T>
std::vector<T> naive_add(const AddCase<T>& c) {
  const topt_add_params& p = c.p;
  std::vector<T> out;
  for (int32_t i = 0; i < p.count; ++i) {
    const int64_t a =
        naive_requant(int64_t{c.a[i] - p.input1_zero_point} * (1 << p.left_shift), p.input1.multiplier, p.input1.shift);
    const int64_t b =
        naive_requant(int64_t{c.b[i] - p.input2_zero_point} * (1 << p.left_shift), p.input2.multiplier, p.input2.shift);
    const int64_t sum = std::clamp<int64_t>(a + b, INT32_MIN, INT32_MAX);
    out.push_back(static_cast<T>(
        naive_output_s8(sum, p.output.multiplier, p.output.shift, p.output_zero_point, p.act_min, p.act_max)));
  }
  return out;
}

// ---- clamp -------------------------------------------------------------------------------------------

struct ClampCase {
  topt_clamp_params p{};
  std::vector<int8_t> x;
  uint32_t seed = 0;
  std::string describe() const {
    return seed_text(seed) + " count " + std::to_string(p.count) + " act [" + std::to_string(p.act_min) + "," +
           std::to_string(p.act_max) + "]";
  }
};

// ---- hard-swish --------------------------------------------------------------------------------------

struct HardswishCase {
  topt_hardswish_params p{};
  double s_in = 0, s_out = 0;
  std::vector<int8_t> x;
  uint32_t seed = 0;
  std::string describe() const {
    std::ostringstream os;
    os << seed_text(seed) << " count " << p.count << " s_in " << s_in << " z_in " << p.input_zero_point << " s_out "
       << s_out << " z_out " << p.output_zero_point << " three " << p.three << " requant (" << p.requant.multiplier
       << "," << p.requant.shift << ")";
    return os.str();
  }
};

std::vector<HardswishCase> hardswish_cases() {
  std::vector<HardswishCase> cases;
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed * 7);
    HardswishCase c;
    c.seed = seed;
    c.s_in = log_uniform(rng, 0.005, 0.3);
    c.s_out = log_uniform(rng, 0.005, 0.3);
    EXPECT_EQ(topt_hardswish_prepare(c.s_in, rng.uniform(-128, 127), c.s_out, rng.uniform(-128, 127), &c.p), TOPT_OK);
    c.p.count = 256;  // every input value once
    for (int v = -128; v <= 127; ++v) c.x.push_back(static_cast<int8_t>(v));
    cases.push_back(c);
  }
  return cases;
}

std::vector<int8_t> naive_hardswish(const HardswishCase& c) {
  std::vector<int8_t> out;
  for (int8_t q : c.x) {
    const int64_t x = q - c.p.input_zero_point;
    const int64_t g = std::clamp<int64_t>(x + c.p.three, 0, c.p.six);
    out.push_back(static_cast<int8_t>(
        naive_output_s8(x * g, c.p.requant.multiplier, c.p.requant.shift, c.p.output_zero_point, -128, 127)));
  }
  return out;
}

// ---- softmax: gemmlowp's fixed-point exp and reciprocal, re-derived on the naive primitives ------------

int32_t sat_pot(int64_t x, int e) {
  return static_cast<int32_t>(std::clamp<int64_t>(x * (int64_t{1} << e), INT32_MIN, INT32_MAX));
}

int32_t naive_exp_on_negative(int32_t a) {  // a in Q5.26, <= 0; result Q0.31
  if (a == 0) return INT32_MAX;
  const int64_t quarter = int64_t{1} << 24;
  const int64_t r = floor_div(a, quarter) * quarter;  // a rounded down to a multiple of 1/4
  const int64_t rem_in_quarter = a - r;               // in [0, 1/4)
  // exp on [-1/4, 0): Taylor around -1/8 on x = (rem - 1/4) + 1/8 in Q0.31
  const int32_t x = static_cast<int32_t>(sat_pot(rem_in_quarter - quarter, 5) + (int64_t{1} << 28));
  const int32_t x2 = naive_srdhm(x, x), x3 = naive_srdhm(x2, x), x4 = naive_srdhm(x2, x2);
  const int32_t poly = naive_rdbpot(naive_srdhm(naive_rdbpot(x4, 2) + x3, 715827883) + x2, 1);
  int32_t result = 1895147668 + naive_srdhm(1895147668, x + poly);
  // multiply by exp(-2^k / 4) for each set bit of the remaining whole quarters
  const int64_t quarters = -(r + quarter) / quarter;  // >= 0
  const int32_t factors[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = 0; k < 7; ++k)
    if (quarters & (int64_t{1} << k)) result = naive_srdhm(result, factors[k]);
  return result;
}

int32_t naive_reciprocal(int32_t a) {  // 1/(1+a), a in Q0.31 [0, 1)
  const int64_t sum = int64_t{a} + INT32_MAX;
  const int32_t d = static_cast<int32_t>((sum + 1) / 2);  // sum >= 0
  int32_t x = 1515870810 + naive_srdhm(d, -1010580540);
  for (int i = 0; i < 3; ++i) x += sat_pot(naive_srdhm(x, (1 << 29) - naive_srdhm(d, x)), 2);
  return sat_pot(x, 1);
}

struct SoftmaxCase {
  topt_softmax_params p{};
  double beta = 1, s_in = 0;
  std::vector<int8_t> x;
  uint32_t seed = 0;
  std::string describe() const {
    std::ostringstream os;
    os << seed_text(seed) << " rows " << p.rows << " row_size " << p.row_size << " beta " << beta << " s_in " << s_in
       << " multiplier " << p.input_beta_multiplier << " left_shift " << p.input_beta_left_shift << " diff_min "
       << p.diff_min;
    return os.str();
  }
};

std::vector<SoftmaxCase> softmax_cases() {
  const int32_t sizes[] = {1, 2, 3, 10, 12, 35, 100, 600, 4095};
  std::vector<SoftmaxCase> cases;
  for (uint32_t seed = 1; seed <= 36; ++seed) {
    Rng rng(seed * 13);
    SoftmaxCase c;
    c.seed = seed;
    c.beta = rng.chance(0.7) ? 1.0 : rng.real(0.3, 3.0);
    c.s_in = log_uniform(rng, 0.002, 1.0);
    EXPECT_EQ(topt_softmax_prepare(c.beta, c.s_in, &c.p), TOPT_OK);
    c.p.rows = rng.uniform(1, 3);
    c.p.row_size = sizes[seed % 9];
    const int32_t spread = rng.uniform(0, 255);  // narrow rows exercise the flat / large-sum corner
    const int32_t lo = rng.uniform(-128, 127 - spread);
    c.x = rng.values<int8_t>(static_cast<size_t>(c.p.rows) * c.p.row_size, lo, lo + spread);
    cases.push_back(c);
  }
  return cases;
}

std::vector<int8_t> naive_softmax(const SoftmaxCase& c) {
  const topt_softmax_params& p = c.p;
  std::vector<int8_t> out;
  for (int32_t r = 0; r < p.rows; ++r) {
    const int8_t* row = c.x.data() + static_cast<size_t>(r) * p.row_size;
    const int32_t mx = *std::max_element(row, row + p.row_size);
    auto e = [&](int32_t diff) {
      return naive_exp_on_negative(naive_srdhm(diff * (1 << p.input_beta_left_shift), p.input_beta_multiplier));
    };
    int64_t sum = 0;
    for (int32_t i = 0; i < p.row_size; ++i)
      if (row[i] - mx >= p.diff_min) sum += naive_rdbpot(e(row[i] - mx), 12);
    int headroom = 0;
    while (!((sum << headroom) & (int64_t{1} << 31))) ++headroom;
    const int32_t scale = naive_reciprocal(static_cast<int32_t>((sum << headroom) - (int64_t{1} << 31)));
    const int bits = 12 - headroom + 23;
    for (int32_t i = 0; i < p.row_size; ++i) {
      int32_t v = -128;
      if (row[i] - mx >= p.diff_min) {
        const int32_t prob = naive_srdhm(scale, e(row[i] - mx));
        v = (bits <= 31 ? naive_rdbpot(prob, bits) : 0) - 128;
      }
      out.push_back(static_cast<int8_t>(std::clamp(v, -128, 127)));
    }
  }
  return out;
}

// ---- quantize / dequantize ---------------------------------------------------------------------------

template <class T>
struct QuantizeCase {
  topt_quantize_params p{};
  std::vector<float> f;
  std::vector<T> q;
  uint32_t seed = 0;
  std::string describe() const {
    return seed_text(seed) + " count " + std::to_string(p.count) + " scale " + std::to_string(p.scale) +
           " zero_point " + std::to_string(p.zero_point);
  }
};

// int8: random zero points, values within +-300 steps; int16: zero point 0, values within +-40000 steps.
template <class T>
std::vector<QuantizeCase<T>> quantize_cases() {
  constexpr int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  constexpr bool int8 = lo == -128;
  const int32_t reach = int8 ? 300 : 40000;
  std::vector<QuantizeCase<T>> cases;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed * 31);
    QuantizeCase<T> c;
    c.seed = seed;
    c.p.scale = static_cast<float>(log_uniform(rng, 1e-4, 10));
    c.p.zero_point = int8 ? rng.uniform(-128, 127) : 0;
    const float inf = std::numeric_limits<float>::infinity();
    c.f = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 3.0e38f, -3.0e38f};
    for (int k = -reach; k <= reach; k += reach / 43) {  // exact ties k + 0.5 (in units of scale) and neighbours
      const float tie = (static_cast<float>(k) + 0.5f) * c.p.scale;
      c.f.insert(c.f.end(), {tie, std::nextafter(tie, inf), std::nextafter(tie, -inf)});
    }
    // counts not a multiple of SIMD widths too
    while (c.f.size() < 400 + seed % 8) c.f.push_back(static_cast<float>(rng.real(-reach, reach)) * c.p.scale);
    c.p.count = static_cast<int32_t>(c.f.size());
    c.q = rng.values<T>(c.f.size(), lo, hi);
    cases.push_back(c);
  }
  for (int32_t count = 1; count <= 9; ++count) {  // fewer values than one 8-lane step, and one step plus some
    Rng rng(static_cast<uint32_t>(count) * 131);
    QuantizeCase<T> c;
    c.seed = static_cast<uint32_t>(100 + count);
    c.p.scale = static_cast<float>(log_uniform(rng, 1e-4, 10));
    c.p.zero_point = int8 ? rng.uniform(-128, 127) : 0;
    for (int32_t k = 0; k < count; ++k) c.f.push_back(static_cast<float>(rng.real(-reach, reach)) * c.p.scale);
    c.p.count = count;
    c.q = rng.values<T>(c.f.size(), lo, hi);
    cases.push_back(c);
  }
  return cases;
}

template <class T>
std::vector<T> naive_quantize(const QuantizeCase<T>& c) {
  const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  std::vector<T> out;
  for (float x : c.f) {
    const float v = x / c.p.scale;  // the spec's float32 division
    if (std::isnan(v)) {
      out.push_back(static_cast<T>(c.p.zero_point));
      continue;
    }
    const double r = std::round(std::clamp(static_cast<double>(v), -1e6, 1e6)) + c.p.zero_point;
    out.push_back(static_cast<T>(std::clamp(r, lo, hi)));
  }
  return out;
}

template <class C>
std::function<std::string(const C&)> describer() {
  return [](const C& c) { return c.describe(); };
}

}  // namespace

namespace {

template <class T, class Kernel, class Ref>
void check_add(const Kernel& k, Ref ref) {
  using Case = AddCase<T>;
  CaseRunner<Case, T>{
      describer<Case>(),
      [](const Case& c) { return static_cast<size_t>(c.p.count); },
      naive_add<T>,
      [ref](const Case& c, T* out) { return ref(&c.p, c.a.data(), c.b.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, T* out, void* s) { return k.run(&c.p, c.a.data(), c.b.data(), out, s); }}
      .check(k.name, add_cases<T>());
}

template <class T, class Kernel, class Ref>
void check_quantize(const Kernel& k, Ref ref) {
  using Case = QuantizeCase<T>;
  CaseRunner<Case, T>{
      describer<Case>(),
      [](const Case& c) { return c.f.size(); },
      naive_quantize<T>,
      [ref](const Case& c, T* out) { return ref(&c.p, c.f.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, T* out, void* s) { return k.run(&c.p, c.f.data(), out, s); }}
      .check(k.name, quantize_cases<T>());
}

template <class T, class Kernel, class Ref>
void check_dequantize(const Kernel& k, Ref ref) {
  using Case = QuantizeCase<T>;
  CaseRunner<Case, float>{
      describer<Case>(),
      [](const Case& c) { return c.q.size(); },
      [](const Case& c) {
        std::vector<float> out;
        for (T q : c.q) out.push_back(c.p.scale * static_cast<float>(q - c.p.zero_point));
        return out;
      },
      [ref](const Case& c, float* out) { return ref(&c.p, c.q.data(), out, nullptr); },
      [&k](const Case& c) { return k.supports(&c.p); },
      [&k](const Case& c) { return k.scratch_bytes(&c.p); },
      [&k](const Case& c, float* out, void* s) { return k.run(&c.p, c.q.data(), out, s); }}
      .check(k.name, quantize_cases<T>());
}

}  // namespace

void check_add_s8(const add_s8_kernel& k) { check_add<int8_t>(k, topt_add_s8__ref); }
void check_add_s16(const add_s16_kernel& k) { check_add<int16_t>(k, topt_add_s16__ref); }
void check_quantize_s8(const quantize_s8_kernel& k) { check_quantize<int8_t>(k, topt_quantize_s8__ref); }
void check_quantize_s16(const quantize_s16_kernel& k) { check_quantize<int16_t>(k, topt_quantize_s16__ref); }
void check_dequantize_s8(const dequantize_s8_kernel& k) { check_dequantize<int8_t>(k, topt_dequantize_s8__ref); }
void check_dequantize_s16(const dequantize_s16_kernel& k) { check_dequantize<int16_t>(k, topt_dequantize_s16__ref); }

void check_clamp_s8(const clamp_s8_kernel& k) {
  std::vector<ClampCase> cases;
  for (uint32_t seed = 1; seed <= 16; ++seed) {
    Rng rng(seed);
    ClampCase c;
    c.seed = seed;
    c.p.count = kCounts[seed % 8];
    random_act_range(rng, rng.uniform(-128, 127), -128, 127, &c.p.act_min, &c.p.act_max);
    c.x = rng.values<int8_t>(static_cast<size_t>(c.p.count), -128, 127);
    cases.push_back(c);
  }
  CaseRunner<ClampCase, int8_t>{
      describer<ClampCase>(),
      [](const ClampCase& c) { return static_cast<size_t>(c.p.count); },
      [](const ClampCase& c) {
        std::vector<int8_t> out;
        for (int8_t v : c.x) out.push_back(static_cast<int8_t>(std::clamp<int32_t>(v, c.p.act_min, c.p.act_max)));
        return out;
      },
      [](const ClampCase& c, int8_t* out) { return topt_clamp_s8__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const ClampCase& c) { return k.supports(&c.p); },
      [&k](const ClampCase& c) { return k.scratch_bytes(&c.p); },
      [&k](const ClampCase& c, int8_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, cases);
}

void check_hardswish_s8(const hardswish_s8_kernel& k) {
  CaseRunner<HardswishCase, int8_t>{
      describer<HardswishCase>(),
      [](const HardswishCase& c) { return static_cast<size_t>(c.p.count); },
      naive_hardswish,
      [](const HardswishCase& c, int8_t* out) { return topt_hardswish_s8__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const HardswishCase& c) { return k.supports(&c.p); },
      [&k](const HardswishCase& c) { return k.scratch_bytes(&c.p); },
      [&k](const HardswishCase& c, int8_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, hardswish_cases());
}

void check_softmax_s8(const softmax_s8_kernel& k) {
  CaseRunner<SoftmaxCase, int8_t>{
      describer<SoftmaxCase>(),
      [](const SoftmaxCase& c) { return c.x.size(); },
      naive_softmax,
      [](const SoftmaxCase& c, int8_t* out) { return topt_softmax_s8__ref(&c.p, c.x.data(), out, nullptr); },
      [&k](const SoftmaxCase& c) { return k.supports(&c.p); },
      [&k](const SoftmaxCase& c) { return k.scratch_bytes(&c.p); },
      [&k](const SoftmaxCase& c, int8_t* out, void* s) { return k.run(&c.p, c.x.data(), out, s); }}
      .check(k.name, softmax_cases());
}

namespace {

double hardswish(double x) { return x * std::clamp(x + 3.0, 0.0, 6.0) / 6.0; }

// docs/numerics.md section 7: the only errors are the final rounding and 3 rounded to a multiple of s_in.
TEST(RuntimeHardswish, CloseToDoublePrecision) {
  for (const HardswishCase& c : hardswish_cases()) {
    std::vector<int8_t> out(c.x.size());
    ASSERT_EQ(topt_hardswish_s8__ref(&c.p, c.x.data(), out.data(), nullptr), TOPT_OK);
    // error bound in output units: rounding (0.5 + 0.5) plus the breakpoint shift |x| * (s_in/2) / 6 / s_out
    const double bound = 1.0 + 255.0 * c.s_in * c.s_in / 12.0 / c.s_out;
    for (size_t i = 0; i < c.x.size(); ++i) {
      const double want = std::clamp(
          hardswish(c.s_in * (c.x[i] - c.p.input_zero_point)) / c.s_out + c.p.output_zero_point, -128.0, 127.0);
      ASSERT_LE(std::abs(out[i] - want), bound) << c.describe() << " q_in " << int{c.x[i]};
    }
  }
}

// docs/numerics.md section 8: within one step of round(256 * softmax) - 128.
TEST(RuntimeSoftmax, WithinOneOfDoublePrecision) {
  for (const SoftmaxCase& c : softmax_cases()) {
    std::vector<int8_t> out(c.x.size());
    ASSERT_EQ(topt_softmax_s8__ref(&c.p, c.x.data(), out.data(), nullptr), TOPT_OK);
    for (int32_t r = 0; r < c.p.rows; ++r) {
      const int8_t* row = c.x.data() + static_cast<size_t>(r) * c.p.row_size;
      const int mx = *std::max_element(row, row + c.p.row_size);
      double sum = 0;
      for (int32_t i = 0; i < c.p.row_size; ++i) sum += std::exp(c.beta * c.s_in * (row[i] - mx));
      for (int32_t i = 0; i < c.p.row_size; ++i) {
        const double want = std::clamp(256.0 * std::exp(c.beta * c.s_in * (row[i] - mx)) / sum - 128.0, -128.0, 127.0);
        ASSERT_LE(std::abs(out[static_cast<size_t>(r) * c.p.row_size + i] - want), 1.0)
            << c.describe() << " row " << r << " element " << i;
      }
    }
  }
}

TEST(RuntimeSoftmax, RejectsRowsOver4095AndBadScaling) {
  topt_softmax_params p{};
  ASSERT_EQ(topt_softmax_prepare(1.0, 0.1, &p), TOPT_OK);
  p.rows = 1;
  p.row_size = 4096;
  EXPECT_FALSE(topt_softmax_s8__ref_supports(&p));
  p.row_size = 4095;
  EXPECT_TRUE(topt_softmax_s8__ref_supports(&p));
  EXPECT_EQ(topt_softmax_prepare(1.0, 0.0, &p), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_softmax_prepare(1.0, 1e-12, &p), TOPT_ERR_QUANT);  // below what Q5.26 resolves
  EXPECT_EQ(topt_softmax_prepare(1.0, 100.0, &p), TOPT_ERR_QUANT);  // multiplier would need shift 31
}

TEST(RuntimeElementwise, InPlaceIsAllowedForAddClampHardswish) {
  Rng rng(3);
  std::vector<int8_t> x = rng.values<int8_t>(100, -128, 127), y = rng.values<int8_t>(100, -128, 127);
  topt_add_params add{};
  ASSERT_EQ(topt_add_prepare(0.1, 3, 0.07, -5, 0.15, 1, &add), TOPT_OK);
  add.count = 100;
  std::vector<int8_t> want(100), got = x;
  ASSERT_EQ(topt_add_s8__ref(&add, x.data(), y.data(), want.data(), nullptr), TOPT_OK);
  ASSERT_EQ(topt_add_s8__ref(&add, got.data(), y.data(), got.data(), nullptr), TOPT_OK);
  EXPECT_EQ(want, got);
  topt_hardswish_params hs{};
  ASSERT_EQ(topt_hardswish_prepare(0.05, 0, 0.04, -20, &hs), TOPT_OK);
  hs.count = 100;
  got = x;
  ASSERT_EQ(topt_hardswish_s8__ref(&hs, x.data(), want.data(), nullptr), TOPT_OK);
  ASSERT_EQ(topt_hardswish_s8__ref(&hs, got.data(), got.data(), nullptr), TOPT_OK);
  EXPECT_EQ(want, got);
}

TEST(RuntimeElementwise, PrepareHelpersRejectBadScales) {
  topt_add_params add{};
  EXPECT_EQ(topt_add_prepare(0.0, 0, 0.1, 0, 0.1, 0, &add), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_add_prepare(0.1, 0, std::nan(""), 0, 0.1, 0, &add), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_add_prepare(0.1, 200, 0.1, 0, 0.1, 0, &add), TOPT_ERR_QUANT);
  EXPECT_EQ(topt_add_prepare(0.1, 0, 0.1, 0, 0.1, 0, nullptr), TOPT_ERR_NULL);
  topt_hardswish_params hs{};
  EXPECT_EQ(topt_hardswish_prepare(1e-9, 0, 0.1, 0, &hs), TOPT_ERR_QUANT);  // three beyond 2^22
  EXPECT_EQ(topt_hardswish_prepare(-0.1, 0, 0.1, 0, &hs), TOPT_ERR_QUANT);
  topt_quantize_params q{10, 0.0f, 0};
  EXPECT_FALSE(topt_quantize_s8__ref_supports(&q));
  q.scale = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(topt_quantize_s8__ref_supports(&q));
}

}  // namespace
}  // namespace tinyopt::rt_test
