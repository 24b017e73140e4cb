/* tinyopt_rt_registry.h: the kernel table and one typed selector per family, generated from the kernel
 * list (tinyopt_rt_kernels.inc). Host-side (integer executor, benchmarks, tests): it holds kernel names as
 * strings, so generated firmware does not include it; codegen names its kernels directly.
 *
 * topt_<family>_select(p, &k) picks the first row of the family, in list order, that is compiled into this
 * build and whose _supports(p) is nonzero. That is the only dispatch code in tinyopt: to prefer a new
 * variant, add its row above the ones it beats.
 */
#ifndef TINYOPT_RT_REGISTRY_H
#define TINYOPT_RT_REGISTRY_H

#include "tinyopt_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*topt_any_fn)(void); /* cast back to the family's function types before calling */

typedef struct {
  const char* name;
  topt_family family;
  topt_variant variant;
  topt_any_fn run, supports, scratch_bytes;
} topt_kernel_info;

/* Every kernel compiled into this build, in list order; *count receives the number of rows. */
const topt_kernel_info* topt_kernels(size_t* count);

#define TOPT_FAMILY(family, params_type)                                                     \
  typedef struct {                                                                           \
    const char* name;                                                                        \
    topt_variant variant;                                                                    \
    topt_##family##_fn* run;                                                                 \
    topt_##family##_supports_fn* supports;                                                   \
    topt_##family##_scratch_bytes_fn* scratch_bytes;                                         \
  } topt_##family##_kernel;                                                                  \
  /* 1 and *out filled when a compiled-in kernel supports p; 0 when none does (p invalid) */ \
  int topt_##family##_select(const params_type* p, topt_##family##_kernel* out);
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY

#ifdef __cplusplus
}
#endif

#endif /* TINYOPT_RT_REGISTRY_H */
