// Data-moving shape ops on contiguous row-major tensors of any element type (given as an element size in
// bytes): Transpose, Concat, Pad (constant / reflect / edge, negative pads crop). Reshape, Flatten, Squeeze,
// Unsqueeze, Identity and Dropout move no data: the executor hands out a reshaped view of the input.
// Despite the _f32 file name (one name scheme for the kernel family) nothing here reads the values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tinyopt::kernels {

// y[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]  (ONNX Transpose: out dim j is in dim perm[j])
//   x: (dims)   y: (dims[perm[0]], ..., dims[perm[r-1]])
void transpose_any(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm, size_t elem_bytes,
                   const void* x, void* y, int threads);

// Concatenation along `axis`; all inputs share every other dim.
//   inputs[i]: (outer, axis_sizes[i], inner)   y: (outer, sum(axis_sizes), inner)
void concat_any(int64_t outer, int64_t inner, const std::vector<int64_t>& axis_sizes,
                const std::vector<const void*>& inputs, size_t elem_bytes, void* y);

enum class PadMode { kConstant, kReflect, kEdge };

// pad_begin / pad_end per dim (negative crops). For reflect, each pad must be < the dim (checked by the
// executor); edge needs a non-empty dim. `value` points at one element of the tensor's type.
//   x: (dims)   y: (dims[i] + pad_begin[i] + pad_end[i])
void pad_any(const std::vector<int64_t>& dims, const std::vector<int64_t>& pad_begin,
             const std::vector<int64_t>& pad_end, PadMode mode, const void* value, size_t elem_bytes,
             const void* x, void* y);

}  // namespace tinyopt::kernels
