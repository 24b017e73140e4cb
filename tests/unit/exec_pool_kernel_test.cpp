// maxpool_f32 / avgpool_f32 / global_avgpool_f32 against direct loops written here, over randomized 1-, 2-
// and 3-D geometries (odd sizes, stride, asymmetric pads, dilation, ceil_mode, count_include_pad).
#include <gtest/gtest.h>

#include <limits>

#include "exec/kernels/pool_f32.h"
#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using kernels::PoolParams;
using testing::all_close;
using testing::random_floats;
using testing::random_int;

// Reference: walk every window position of the padded input; positions past the explicit padding (only
// reachable through ceil_mode) are not counted, as in the ONNX reference implementation.
void naive_pool(const PoolParams& p, const std::vector<float>& x, std::vector<float>* max_out,
                std::vector<int64_t>* argmax, std::vector<float>* avg_out) {
  const int64_t od = p.out(0), oh = p.out(1), ow = p.out(2);
  for (int64_t plane = 0; plane < p.batch * p.channels; ++plane)
    for (int64_t d = 0; d < od; ++d)
      for (int64_t h = 0; h < oh; ++h)
        for (int64_t w = 0; w < ow; ++w) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_i = -1;
          double sum = 0;
          int64_t inside = 0, padded = 0;
          for (int64_t kd = 0; kd < p.kernel[0]; ++kd)
            for (int64_t kh = 0; kh < p.kernel[1]; ++kh)
              for (int64_t kw = 0; kw < p.kernel[2]; ++kw) {
                const int64_t id = d * p.stride[0] - p.pad_begin[0] + kd * p.dilation[0];
                const int64_t ih = h * p.stride[1] - p.pad_begin[1] + kh * p.dilation[1];
                const int64_t iw = w * p.stride[2] - p.pad_begin[2] + kw * p.dilation[2];
                const bool in_pad = id < p.in[0] + p.pad_end[0] && ih < p.in[1] + p.pad_end[1] &&
                                    iw < p.in[2] + p.pad_end[2];
                if (in_pad) ++padded;
                if (id < 0 || ih < 0 || iw < 0 || id >= p.in[0] || ih >= p.in[1] || iw >= p.in[2]) continue;
                const int64_t i = (id * p.in[1] + ih) * p.in[2] + iw;
                const float v = x[static_cast<size_t>(plane * p.in_plane() + i)];
                if (v > best) { best = v; best_i = i; }
                sum += v;
                ++inside;
              }
          const size_t o = static_cast<size_t>(plane * p.out_plane() + (d * oh + h) * ow + w);
          (*max_out)[o] = best;
          (*argmax)[o] = best_i;
          const int64_t count = p.count_include_pad ? padded : inside;
          (*avg_out)[o] = count == 0 ? 0.0f : static_cast<float>(sum / static_cast<double>(count));
        }
}

TEST(ExecPoolKernel, MatchesDirectLoopsOnRandomGeometries) {
  std::mt19937 rng(3);
  int tested = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int rank = 1 + trial % 3;
    int64_t in[3], kernel[3], stride[3], pads[6], dilation[3];
    for (int i = 0; i < rank; ++i) {
      in[i] = random_int(rng, 1, rank == 3 ? 6 : 12);
      kernel[i] = random_int(rng, 1, 3);
      stride[i] = random_int(rng, 1, 3);
      dilation[i] = trial % 2 == 0 ? 1 : random_int(rng, 1, 2);
      pads[i] = random_int(rng, 0, kernel[i] - 1);  // pads smaller than the kernel, as ONNX requires
      pads[rank + i] = random_int(rng, 0, kernel[i] - 1);
      if (trial % 5 == 0) kernel[i] = stride[i] = 2;  // the 2x2 stride-2 fast path, with odd sizes and pads
    }
    const PoolParams p = kernels::make_pool_params(random_int(rng, 1, 2), random_int(rng, 1, 3), rank, in, kernel,
                                                   stride, pads, dilation, trial % 3 == 0, trial % 4 < 2);
    if (p.out(0) <= 0 || p.out(1) <= 0 || p.out(2) <= 0) continue;
    ++tested;
    const auto x = random_floats(rng, p.batch * p.channels * p.in_plane());
    const size_t out_n = static_cast<size_t>(p.batch * p.channels * p.out_plane());
    std::vector<float> want_max(out_n), want_avg(out_n), got_max(out_n), got_avg(out_n);
    std::vector<int64_t> want_arg(out_n), got_arg(out_n);
    naive_pool(p, x, &want_max, &want_arg, &want_avg);
    kernels::maxpool_f32(p, x.data(), got_max.data(), got_arg.data(), 2);
    kernels::avgpool_f32(p, x.data(), got_avg.data(), 1);
    ASSERT_EQ(got_max, want_max) << "trial " << trial;
    ASSERT_EQ(got_arg, want_arg) << "trial " << trial;
    std::vector<float> no_argmax(out_n);  // without Indices, 2-D pools take the clipping fast path
    kernels::maxpool_f32(p, x.data(), no_argmax.data(), nullptr, 1);
    ASSERT_EQ(no_argmax, want_max) << "trial " << trial;
    ASSERT_TRUE(all_close(got_avg, want_avg)) << "trial " << trial;
  }
  EXPECT_GT(tested, 300);
}

TEST(ExecPoolKernel, GlobalAverageIsPlaneMean) {
  const std::vector<float> x = {1, 2, 3, 4, 10, 20, 30, 40};
  std::vector<float> y(2);
  kernels::global_avgpool_f32(2, 4, x.data(), y.data(), 1);
  EXPECT_FLOAT_EQ(y[0], 2.5f);
  EXPECT_FLOAT_EQ(y[1], 25.0f);
  // An AveragePool whose one window is the whole plane gives the same means.
  const int64_t in[2] = {2, 2}, kernel[2] = {2, 2}, stride[2] = {1, 1}, pads[4] = {0, 0, 0, 0}, dil[2] = {1, 1};
  const auto p = kernels::make_pool_params(1, 2, 2, in, kernel, stride, pads, dil, false, false);
  std::vector<float> z(2);
  kernels::avgpool_f32(p, x.data(), z.data(), 1);
  EXPECT_FLOAT_EQ(z[0], 2.5f);
  EXPECT_FLOAT_EQ(z[1], 25.0f);
}

}  // namespace
}  // namespace tinyopt
