// The one place the integer executor touches runtime/ kernels by family: selecting the variant for a
// step's (bound) parameters through the runtime's own selectors (tinyopt_rt_registry.h), and calling a
// selected kernel with the family's signature. Not a graph interpreter; no memory of its own.
#pragma once

#include <cstddef>
#include <string>

#include "tinyopt/exec/integer_program.h"
#include "tinyopt_rt_registry.h"

namespace tinyopt::exec {

struct KernelChoice {
  bool ok = false;  // false: no compiled-in kernel of the family accepts the params
  std::string name;
  size_t scratch_bytes = 0;
  topt_any_fn run = nullptr;
};

// `params` must be bound (bind_step_params) and hold the family's params type.
KernelChoice select_kernel(topt_family family, const StepParams& params);

// Calls `run` (a kernel of `family`) with the step's tensors: inputs[0..] are the activation inputs (all
// of them for concat), then filter and bias (bias may be null).
topt_status call_kernel(topt_family family, topt_any_fn run, const StepParams& params, const void* const* inputs,
                        size_t input_count, void* output, void* scratch);

}  // namespace tinyopt::exec
