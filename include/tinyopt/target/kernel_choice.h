// Kernel choice for a target: which runtime/ kernel variant each step of an IntegerProgram calls on a
// given device. The host executor picks among the variants compiled into the host build (x86 there);
// firmware picks among the variants the *target* can run: `ref` always, `dsp` when the target has the
// "dsp" feature, `neon` with "neon". Within a family the first row of runtime/include/tinyopt_rt_kernels.inc
// (list order = preference) whose variant the target runs and whose `_supports(params)` accepts the step
// wins, so a new kernel row needs no change here — except that a row whose scratch exceeds the largest
// activation footprint of any step (its in + out bytes) gives way to the next accepting row, so that
// kernel scratch never dominates the arena (see retarget_program). `_supports` and `_scratch_bytes` of every variant are
// portable C compiled into the host library, which is what lets the host choose for a device.
// Not here: calling kernels (the executor and the generated code do that).
#pragma once

#include <string>
#include <vector>

#include "tinyopt/exec/integer_program.h"
#include "tinyopt/target/target.h"

namespace tinyopt {

// The variants `target` can run, in no particular order (always contains TOPT_VARIANT_ref).
std::vector<topt_variant> target_variants(const Target& target);

// "ref", "x86", "dsp", "neon".
std::string variant_name(topt_variant variant);

// A kernel's class, its name without "topt_" and the variant ("topt_conv2d_c1x4_s8__dsp" -> "conv2d_c1x4_s8"):
// what the cost model's "<class>/<variant>" coefficients are keyed by. "" for a name not of that form.
std::string kernel_class_of(const std::string& kernel);

// Sets every step's `kernel` and `scratch_bytes` (and the program's max_scratch_bytes) to the choice for
// `target`. Throws Error(kInternal) naming the step's node if no variant accepts a step's params (the
// reference accepts every valid params, so that means the lowering produced invalid ones).
void retarget_program(IntegerProgram& program, const Target& target);

}  // namespace tinyopt
