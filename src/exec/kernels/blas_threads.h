// Thread counts for the exec kernels. ScopedBlasThreads keeps OpenBLAS's own thread pool out of the way while OpenMP threads call cblas_sgemm concurrently.
// The exec kernels parallelise with OpenMP themselves (over images, or over GEMM column blocks), so each
// sgemm call must run single-threaded; otherwise the two pools oversubscribe the cores. OpenBLAS's thread
// count is process-global, hence the save/restore: the training engine may set its own.
#pragma once

#include <cstdint>

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

// `threads`, or 1 when `work` (elements touched or multiply-adds) is too small to pay for waking a team:
// a parallel region costs microseconds, and far more when other processes hold the cores (threads spin
// at the barrier while a team member is descheduled).
inline int threads_for_work(int threads, int64_t work) { return work >= (int64_t{1} << 16) ? threads : 1; }

}  // namespace tinyopt::kernels
