// Runners for the data-movement ops: views (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout in
// inference) that share the input's storage, and Transpose, Concat, Pad that copy.
#include <algorithm>
#include <cstring>

#include "exec/kernels/shape_ops_f32.h"
#include "exec/runners/runners.h"

namespace tinyopt::exec {

void run_view(OpContext& ctx) { ctx.alias_output(0, ctx.input(0).reshaped(ctx.output_shape(0))); }

void run_dropout(OpContext& ctx) {
  const bool training = ctx.has_input(2) && ctx.input(2).numel() == 1 && ctx.input(2).bytes()[0] != 0;
  if (training) {
    float ratio = 0.5f;
    if (ctx.has_input(1)) ratio = ctx.input_scalar_f32(1, ratio);
    if (ratio != 0.0f) ctx.fail("training_mode with a non-zero ratio is random; the float executor runs inference only");
  }
  run_view(ctx);
  if (ctx.wants_output(1)) {
    Tensor& mask = ctx.output(1, DType::kBool);
    std::memset(mask.bytes(), 1, mask.nbytes());
  }
}

void run_transpose(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> perm = ctx.node().attr_ints("perm");
  if (perm.empty())
    for (int i = x.rank() - 1; i >= 0; --i) perm.push_back(i);
  for (int64_t& p : perm) p = p < 0 ? p + x.rank() : p;
  Tensor& y = ctx.output(0, x.dtype());
  kernels::transpose_any(x.shape(), perm, ctx.element_bytes(x), x.bytes(), y.bytes(),
                         ctx.threads());
}

void run_concat(OpContext& ctx) {
  const Tensor& first = ctx.input(0);
  const int64_t rank = first.rank();
  int64_t axis = ctx.node().attr_int("axis", 0);
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= first.dim(static_cast<int>(i));
  for (int64_t i = axis + 1; i < rank; ++i) inner *= first.dim(static_cast<int>(i));
  std::vector<int64_t> sizes;
  std::vector<const void*> data;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    if (t.dtype() != first.dtype()) ctx.fail("input " + std::to_string(i) + " has a different dtype");
    sizes.push_back(t.dim(static_cast<int>(axis)));
    data.push_back(t.bytes());
  }
  Tensor& y = ctx.output(0, first.dtype());
  kernels::concat_any(outer, inner, sizes, data, ctx.element_bytes(first), y.bytes());
}

void run_pad(OpContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto rank = static_cast<size_t>(x.rank());
  const std::string mode_name = ctx.node().attr_string("mode", "constant");
  kernels::PadMode mode;
  if (mode_name == "constant") mode = kernels::PadMode::kConstant;
  else if (mode_name == "reflect") mode = kernels::PadMode::kReflect;
  else if (mode_name == "edge") mode = kernels::PadMode::kEdge;
  else ctx.fail("unsupported mode '" + mode_name + "' (constant, reflect, edge are)");
  const std::vector<int64_t> pads = ctx.input_ints(1);
  std::vector<int64_t> axes;
  if (ctx.has_input(3)) {
    for (int64_t a : ctx.input_ints(3)) axes.push_back(a < 0 ? a + static_cast<int64_t>(rank) : a);
  } else {
    for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> begin(rank, 0), end(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    begin[static_cast<size_t>(axes[i])] = pads[i];
    end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
  }
  for (size_t i = 0; i < rank; ++i) {
    const int64_t d = x.dim(static_cast<int>(i));
    if (mode == kernels::PadMode::kReflect && (begin[i] >= d || end[i] >= d) && (begin[i] > 0 || end[i] > 0))
      ctx.fail("reflect pads must be smaller than the padded dimension " + std::to_string(d));
    if (mode == kernels::PadMode::kEdge && d == 0 && (begin[i] > 0 || end[i] > 0))
      ctx.fail("edge padding of an empty dimension");
  }
  const size_t elem = ctx.element_bytes(x);
  std::vector<uint8_t> value(elem, 0);
  if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
    if (ctx.input(2).dtype() != x.dtype()) ctx.fail("constant_value has a different dtype than the input");
    std::memcpy(value.data(), ctx.input(2).bytes(), elem);
  }
  Tensor& y = ctx.output(0, x.dtype());
  kernels::pad_any(x.shape(), begin, end, mode, value.data(), elem, x.bytes(), y.bytes());
}

}  // namespace tinyopt::exec
