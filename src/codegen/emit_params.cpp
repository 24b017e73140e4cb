// Params struct initializers for the generated model.c (emit_params.h).
#include "codegen/emit_params.h"

#include <type_traits>
#include <variant>

#include "tinyopt/core/error.h"

namespace tinyopt::codegen {
namespace {

std::string dims(const topt_dims& d) {
  return fmt::format("{{.n = {}, .h = {}, .w = {}, .c = {}}}", d.n, d.h, d.w, d.c);
}

std::string window(const topt_window2d& w) {
  return fmt::format(
      "{{.input = {}, .output = {}, .kernel_h = {}, .kernel_w = {}, .stride_h = {}, .stride_w = {}, "
      ".dilation_h = {}, .dilation_w = {}, .pad_top = {}, .pad_left = {}}}",
      dims(w.input), dims(w.output), w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w,
      w.pad_top, w.pad_left);
}

std::string requant(const topt_requant& r) {
  return fmt::format("{{.multiplier = {}, .shift = {}}}", c_int(r.multiplier), c_int(r.shift));
}

// The per-channel arrays of conv / depthwise / dense, and the quant initializer pointing at them.
std::string channel_quant(CWriter& w, const IntegerStep& step, const topt_channel_quant& q, const std::string& prefix,
                          int64_t& bytes) {
  if (step.multiplier.empty() || step.multiplier.size() != step.shift.size())
    throw_internal("step " + prefix + " has no per-channel multipliers");
  w.array(fmt::format("static const int32_t {}_multiplier[{}]", prefix, step.multiplier.size()),
          std::span<const int32_t>(step.multiplier));
  w.array(fmt::format("static const int32_t {}_shift[{}]", prefix, step.shift.size()),
          std::span<const int32_t>(step.shift));
  bytes += static_cast<int64_t>(8 * step.multiplier.size());
  return fmt::format(
      "{{.input_zero_point = {}, .output_zero_point = {}, .act_min = {}, .act_max = {}, .multiplier = {}_multiplier, "
      ".shift = {}_shift}}",
      c_int(q.input_zero_point), c_int(q.output_zero_point), c_int(q.act_min), c_int(q.act_max), prefix, prefix);
}

// The initializer body (without braces' type) for each params type.
std::string initializer(CWriter& w, const IntegerStep& step, const topt_conv2d_params& p, const std::string& prefix,
                        int64_t& bytes) {
  return fmt::format("{{.win = {}, .quant = {}}}", window(p.win), channel_quant(w, step, p.quant, prefix, bytes));
}
std::string initializer(CWriter& w, const IntegerStep& step, const topt_dwconv2d_params& p, const std::string& prefix,
                        int64_t& bytes) {
  return fmt::format("{{.win = {}, .depth_multiplier = {}, .quant = {}}}", window(p.win), p.depth_multiplier,
                     channel_quant(w, step, p.quant, prefix, bytes));
}
std::string initializer(CWriter& w, const IntegerStep& step, const topt_dense_params& p, const std::string& prefix,
                        int64_t& bytes) {
  return fmt::format("{{.batches = {}, .in_features = {}, .out_features = {}, .quant = {}}}", p.batches,
                     p.in_features, p.out_features, channel_quant(w, step, p.quant, prefix, bytes));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_add_params& p, const std::string&, int64_t&) {
  return fmt::format(
      "{{.count = {}, .input1_zero_point = {}, .input2_zero_point = {}, .output_zero_point = {}, .left_shift = {}, "
      ".input1 = {}, .input2 = {}, .output = {}, .act_min = {}, .act_max = {}}}",
      p.count, c_int(p.input1_zero_point), c_int(p.input2_zero_point), c_int(p.output_zero_point), p.left_shift,
      requant(p.input1), requant(p.input2), requant(p.output), c_int(p.act_min), c_int(p.act_max));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_pool2d_params& p, const std::string&, int64_t&) {
  return fmt::format("{{.win = {}, .act_min = {}, .act_max = {}}}", window(p.win), c_int(p.act_min), c_int(p.act_max));
}
std::string initializer(CWriter& w, const IntegerStep& step, const topt_conv2d_maxpool_params& p,
                        const std::string& prefix, int64_t& bytes) {
  int64_t none = 0;
  return fmt::format("{{.conv = {}, .pool = {}}}", initializer(w, step, p.conv, prefix, bytes),
                     initializer(w, step, p.pool, prefix, none));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_global_pool_params& p, const std::string&, int64_t&) {
  return fmt::format(
      "{{.input = {}, .input_zero_point = {}, .output_zero_point = {}, .requant = {}, .act_min = {}, .act_max = {}}}",
      dims(p.input), c_int(p.input_zero_point), c_int(p.output_zero_point), requant(p.requant), c_int(p.act_min),
      c_int(p.act_max));
}
std::string initializer(CWriter& w, const IntegerStep& step, const topt_concat_params& p, const std::string& prefix,
                        int64_t& bytes) {
  const size_t n = static_cast<size_t>(p.num_inputs);
  if (step.axis_sizes.size() != n || step.input_zero_points.size() != n || step.input_requant.size() != n)
    throw_internal("concat step " + prefix + " has inconsistent per-input arrays");
  w.array(fmt::format("static const int32_t {}_axis_sizes[{}]", prefix, n), std::span<const int32_t>(step.axis_sizes));
  w.array(fmt::format("static const int32_t {}_input_zero_points[{}]", prefix, n),
          std::span<const int32_t>(step.input_zero_points));
  w.open(fmt::format("static const topt_requant {}_input_requant[{}] =", prefix, n));
  for (size_t i = 0; i < n; ++i) w.line(requant(step.input_requant[i]) + (i + 1 < n ? "," : ""));
  w.close(";");
  bytes += static_cast<int64_t>(16 * n);
  return fmt::format(
      "{{.outer = {}, .inner = {}, .num_inputs = {}, .axis_sizes = {}_axis_sizes, .input_zero_points = "
      "{}_input_zero_points, .input_requant = {}_input_requant, .output_zero_point = {}}}",
      p.outer, p.inner, p.num_inputs, prefix, prefix, prefix, c_int(p.output_zero_point));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_pad_params& p, const std::string&, int64_t&) {
  return fmt::format(
      "{{.input = {}, .pad_before = {{{}, {}, {}, {}}}, .pad_after = {{{}, {}, {}, {}}}, .pad_value = {}}}",
      dims(p.input), p.pad_before[0], p.pad_before[1], p.pad_before[2], p.pad_before[3], p.pad_after[0],
      p.pad_after[1], p.pad_after[2], p.pad_after[3], c_int(p.pad_value));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_clamp_params& p, const std::string&, int64_t&) {
  return fmt::format("{{.count = {}, .act_min = {}, .act_max = {}}}", p.count, c_int(p.act_min), c_int(p.act_max));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_hardswish_params& p, const std::string&, int64_t&) {
  return fmt::format(
      "{{.count = {}, .input_zero_point = {}, .output_zero_point = {}, .three = {}, .six = {}, .requant = {}}}",
      p.count, c_int(p.input_zero_point), c_int(p.output_zero_point), p.three, p.six, requant(p.requant));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_softmax_params& p, const std::string&, int64_t&) {
  return fmt::format(
      "{{.rows = {}, .row_size = {}, .input_beta_multiplier = {}, .input_beta_left_shift = {}, .diff_min = {}}}",
      p.rows, p.row_size, c_int(p.input_beta_multiplier), p.input_beta_left_shift, c_int(p.diff_min));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_quantize_params& p, const std::string&, int64_t&) {
  return fmt::format("{{.count = {}, .scale = {}, .zero_point = {}}}", p.count, c_float(p.scale), c_int(p.zero_point));
}
std::string initializer(CWriter&, const IntegerStep&, const topt_requantize_params& p, const std::string&, int64_t&) {
  return fmt::format(
      "{{.count = {}, .input_zero_point = {}, .output_zero_point = {}, .requant = {}, .act_min = {}, .act_max = {}}}",
      p.count, c_int(p.input_zero_point), c_int(p.output_zero_point), requant(p.requant), c_int(p.act_min),
      c_int(p.act_max));
}

template <class P>
constexpr const char* params_type_name() {
  if constexpr (std::is_same_v<P, topt_conv2d_params>) return "topt_conv2d_params";
  if constexpr (std::is_same_v<P, topt_dwconv2d_params>) return "topt_dwconv2d_params";
  if constexpr (std::is_same_v<P, topt_dense_params>) return "topt_dense_params";
  if constexpr (std::is_same_v<P, topt_add_params>) return "topt_add_params";
  if constexpr (std::is_same_v<P, topt_pool2d_params>) return "topt_pool2d_params";
  if constexpr (std::is_same_v<P, topt_global_pool_params>) return "topt_global_pool_params";
  if constexpr (std::is_same_v<P, topt_concat_params>) return "topt_concat_params";
  if constexpr (std::is_same_v<P, topt_pad_params>) return "topt_pad_params";
  if constexpr (std::is_same_v<P, topt_clamp_params>) return "topt_clamp_params";
  if constexpr (std::is_same_v<P, topt_hardswish_params>) return "topt_hardswish_params";
  if constexpr (std::is_same_v<P, topt_softmax_params>) return "topt_softmax_params";
  if constexpr (std::is_same_v<P, topt_quantize_params>) return "topt_quantize_params";
  if constexpr (std::is_same_v<P, topt_requantize_params>) return "topt_requantize_params";
  if constexpr (std::is_same_v<P, topt_conv2d_maxpool_params>) return "topt_conv2d_maxpool_params";
}

}  // namespace

EmittedParams emit_step_params(CWriter& w, const IntegerStep& step, const std::string& prefix) {
  EmittedParams out;
  out.name = prefix + "_params";
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        const std::string init = initializer(w, step, p, prefix, out.bytes);
        w.linef("static const {} {} = {};", params_type_name<P>(), out.name, init);
        out.bytes += static_cast<int64_t>(sizeof(P));
      },
      step.params);
  return out;
}

}  // namespace tinyopt::codegen
