// Reader for IDX files, the container of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
// magic 00 00 <type> <ndims>, ndims big-endian uint32 dimensions, then big-endian data in C order.
// Raw or gzip-compressed (detected by content, not by the file name). Reading only: tinyopt never
// writes IDX (it writes NPY, see npy.h).
#pragma once

#include <string>

#include "tinyopt/core/tensor.h"

namespace tinyopt {

// Element types an IDX file may declare (the third magic byte).
enum class IdxType : uint8_t { kU8 = 0x08, kI8 = 0x09, kI16 = 0x0B, kI32 = 0x0C, kF32 = 0x0D, kF64 = 0x0E };

// Reads an IDX file into a tensor of the declared shape: u8 -> kU8, i8 -> kI8, i16 -> kI16,
// i32 -> kI32, f32 and f64 -> kF32 (f64 narrowed). Throws tinyopt::Error (kBadInput) naming the file
// on a bad magic, unknown type, zero or too many dims, a declared size above Tensor::kMaxTensorBytes,
// a size that does not match the declared dims (with expected and actual bytes) or corrupt gzip data.
Tensor read_idx(const std::string& path);

}  // namespace tinyopt
