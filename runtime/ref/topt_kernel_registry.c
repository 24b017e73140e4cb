/* topt_kernel_registry.c: the table of every kernel compiled into this build and the per-family selectors
 * declared in tinyopt_rt_registry.h, all generated from tinyopt_rt_kernels.inc.
 *
 * Host-side support, not a kernel: firmware calls its kernels by name and does not link this file.
 */
#include "tinyopt_rt_registry.h"

static const topt_kernel_info kTable[] = {
#define TOPT_KERNEL(name, family, variant)                                                     \
  TOPT_WHEN_##variant({#name, TOPT_FAMILY_##family, TOPT_VARIANT_##variant, (topt_any_fn)name, \
                       (topt_any_fn)name##_supports, (topt_any_fn)name##_scratch_bytes}, )
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
};

const topt_kernel_info* topt_kernels(size_t* count) {
  if (count != NULL) *count = sizeof(kTable) / sizeof(kTable[0]);
  return kTable;
}

#define TOPT_FAMILY(fam, params_type)                                          \
  int topt_##fam##_select(const params_type* p, topt_##fam##_kernel* out) {    \
    size_t i;                                                                  \
    for (i = 0; i < sizeof(kTable) / sizeof(kTable[0]); ++i) {                 \
      const topt_kernel_info* k = &kTable[i];                                  \
      if (k->family != TOPT_FAMILY_##fam) continue;                            \
      if (!((topt_##fam##_supports_fn*)k->supports)(p)) continue;              \
      if (out != NULL) {                                                       \
        out->name = k->name;                                                   \
        out->variant = k->variant;                                             \
        out->run = (topt_##fam##_fn*)k->run;                                   \
        out->supports = (topt_##fam##_supports_fn*)k->supports;                \
        out->scratch_bytes = (topt_##fam##_scratch_bytes_fn*)k->scratch_bytes; \
      }                                                                        \
      return 1;                                                                \
    }                                                                          \
    return 0;                                                                  \
  }
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
