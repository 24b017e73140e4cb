// A small SGEMM for convolutions on x86-64 with AVX-512F, selected at run time (sgemm_rows_avx512_supported)
// because the build targets x86-64-v3 and Debian's OpenBLAS 0.3.21 runs only its AVX2 kernels on recent
// AMD cores. B is given as one pointer per row, so a convolution's B matrix can be the rows of an im2col
// buffer, the channels of the input (1x1 convolutions) or shifted views of a zero-padded input (stride-1
// convolutions: no im2col at all, see conv2d_f32__avx512.cpp).
//
// Algorithm: A (the weights) is packed once into row panels stored k-major: 12-row panels, then 8-row
// panels so that common channel counts (32, 64, 128) need no zero rows. The micro-kernel keeps a 12 x 32
// tile of C in 24 zmm registers and, for each k, loads 32 floats of B row k and broadcasts 12 values of A
// (12x32 measured fastest of 12x32, 8x48, 14x32, 6x64 on the Fashion-MNIST CNN's layer shapes). Loop
// order: row panels outside (the A panel stays in L1), 32-column tiles inside; column tails use masked
// loads and stores; counts with no 12/8 split zero-pad the last panel. Results are not bit-exact with a
// naive loop or with OpenBLAS (different summation order, FMA).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tinyopt::kernels {

inline constexpr int64_t kSgemmMr = 12;  // rows per (tall) packed A panel
inline constexpr int64_t kSgemmNr = 32;  // columns per micro-tile (two zmm)

bool sgemm_rows_avx512_supported();

// Floats needed to pack an (m, k) A matrix.
size_t sgemm_rows_packed_a_floats(int64_t m, int64_t k);

// Packs A into row panels of (k, 12) then (k, 8) (see above).
//   a:      (m, k) row-major with leading dimension lda
//   packed: sgemm_rows_packed_a_floats(m, k) floats
void sgemm_rows_pack_a(int64_t m, int64_t k, const float* a, int64_t lda, float* packed);

// c[i, j] = sum_q A[i, q] * b_rows[q][j] for i < m and n_begin <= j < n_end (other columns untouched).
// b_rows[q] must be readable at [n_begin, n_end); masked loads never touch memory beyond it.
//   packed_a: from sgemm_rows_pack_a(m, k, ...)
//   b_rows:   k pointers
//   c:        (m, ldc)
void sgemm_rows_f32__avx512(int64_t m, int64_t k, const float* packed_a, const float* const* b_rows, int64_t n_begin,
                            int64_t n_end, float* c, int64_t ldc);

}  // namespace tinyopt::kernels
