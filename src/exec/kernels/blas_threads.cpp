// OpenBLAS / OpenMP thread-count plumbing for the exec kernels (see blas_threads.h).
#include "exec/kernels/blas_threads.h"

#include <cblas.h>
#include <omp.h>

namespace tinyopt::kernels {

ScopedBlasThreads::ScopedBlasThreads(int threads) : saved_(openblas_get_num_threads()) {
  if (saved_ != threads) openblas_set_num_threads(threads);
}

ScopedBlasThreads::~ScopedBlasThreads() {
  if (openblas_get_num_threads() != saved_) openblas_set_num_threads(saved_);
}

void set_blas_single_threaded() {
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

int resolve_threads(int requested) { return requested > 0 ? requested : omp_get_max_threads(); }

}  // namespace tinyopt::kernels
