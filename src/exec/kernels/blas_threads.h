// Keeps OpenBLAS's own thread pool out of the way while OpenMP threads call cblas_sgemm concurrently.
// The exec kernels parallelise with OpenMP themselves (over images, or over GEMM column blocks), so each
// sgemm call must run single-threaded; otherwise the two pools oversubscribe the cores. OpenBLAS's thread
// count is process-global, hence the save/restore: the training engine may set its own.
#pragma once

namespace tinyopt::kernels {

class ScopedBlasThreads {
 public:
  explicit ScopedBlasThreads(int threads);
  ~ScopedBlasThreads();
  ScopedBlasThreads(const ScopedBlasThreads&) = delete;
  ScopedBlasThreads& operator=(const ScopedBlasThreads&) = delete;

 private:
  int saved_;
};

// Number of OpenMP threads to use when the caller asked for `requested` (0 = OpenMP default).
int resolve_threads(int requested);

}  // namespace tinyopt::kernels
