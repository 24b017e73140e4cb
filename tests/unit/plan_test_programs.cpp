// Random DAG-shaped programs of the planner tests (plan_test_programs.h).
#include "unit/plan_test_programs.h"

#include <algorithm>
#include <random>


namespace tinyopt::testing {
namespace {

int add_tensor(IntegerProgram& p, IntTensorKind kind, DType dtype, int64_t n, int alias_of = -1) {
  IntTensor t;
  t.name = "t" + std::to_string(p.tensors.size());
  t.kind = kind;
  t.dtype = dtype;
  t.shape = {1, n};
  t.alias_of = alias_of;
  if (kind == IntTensorKind::kConstant) t.data.assign(static_cast<size_t>(n), 1);
  p.tensors.push_back(std::move(t));
  return static_cast<int>(p.tensors.size()) - 1;
}

void add_step(IntegerProgram& p, topt_family family, std::vector<int> inputs, int output, size_t scratch = 0) {
  IntegerStep s;
  s.family = family;
  s.kernel = family_name(family) + "__test";
  s.inputs = std::move(inputs);
  s.outputs = {output};
  s.scratch_bytes = scratch;
  s.source_nodes = {"node" + std::to_string(p.steps.size())};
  p.steps.push_back(std::move(s));
}

}  // namespace

IntegerProgram random_program(uint32_t seed, int steps) {
  std::mt19937 rng(seed);
  auto below = [&](uint32_t n) { return static_cast<int>(rng() % n); };
  IntegerProgram p;
  const int in = add_tensor(p, IntTensorKind::kInput, DType::kF32, 64);
  p.inputs = {in};
  const int x0 = add_tensor(p, IntTensorKind::kActivation, DType::kI8, 64);
  add_step(p, TOPT_FAMILY_quantize_s8, {in}, x0);
  std::vector<int> acts = {x0};
  auto recent = [&] {  // mostly the last few tensors, sometimes an old one (long skip connections)
    const int back = below(4) == 0 ? below(static_cast<uint32_t>(acts.size())) : std::min<int>(below(3), static_cast<int>(acts.size()) - 1);
    return acts[acts.size() - 1 - static_cast<size_t>(back)];
  };
  auto bytes = [&](int t) { return static_cast<int64_t>(p.tensors[static_cast<size_t>(t)].bytes()); };
  for (int k = 0; k < steps; ++k) {
    const int a = recent();
    const int kind = below(10);
    int out = -1;
    if (kind < 4) {  // conv-like: a constant filter, a new size, sometimes scratch
      const int filter = add_tensor(p, IntTensorKind::kConstant, DType::kI8, 8);
      const int64_t n = 16 * (1 + below(64)) + (below(5) == 0 ? below(15) : 0);
      out = add_tensor(p, IntTensorKind::kActivation, DType::kI8, n);
      add_step(p, TOPT_FAMILY_conv2d_s8, {a, filter}, out, below(3) == 0 ? static_cast<size_t>(8 * (1 + below(40))) : 0);
    } else if (kind < 8) {  // add of two same-size tensors, else an elementwise clamp / hard-swish
      std::vector<int> same;
      for (int t : acts)
        if (t != a && bytes(t) == bytes(a)) same.push_back(t);
      out = add_tensor(p, IntTensorKind::kActivation, DType::kI8, bytes(a));
      if (kind < 6 && !same.empty()) {
        add_step(p, TOPT_FAMILY_add_s8, {a, same[static_cast<size_t>(below(static_cast<uint32_t>(same.size())))]}, out);
      } else {
        add_step(p, below(2) ? TOPT_FAMILY_clamp_s8 : TOPT_FAMILY_hardswish_s8, {a}, out);
      }
    } else if (kind < 9) {  // concat of 2-3 tensors
      std::vector<int> ins = {a, recent()};
      if (below(2)) ins.push_back(recent());
      int64_t n = 0;
      for (int t : ins) n += bytes(t);
      out = add_tensor(p, IntTensorKind::kActivation, DType::kI8, n);
      add_step(p, TOPT_FAMILY_concat_s8, ins, out);
    } else {  // a view (Flatten): no step, the same bytes
      out = add_tensor(p, IntTensorKind::kActivation, DType::kI8, bytes(a), a);
    }
    acts.push_back(out);
  }
  const int last = acts.back();
  const int fout = add_tensor(p, IntTensorKind::kOutput, DType::kF32, bytes(last));
  add_step(p, TOPT_FAMILY_dequantize_s8, {last}, fout);
  p.outputs = {fout};
  p.integer_outputs = {last};
  if (below(3) == 0) {  // a second, integer graph output that must survive to the end
    const int extra = acts[static_cast<size_t>(below(static_cast<uint32_t>(acts.size())))];
    p.outputs.push_back(extra);
    p.integer_outputs.push_back(extra);
  }
  return p;
}

}  // namespace tinyopt::testing
