// Reader and writer for NumPy's .npy format (numpy.lib.format, versions 1.0, 2.0 and, for reading, 3.0):
// the magic "\x93NUMPY", a version, a little-endian header length, a Python-literal header dict
// {'descr', 'fortran_order', 'shape'} and the raw array data. C order only; no pickled objects, no
// structured dtypes, no .npz archives.
#pragma once

#include <string>

#include "tinyopt/core/tensor.h"

namespace tinyopt {

// Reads a .npy file. Supported dtypes and the tensor they become:
//   f4 -> kF32, f8 -> kF32 (narrowed), u1 -> kU8, i1 -> kI8, i2 -> kI16, i4 -> kI32, i8 -> kI64,
//   b1 -> kBool; little- or big-endian ('<', '>', '=', '|').
// Throws tinyopt::Error (kBadInput), one line naming the file, on a bad magic or version, an unparsable
// header, fortran_order True, an unsupported dtype, an absurd size, or truncated/trailing data.
Tensor read_npy(const std::string& path);

// Writes `tensor` as NPY 1.0 (2.0 when the header needs it), C order, little-endian, atomically
// (temp file + rename). Supports kF32, kI8, kU8, kI16, kI32, kI64 and kBool; kI4 throws kBadInput.
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace tinyopt
