// Definitions for runtime_test_support.h: random quantization parameters and case descriptions.
#include "unit/runtime_test_support.h"

#include <cmath>

namespace tinyopt::rt_test {

ChannelRequant random_channel_requant(Rng& rng, int32_t channels, double acc_std, double out_std, int32_t max_shift) {
  ChannelRequant r;
  r.multiplier.resize(static_cast<size_t>(channels));
  r.shift.resize(static_cast<size_t>(channels));
  const bool extreme = rng.chance(0.15);
  for (int32_t c = 0; c < channels; ++c) {
    int32_t m = 0, s = 0;
    if (extreme && rng.chance(0.5)) {
      switch (rng.uniform(0, 5)) {
        case 0:
          m = INT32_MAX;
          s = max_shift;
          break;  // saturates almost everything
        case 1:
          m = 1 << 30;
          s = -31;
          break;  // rounds almost everything to 0
        case 2:
          m = 0;
          s = 0;
          break;  // multiplier 0
        case 3:
          m = rng.uniform(1 << 30, INT32_MAX);
          s = rng.uniform(1, std::min(8, max_shift));
          break;
        case 4:
          m = INT32_MAX;
          s = -1;
          break;
        default:
          m = rng.uniform(0, INT32_MAX);
          s = rng.uniform(-31, max_shift);
          break;
      }
    } else {
      const double real = out_std / std::max(acc_std, 1.0) * rng.real(0.4, 2.5);
      EXPECT_EQ(topt_quantize_multiplier(real, &m, &s), TOPT_OK);
      if (s > max_shift) s = max_shift;
    }
    r.multiplier[static_cast<size_t>(c)] = m;
    r.shift[static_cast<size_t>(c)] = s;
  }
  return r;
}

void random_act_range(Rng& rng, int32_t zero_point, int32_t lo, int32_t hi, int32_t* act_min, int32_t* act_max) {
  *act_min = lo;
  *act_max = hi;
  const int32_t kind = rng.uniform(0, 9);
  if (kind == 0) {  // ReLU
    *act_min = std::max(zero_point, lo);
  } else if (kind == 1) {  // arbitrary sub-range
    const int32_t a = rng.uniform(lo, hi), b = rng.uniform(lo, hi);
    *act_min = std::min(a, b);
    *act_max = std::max(a, b);
  }
}

std::string describe(const topt_window2d& w) {
  std::ostringstream os;
  os << "input NHWC (" << w.input.n << "," << w.input.h << "," << w.input.w << "," << w.input.c << ") output ("
     << w.output.n << "," << w.output.h << "," << w.output.w << "," << w.output.c << ") kernel " << w.kernel_h << "x"
     << w.kernel_w << " stride " << w.stride_h << "x" << w.stride_w << " dilation " << w.dilation_h << "x"
     << w.dilation_w << " pad top " << w.pad_top << " left " << w.pad_left;
  return os.str();
}

std::string describe(const topt_channel_quant& q, int32_t channels) {
  std::ostringstream os;
  os << "input_zero_point " << q.input_zero_point << " output_zero_point " << q.output_zero_point << " act ["
     << q.act_min << "," << q.act_max << "] (multiplier, shift) per channel:";
  for (int32_t c = 0; c < channels && c < 8; ++c) os << " (" << q.multiplier[c] << "," << q.shift[c] << ")";
  if (channels > 8) os << " ...";
  return os.str();
}

}  // namespace tinyopt::rt_test
