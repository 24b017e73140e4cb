// Kernel choice for a target (kernel_choice.h): a table of every firmware-capable kernel row of the
// runtime's kernel list with its `_supports` / `_scratch_bytes` companions, and the first-accepting-row
// rule of the runtime's own selector, restricted to the variants the target runs. x86 rows are left out:
// they are host-only (AVX2) and never run on a device.
#include "tinyopt/target/kernel_choice.h"

#include <algorithm>
#include <variant>

#include "tinyopt/core/error.h"
#include "tinyopt_rt_registry.h"

namespace tinyopt {
namespace {

struct CatalogRow {
  const char* name;
  topt_family family;
  topt_variant variant;
  topt_any_fn supports, scratch_bytes;
};

#define TINYOPT_CODEGEN_ROW(name, family, variant)                                    \
  {#name, TOPT_FAMILY_##family, TOPT_VARIANT_##variant, reinterpret_cast<topt_any_fn>(&name##_supports), \
   reinterpret_cast<topt_any_fn>(&name##_scratch_bytes)},
#define TINYOPT_CODEGEN_ROW_ref(name, family) TINYOPT_CODEGEN_ROW(name, family, ref)
#define TINYOPT_CODEGEN_ROW_dsp(name, family) TINYOPT_CODEGEN_ROW(name, family, dsp)
#define TINYOPT_CODEGEN_ROW_neon(name, family) TINYOPT_CODEGEN_ROW(name, family, neon)
#define TINYOPT_CODEGEN_ROW_x86(name, family)

const CatalogRow kCatalog[] = {
#define TOPT_KERNEL(name, family, variant) TINYOPT_CODEGEN_ROW_##variant(name, family)
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
};

#undef TINYOPT_CODEGEN_ROW
#undef TINYOPT_CODEGEN_ROW_ref
#undef TINYOPT_CODEGEN_ROW_dsp
#undef TINYOPT_CODEGEN_ROW_neon
#undef TINYOPT_CODEGEN_ROW_x86

// Calls row.supports / row.scratch_bytes with the params of the row's family. supported = false when
// `params` does not hold that family's params type.
struct Query {
  bool supported = false;
  size_t scratch_bytes = 0;
};

Query query_row(const CatalogRow& row, const StepParams& params) {
  switch (row.family) {
#define TOPT_FAMILY(fam, params_type)                                                                        \
  case TOPT_FAMILY_##fam: {                                                                                  \
    const auto* p = std::get_if<params_type>(&params);                                                       \
    if (p == nullptr || !reinterpret_cast<topt_##fam##_supports_fn*>(row.supports)(p)) return {};            \
    return {true, reinterpret_cast<topt_##fam##_scratch_bytes_fn*>(row.scratch_bytes)(p)};                   \
  }
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
    case TOPT_FAMILY_COUNT: break;
  }
  return {};
}

// The most activation bytes one step reads and writes (int8 / int16 tensors; the float boundary stays
// with the caller): roughly the arena the model needs before any kernel scratch.
size_t activation_peak_bytes(const IntegerProgram& program) {
  size_t peak = 0;
  for (const IntegerStep& step : program.steps) {
    size_t bytes = 0;
    for (const std::vector<int>* ids : {&step.inputs, &step.outputs})
      for (int t : *ids) {
        const IntTensor& x = program.tensors.at(static_cast<size_t>(t));
        if (x.kind != IntTensorKind::kConstant && x.dtype != DType::kF32) bytes += x.bytes();
      }
    peak = std::max(peak, bytes);
  }
  return peak;
}

}  // namespace

std::vector<topt_variant> target_variants(const Target& target) {
  const auto has = [&](const char* feature) {
    return std::find(target.features.begin(), target.features.end(), feature) != target.features.end();
  };
  std::vector<topt_variant> v = {TOPT_VARIANT_ref};
  if (has("dsp")) v.push_back(TOPT_VARIANT_dsp);
  if (has("neon")) v.push_back(TOPT_VARIANT_neon);
  return v;
}

std::string variant_name(topt_variant variant) {
  switch (variant) {
    case TOPT_VARIANT_ref: return "ref";
    case TOPT_VARIANT_x86: return "x86";
    case TOPT_VARIANT_dsp: return "dsp";
    case TOPT_VARIANT_neon: return "neon";
  }
  return "?";
}

void retarget_program(IntegerProgram& program, const Target& target) {
  const std::vector<topt_variant> allowed = target_variants(target);
  // A variant whose scratch alone exceeds every step's activations would make the arena mostly scratch
  // (fc-ae's DSP dense on Cortex-M4: 768 B of activations, ~32 KB of arena), and RAM is the scarcer
  // resource on these parts: such a row gives way to the next accepting one (at worst the reference,
  // which needs no scratch).
  const size_t peak = activation_peak_bytes(program);
  program.max_scratch_bytes = 0;
  for (IntegerStep& step : program.steps) {
    const StepParams bound = bind_step_params(step);
    const CatalogRow* chosen = nullptr;
    size_t chosen_scratch = 0;
    for (const CatalogRow& row : kCatalog) {
      if (row.family != step.family || std::find(allowed.begin(), allowed.end(), row.variant) == allowed.end())
        continue;
      const Query q = query_row(row, bound);
      if (!q.supported) continue;
      if (chosen == nullptr || chosen_scratch > peak) {
        chosen = &row;
        chosen_scratch = q.scratch_bytes;
      }
      if (chosen_scratch <= peak) break;
    }
    if (chosen == nullptr)
      throw_internal("no " + family_name(step.family) + " kernel accepts the parameters of node '" +
                     (step.source_nodes.empty() ? std::string("?") : step.source_nodes[0]) + "' for target '" +
                     target.name + "'");
    step.kernel = chosen->name;
    step.scratch_bytes = chosen_scratch;
    program.max_scratch_bytes = std::max(program.max_scratch_bytes, step.scratch_bytes);
  }
}

std::string kernel_class_of(const std::string& kernel) {
  const size_t variant = kernel.rfind("__");
  if (kernel.rfind("topt_", 0) != 0 || variant == std::string::npos || variant <= 5) return "";
  return kernel.substr(5, variant - 5);
}

}  // namespace tinyopt
