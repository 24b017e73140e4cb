// The small functions of the IntegerProgram description (integer_program.h): binding a step's parameter
// pointers to its own arrays, family names, alias resolution, and the "is this a QDQ graph" test.
#include "tinyopt/exec/integer_program.h"

#include <type_traits>

#include "tinyopt/core/error.h"

namespace tinyopt {

int IntegerProgram::storage_of(int t) const {
  for (int hops = 0; t >= 0 && tensors.at(static_cast<size_t>(t)).alias_of >= 0; ++hops) {
    if (hops > static_cast<int>(tensors.size())) throw_internal("alias cycle in integer program");
    t = tensors[static_cast<size_t>(t)].alias_of;
  }
  return t;
}

StepParams bind_step_params(const IntegerStep& step) {
  StepParams p = step.params;
  std::visit(
      [&](auto& params) {
        using P = std::decay_t<decltype(params)>;
        if constexpr (std::is_same_v<P, topt_conv2d_params> || std::is_same_v<P, topt_dwconv2d_params> ||
                      std::is_same_v<P, topt_dense_params>) {
          params.quant.multiplier = step.multiplier.data();
          params.quant.shift = step.shift.data();
        } else if constexpr (std::is_same_v<P, topt_conv2d_maxpool_params>) {
          params.conv.quant.multiplier = step.multiplier.data();
          params.conv.quant.shift = step.shift.data();
        } else if constexpr (std::is_same_v<P, topt_concat_params>) {
          params.axis_sizes = step.axis_sizes.data();
          params.input_zero_points = step.input_zero_points.data();
          params.input_requant = step.input_requant.data();
        }
      },
      p);
  return p;
}

std::string family_name(topt_family family) {
  switch (family) {
#define TOPT_FAMILY(fam, params_type) \
  case TOPT_FAMILY_##fam: return #fam;
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
    case TOPT_FAMILY_COUNT: break;
  }
  return "?";
}

bool is_quantized(const Graph& graph) {
  for (const Node& n : graph.nodes)
    if (n.op == OpType::kQuantizeLinear || n.op == OpType::kDequantizeLinear) return true;
  return false;
}

}  // namespace tinyopt
