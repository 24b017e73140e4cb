// fuse_conv_maxpool (integer_program.h): a conv2d_s8 step and the maxpool2d_s8 step that alone reads its
// output become one conv2d_maxpool_s8 step (runtime/ref/topt_conv2d_maxpool_s8__ref.c defines it as the
// two kernels run in turn, so the program's bytes do not change).
#include <algorithm>
#include <string>

#include "exec/integer/runtime_dispatch.h"
#include "tinyopt/core/error.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt {
namespace {

// How many step inputs and graph outputs read tensor t's storage (views included).
int readers_of(const IntegerProgram& prog, int t) {
  const int s = prog.storage_of(t);
  int n = 0;
  for (const IntegerStep& step : prog.steps)
    for (int in : step.inputs) n += prog.storage_of(in) == s;
  for (const std::vector<int>* outs : {&prog.outputs, &prog.integer_outputs})
    for (int o : *outs) n += prog.storage_of(o) == s;
  return n;
}

// The index of the maxpool2d_s8 step that is the only reader of conv step i's output, or -1.
int fusable_pool(const IntegerProgram& prog, size_t i) {
  const IntegerStep& conv = prog.steps[i];
  if (conv.family != TOPT_FAMILY_conv2d_s8) return -1;
  const int out = conv.outputs.at(0);
  if (readers_of(prog, out) != 1) return -1;
  for (size_t j = i + 1; j < prog.steps.size(); ++j) {
    const IntegerStep& pool = prog.steps[j];
    if (pool.family != TOPT_FAMILY_maxpool2d_s8 || pool.inputs.size() != 1 || pool.inputs[0] != out) continue;
    const auto& p = std::get<topt_pool2d_params>(pool.params);
    return p.win.stride_h >= p.win.kernel_h ? static_cast<int>(j) : -1;
  }
  return -1;
}

// The fused step of conv step `conv` and pool step `pool`, its kernel selected; ok false when only the family
// reference accepts the parameters (it runs the two kernels in turn: nothing gained over the unfused
// steps, which may have faster variants of their own).
IntegerStep fused_step(const IntegerStep& conv, const IntegerStep& pool, bool* ok) {
  IntegerStep f = conv;
  f.family = TOPT_FAMILY_conv2d_maxpool_s8;
  f.params = topt_conv2d_maxpool_params{std::get<topt_conv2d_params>(conv.params),
                                        std::get<topt_pool2d_params>(pool.params)};
  f.outputs = pool.outputs;
  f.source_nodes.insert(f.source_nodes.end(), pool.source_nodes.begin(), pool.source_nodes.end());
  const exec::KernelChoice k = exec::select_kernel(f.family, bind_step_params(f));
  *ok = k.ok && k.name != std::string("topt_conv2d_maxpool_s8__ref");
  f.kernel = k.name;
  f.scratch_bytes = k.scratch_bytes;
  return f;
}

}  // namespace

IntegerProgram fuse_conv_maxpool(IntegerProgram prog) {
  for (size_t i = 0; i < prog.steps.size(); ++i) {
    const int j = fusable_pool(prog, i);
    if (j < 0) continue;
    bool ok = false;
    IntegerStep f = fused_step(prog.steps[i], prog.steps[static_cast<size_t>(j)], &ok);
    if (!ok) continue;
    prog.max_scratch_bytes = std::max(prog.max_scratch_bytes, f.scratch_bytes);
    prog.steps[i] = std::move(f);
    prog.steps.erase(prog.steps.begin() + j);
  }
  return prog;
}

}  // namespace tinyopt
