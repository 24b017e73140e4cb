// model.h / model.c text (emit_model.h).
#include "codegen/emit_model.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <type_traits>
#include <variant>

#include "codegen/c_writer.h"
#include "codegen/emit_params.h"
#include "tinyopt/core/error.h"

namespace tinyopt::codegen {
namespace {

const char* c_type(DType t) {
  switch (t) {
    case DType::kI8: return "int8_t";
    case DType::kU8: return "uint8_t";
    case DType::kI4: return "uint8_t";  // packed two per byte, low nibble first
    case DType::kI16: return "int16_t";
    case DType::kI32: return "int32_t";
    case DType::kI64: return "int64_t";
    case DType::kF32: return "float";
    case DType::kBool: break;
  }
  throw_internal("no C type for dtype " + std::string(dtype_name(t)));
}

// A 4-D tensor whose runtime (NHWC) element order differs from the caller's (NCHW) one.
bool needs_transpose(const IntTensor& t) {
  return t.channels_last && t.nchw.size() == 4 && t.nchw[1] > 1 && t.nchw[2] * t.nchw[3] > 1;
}

std::string step_title(const IntegerStep& s) {
  std::string nodes;
  for (const std::string& n : s.source_nodes) nodes += (nodes.empty() ? "" : ", ") + n;
  return c_comment(s.kernel + (nodes.empty() ? "" : " <- " + nodes));
}

class ModelEmitter {
 public:
  ModelEmitter(const IntegerProgram& p, const ArenaPlan& plan, const ModelBoundary& b) : p_(p), plan_(plan), b_(b) {}

  ModelSources run(const std::string& title);

 private:
  const IntegerProgram& p_;
  const ArenaPlan& plan_;
  const ModelBoundary& b_;
  std::vector<std::string> constant_name_;  // per tensor id, for constants
  std::vector<std::string> params_name_;    // per step id
  ModelSources out_;

  const IntTensor& tensor(int t) const { return p_.tensors.at(static_cast<size_t>(t)); }
  int64_t arena_offset(int t) const;
  std::string ptr(int t, bool write) const;
  std::string scratch(int step) const;
  void emit_constants(CWriter& w);
  void emit_params(CWriter& w);
  void emit_call(CWriter& w, int step_id);
  enum class Side { kInput, kOutput };
  // The int8 input from the caller into the arena, or the int8 output from the arena to the caller,
  // converting between the caller's NCHW order and the kernels' NHWC where they differ.
  void emit_boundary_copy(CWriter& w, Side side);
  void emit_invoke(CWriter& w);
  void emit_float_helpers(CWriter& w);
  std::string header(const std::string& title) const;
};

int64_t ModelEmitter::arena_offset(int t) const {
  const int s = p_.storage_of(t);
  const int64_t off = s < static_cast<int>(plan_.offset.size()) ? plan_.offset[static_cast<size_t>(s)] : -1;
  if (off < 0) throw_internal("tensor '" + tensor(t).name + "' has no place in the arena plan");
  return off;
}

std::string ModelEmitter::ptr(int t, bool write) const {
  const int s = p_.storage_of(t);
  if (tensor(s).kind == IntTensorKind::kConstant) return constant_name_.at(static_cast<size_t>(s));
  return fmt::format("({}{} *)(a + {})", write ? "" : "const ", c_type(tensor(s).dtype), arena_offset(t));
}

std::string ModelEmitter::scratch(int step) const {
  const IntegerStep& s = p_.steps.at(static_cast<size_t>(step));
  if (s.scratch_bytes == 0) return "NULL";
  const int64_t off = plan_.scratch_offset.at(static_cast<size_t>(step));
  if (off < 0) throw_internal("step " + s.kernel + " needs scratch but the arena plan gives it none");
  return fmt::format("(void *)(tinyopt_arena + {})", off);
}

void ModelEmitter::emit_constants(CWriter& w) {
  constant_name_.assign(p_.tensors.size(), "");
  w.line("/* Constant tensors (weights and biases, already in the kernels' layouts), in flash. */");
  for (size_t t = 0; t < p_.tensors.size(); ++t) {
    const IntTensor& c = p_.tensors[t];
    if (c.kind != IntTensorKind::kConstant || c.alias_of >= 0) continue;
    const std::string name = fmt::format("k{}_{}", t, c_identifier(c.name, 32));
    constant_name_[t] = name;
    const std::string count_comment = c.dtype == DType::kI4 ? fmt::format(" /* {} int4 values */", c.numel()) : "";
    const auto decl = [&](size_t n) {
      return fmt::format("static const {} {}[{}] TINYOPT_ALIGNED(16){}", c_type(c.dtype), name, n, count_comment);
    };
    const auto typed = [&](auto zero) {
      using T = decltype(zero);
      std::vector<T> v(c.data.size() / sizeof(T));
      if (!v.empty()) std::memcpy(v.data(), c.data.data(), v.size() * sizeof(T));
      w.array(decl(v.size()), std::span<const T>(v), sizeof(T) == 1 ? 24 : 8);
    };
    w.line("/* " + c_comment(c.name) + " " + shape_str(c.shape) + " */");
    switch (c.dtype) {
      case DType::kI8: typed(int8_t{}); break;
      case DType::kI4:
      case DType::kU8: typed(uint8_t{}); break;
      case DType::kI16: typed(int16_t{}); break;
      case DType::kI32: typed(int32_t{}); break;
      case DType::kI64: typed(int64_t{}); break;
      default: throw_internal("constant '" + c.name + "' has dtype " + std::string(dtype_name(c.dtype)));
    }
    out_.weight_bytes += static_cast<int64_t>(c.data.size());
  }
  w.line();
}

void ModelEmitter::emit_params(CWriter& w) {
  params_name_.assign(p_.steps.size(), "");
  w.line("/* Kernel parameters, one struct per step (constant shapes: the compiler may specialize). */");
  for (size_t i = 0; i < p_.steps.size(); ++i) {
    const EmittedParams e = emit_step_params(w, p_.steps[i], fmt::format("s{}", i));
    params_name_[i] = e.name;
    out_.params_bytes += e.bytes;
  }
  w.line();
}

void ModelEmitter::emit_call(CWriter& w, int id) {
  const IntegerStep& s = p_.steps.at(static_cast<size_t>(id));
  if (s.outputs.size() != 1 || s.inputs.empty()) throw_internal("step " + s.kernel + " is not one-output");
  const std::string prm = "&" + params_name_.at(static_cast<size_t>(id));
  const std::string out = ptr(s.outputs[0], true), scr = scratch(id);
  const auto in = [&](size_t i) { return i < s.inputs.size() ? ptr(s.inputs[i], false) : std::string("NULL"); };
  w.line("/* step " + std::to_string(id) + ": " + step_title(s) + " */");
  w.linef("TINYOPT_STEP_BEGIN({});", id);
  std::visit(
      [&](const auto& params) {
        using P = std::decay_t<decltype(params)>;
        if constexpr (std::is_same_v<P, topt_conv2d_params> || std::is_same_v<P, topt_dwconv2d_params> ||
                      std::is_same_v<P, topt_dense_params>) {
          w.linef("st = {}({}, {}, {}, {}, {}, {});", s.kernel, prm, in(0), in(1), in(2), out, scr);
        } else if constexpr (std::is_same_v<P, topt_add_params>) {
          w.linef("st = {}({}, {}, {}, {}, {});", s.kernel, prm, in(0), in(1), out, scr);
        } else if constexpr (std::is_same_v<P, topt_concat_params>) {
          w.open("");
          std::string list;
          for (size_t i = 0; i < s.inputs.size(); ++i) list += (i ? ", " : "") + in(i);
          w.linef("const int8_t *const inputs[{}] = {{{}}};", s.inputs.size(), list);
          w.linef("st = {}({}, inputs, {}, {});", s.kernel, prm, out, scr);
          w.close();
        } else if constexpr (std::is_same_v<P, topt_quantize_params>) {
          throw_bad_input("node '" + (s.source_nodes.empty() ? s.kernel : s.source_nodes[0]) +
                          "': a float quantize / dequantize step inside the model; generated code keeps float at the "
                          "graph boundary only");
        } else {
          w.linef("st = {}({}, {}, {}, {});", s.kernel, prm, in(0), out, scr);
        }
      },
      s.params);
  w.linef("TINYOPT_STEP_END({});", id);
  w.line("if (st != TOPT_OK) return (int)st;");
  CodegenStep cs;
  cs.step = id;
  cs.kernel = s.kernel;
  cs.family = family_name(s.family);
  cs.nodes = s.source_nodes;
  cs.macs = s.macs;
  cs.weight_bytes = s.weight_bytes;
  cs.scratch_bytes = s.scratch_bytes;
  out_.steps.push_back(cs);
}

void ModelEmitter::emit_boundary_copy(CWriter& w, Side side) {
  const bool input = side == Side::kInput;
  const int id = input ? b_.int_input : b_.int_output;
  const IntTensor& t = tensor(id);
  const bool transpose = needs_transpose(t);
  w.line(fmt::format("/* the quantized {} '{}' {} {}{} */", input ? "input" : "output", c_comment(t.name),
                     shape_str(t.shape), input ? "into the arena" : "to the caller",
                     transpose ? (input ? ", NCHW -> NHWC" : ", NHWC -> NCHW") : ""));
  w.open("");
  // arena side: x (written) for the input, y (read) for the output; caller side: in / out
  const std::string arena = input ? "x" : "y", caller = input ? "in" : "out";
  w.linef("{}int8_t *const {} = {};", input ? "" : "const ", arena, ptr(id, input));
  std::string nhwc, nchw;
  if (transpose) {
    const int64_t c = t.nchw[1], hw = t.nchw[2] * t.nchw[3];
    nhwc = fmt::format("{}[p * {} + c]", arena, c);
    nchw = fmt::format("{}[c * {} + p]", caller, hw);
    w.line("int32_t c, p;");
    w.linef("for (c = 0; c < {}; ++c)", c);
    w.linef("  for (p = 0; p < {}; ++p) {} = {};", hw, input ? nhwc : nchw, input ? nchw : nhwc);
  } else {
    w.line("int32_t i;");
    w.linef("for (i = 0; i < {}; ++i) {}[i] = {}[i];", t.numel(), input ? arena : caller, input ? caller : arena);
  }
  w.close();
}

void ModelEmitter::emit_invoke(CWriter& w) {
  w.open("int tinyopt_model_invoke(const int8_t *in, int8_t *out)");
  w.line("uint8_t *const a = tinyopt_arena;");
  w.line("topt_status st;");
  w.line("if (in == NULL || out == NULL) return (int)TOPT_ERR_NULL;");
  bool input_done = false;
  for (int id : plan_.order) {
    if (id == b_.quantize_step) {
      emit_boundary_copy(w, Side::kInput);
      input_done = true;
    } else if (id != b_.dequantize_step) {
      if (!input_done) throw_internal("the arena plan runs a step before the model input is quantized");
      emit_call(w, id);
    }
  }
  emit_boundary_copy(w, Side::kOutput);
  w.line("return 0;");
  w.close();
  w.line();
  // Lengths come from outside the firmware (a file, a packet): check them before anything is touched.
  w.open("int tinyopt_model_invoke_checked(const int8_t *in, size_t in_bytes, int8_t *out, size_t out_bytes)");
  w.line("if (in == NULL || out == NULL) return TINYOPT_MODEL_ERR_NULL;");
  w.line("if (in_bytes != TINYOPT_MODEL_INPUT_SIZE || out_bytes < TINYOPT_MODEL_OUTPUT_SIZE)");
  w.line("  return TINYOPT_MODEL_ERR_LENGTH;");
  w.line("return tinyopt_model_invoke(in, out);");
  w.close();
  w.line();
}

void ModelEmitter::emit_float_helpers(CWriter& w) {
  const IntegerStep& q = p_.steps.at(static_cast<size_t>(b_.quantize_step));
  const IntegerStep& dq = p_.steps.at(static_cast<size_t>(b_.dequantize_step));
  w.line("/* Float at the boundary only: the graph's own QuantizeLinear / DequantizeLinear, element by element in");
  w.line(" * the caller's (NCHW) order. */");
  w.open("int tinyopt_model_quantize_input(const float *in, int8_t *in_q)");
  w.linef("return (int){}(&{}, in, in_q, {});", q.kernel, params_name_.at(static_cast<size_t>(b_.quantize_step)),
          scratch(b_.quantize_step));
  w.close();
  w.line();
  w.open("int tinyopt_model_dequantize_output(const int8_t *out_q, float *out)");
  w.linef("return (int){}(&{}, out_q, out, {});", dq.kernel, params_name_.at(static_cast<size_t>(b_.dequantize_step)),
          scratch(b_.dequantize_step));
  w.close();
  w.line();
  w.open("int tinyopt_model_invoke_f32(const float *in, float *out)");
  w.line("static int8_t in_q[TINYOPT_MODEL_INPUT_SIZE];");
  w.line("static int8_t out_q[TINYOPT_MODEL_OUTPUT_SIZE];");
  w.line("int st = tinyopt_model_quantize_input(in, in_q);");
  w.line("if (st == 0) st = tinyopt_model_invoke(in_q, out_q);");
  w.line("if (st == 0) st = tinyopt_model_dequantize_output(out_q, out);");
  w.line("return st;");
  w.close();
}

std::string ModelEmitter::header(const std::string& title) const {
  const IntTensor& in = tensor(b_.int_input);
  const IntTensor& out = tensor(b_.int_output);
  CWriter w;
  w.line("/* model.h: " + c_comment(title) + ". Generated by `tinyopt codegen`; do not edit.");
  w.line(" *");
  w.line(" * tinyopt_model_invoke() runs the int8 model: `in` is the quantized input, `out` the quantized output,");
  w.line(" * both in the model's own element order (NCHW for images, as in the ONNX model), with");
  w.line(" * real = SCALE * (q - ZERO_POINT). It needs no heap, uses one static arena (not reentrant) and returns 0,");
  w.line(" * or the nonzero topt_status of the first kernel that failed. The _f32 helpers quantize / dequantize");
  w.line(" * at the boundary with the model's own parameters (the only float code).");
  w.line(" * tinyopt_model_invoke_checked() is the entry for buffers whose length is not known at compile time");
  w.line(" * (read from a file, a sensor FIFO, a radio packet): it returns TINYOPT_MODEL_ERR_LENGTH and touches");
  w.line(" * nothing unless in_bytes == TINYOPT_MODEL_INPUT_SIZE and out_bytes >= TINYOPT_MODEL_OUTPUT_SIZE,");
  w.line(" * TINYOPT_MODEL_ERR_NULL for a NULL buffer, else what tinyopt_model_invoke() returns.");
  w.line(" * Define TINYOPT_STEP_BEGIN(i) / TINYOPT_STEP_END(i) before including this header (or name a header in");
  w.line(" * TINYOPT_HOOKS_HEADER) to run code around each kernel call; i is the step index of manifest.json. */");
  w.line("#ifndef TINYOPT_MODEL_H");
  w.line("#define TINYOPT_MODEL_H");
  w.line();
  w.line("#include <stddef.h>");
  w.line("#include <stdint.h>");
  w.line();
  w.line("#ifdef TINYOPT_HOOKS_HEADER");
  w.line("#include TINYOPT_HOOKS_HEADER");
  w.line("#endif");
  w.line("#ifndef TINYOPT_STEP_BEGIN");
  w.line("#define TINYOPT_STEP_BEGIN(i)");
  w.line("#endif");
  w.line("#ifndef TINYOPT_STEP_END");
  w.line("#define TINYOPT_STEP_END(i)");
  w.line("#endif");
  w.line();
  w.line("#ifdef __cplusplus");
  w.line("extern \"C\" {");
  w.line("#endif");
  w.line();
  w.linef("/* input '{}' {} */", c_comment(tensor(b_.float_input).name), shape_str(in.shape));
  w.linef("#define TINYOPT_MODEL_INPUT_SIZE {}", in.numel());
  w.linef("#define TINYOPT_MODEL_INPUT_SCALE {}", c_float(in.scale));
  w.linef("#define TINYOPT_MODEL_INPUT_ZERO_POINT ({})", in.zero_point);
  w.linef("/* output '{}' {} */", c_comment(tensor(b_.float_output).name), shape_str(out.shape));
  w.linef("#define TINYOPT_MODEL_OUTPUT_SIZE {}", out.numel());
  w.linef("#define TINYOPT_MODEL_OUTPUT_SCALE {}", c_float(out.scale));
  w.linef("#define TINYOPT_MODEL_OUTPUT_ZERO_POINT ({})", out.zero_point);
  w.linef("#define TINYOPT_MODEL_ARENA_BYTES {}", std::max<size_t>(plan_.arena_bytes, 1));
  w.linef("#define TINYOPT_MODEL_STEP_COUNT {}", p_.steps.size());
  w.line("/* status codes besides the kernels' own (same values as the runtime's TOPT_ERR_NULL / _SHAPE) */");
  w.line("#define TINYOPT_MODEL_ERR_NULL 1");
  w.line("#define TINYOPT_MODEL_ERR_LENGTH 2");
  w.line();
  w.line("int tinyopt_model_invoke(const int8_t *in, int8_t *out);");
  w.line("int tinyopt_model_invoke_checked(const int8_t *in, size_t in_bytes, int8_t *out, size_t out_bytes);");
  w.line("int tinyopt_model_quantize_input(const float *in, int8_t *in_q);");
  w.line("int tinyopt_model_dequantize_output(const int8_t *out_q, float *out);");
  w.line("int tinyopt_model_invoke_f32(const float *in, float *out);");
  w.line();
  w.line("#ifdef __cplusplus");
  w.line("}");
  w.line("#endif");
  w.line();
  w.line("#endif /* TINYOPT_MODEL_H */");
  return w.text();
}

ModelSources ModelEmitter::run(const std::string& title) {
  CWriter w;
  w.line("/* model.c: " + c_comment(title) + ". Generated by `tinyopt codegen`; do not edit.");
  w.line(" * Straight-line int8 inference: constant weights and parameters, one static arena, one kernel call per");
  w.line(" * step with constant shapes. See model.h for the API. */");
  w.line("#include \"model.h\"");
  w.line();
  w.line("#include \"tinyopt_rt.h\"");
  w.line();
  w.line("#if defined(__GNUC__) || defined(__clang__)");
  w.line("#define TINYOPT_ALIGNED(n) __attribute__((aligned(n)))");
  w.line("#else");
  w.line("#define TINYOPT_ALIGNED(n)");
  w.line("#endif");
  w.line();
  emit_constants(w);
  emit_params(w);
  w.linef("/* Activations and kernel scratch: {} bytes (naive plan {}, lower bound {}; {}). */", plan_.arena_bytes,
          plan_.naive_bytes, plan_.lower_bound_bytes, c_comment(plan_.strategy));
  w.line("/* `static` unless defined first: the emulation harness makes the arena visible to measure how much of it");
  w.line(" * an inference touches. */");
  w.line("#ifndef TINYOPT_ARENA_STORAGE");
  w.line("#define TINYOPT_ARENA_STORAGE static");
  w.line("#endif");
  w.line("TINYOPT_ARENA_STORAGE uint8_t tinyopt_arena[TINYOPT_MODEL_ARENA_BYTES] TINYOPT_ALIGNED(16);");
  w.line();
  emit_invoke(w);
  emit_float_helpers(w);
  out_.source = w.text();
  out_.header = header(title);
  std::set<std::string> kernels;
  for (const CodegenStep& s : out_.steps) kernels.insert(s.kernel);
  kernels.insert(p_.steps.at(static_cast<size_t>(b_.quantize_step)).kernel);
  kernels.insert(p_.steps.at(static_cast<size_t>(b_.dequantize_step)).kernel);
  out_.kernels.assign(kernels.begin(), kernels.end());
  return std::move(out_);
}

}  // namespace

ModelBoundary find_boundary(const IntegerProgram& p) {
  if (p.inputs.size() != 1 || p.outputs.size() != 1 || p.integer_outputs.size() != 1)
    throw_bad_input(fmt::format("the model has {} inputs and {} outputs; generated code supports one of each",
                                p.inputs.size(), p.outputs.size()));
  ModelBoundary b;
  b.float_input = p.inputs[0];
  b.float_output = p.outputs[0];
  b.int_output = p.integer_outputs[0];
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const IntegerStep& s = p.steps[i];
    for (int t : s.inputs)
      if (t == b.float_input) {
        if (s.family != TOPT_FAMILY_quantize_s8 || b.quantize_step >= 0)
          throw_bad_input("graph input '" + p.tensors[static_cast<size_t>(t)].name +
                          "' must be read by exactly one QuantizeLinear (to int8)");
        b.quantize_step = static_cast<int>(i);
        b.int_input = s.outputs.at(0);
      }
    if (!s.outputs.empty() && s.outputs[0] == b.float_output && s.family == TOPT_FAMILY_dequantize_s8)
      b.dequantize_step = static_cast<int>(i);
  }
  if (b.quantize_step < 0) throw_bad_input("the graph input is not quantized by a QuantizeLinear");
  if (b.dequantize_step < 0 || b.float_output == b.int_output ||
      p.tensors[static_cast<size_t>(b.int_output)].dtype != DType::kI8)
    throw_bad_input("the graph output must be an int8 tensor followed by a DequantizeLinear (QDQ convention)");
  return b;
}

ModelSources emit_model(const IntegerProgram& program, const ArenaPlan& plan, const ModelBoundary& boundary,
                        const std::string& title) {
  return ModelEmitter(program, plan, boundary).run(title);
}

}  // namespace tinyopt::codegen
