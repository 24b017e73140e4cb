// Thread counts for the exec kernels. The kernels parallelise with OpenMP themselves (over images, or over
// GEMM column blocks), so each cblas_sgemm call must run single-threaded; otherwise OpenBLAS's own pool and
// the OpenMP team oversubscribe the cores. OpenBLAS's thread count is process-global:
//   ScopedBlasThreads sets it for a scope and restores it after (for occasional callers);
//   set_blas_single_threaded() sets it to 1 for good (the float executor, on every run): restoring 2
//   after each run wakes OpenBLAS's idle workers, which then spin on sched_yield beside the next run.
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

// Makes OpenBLAS single-threaded (no-op when it already is) and leaves it so.
void set_blas_single_threaded();

// Number of OpenMP threads to use when the caller asked for `requested` (0 = OpenMP default).
int resolve_threads(int requested);

// `threads`, or 1 when `work` (elements touched or multiply-adds) is too small to pay for waking a team:
// a parallel region costs microseconds, and far more when other processes hold the cores (threads spin
// at the barrier while a team member is descheduled).
inline int threads_for_work(int threads, int64_t work) { return work >= (int64_t{1} << 16) ? threads : 1; }

}  // namespace tinyopt::kernels
