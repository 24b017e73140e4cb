// ReduceMean over any set of axes of a row-major tensor. The executor handles keepdims (it only changes
// the output shape, not the data) and noop_with_empty_axes.
#pragma once

#include <cstdint>
#include <vector>

namespace tinyopt::kernels {

//   x: (dims)
//   y: (dims with every reduced axis set to 1), contiguous
// reduce[i] marks axis i as reduced; an empty tensor's means are NaN (0/0), as in numpy.
void reduce_mean_f32(const std::vector<int64_t>& dims, const std::vector<bool>& reduce, const float* x, float* y,
                     int threads);

}  // namespace tinyopt::kernels
