// IntegerProgram: a quantized (QDQ) graph lowered to an ordered list of runtime/ kernel calls, as plain
// data. The integer executor runs it on the host; the memory planner and the C code generator consume the
// very same description, so it holds no closures and no pointers (the pointer members of the runtime
// parameter structs are null here and bound to the step's own arrays by bind_step_params()).
//
// What lowering does (src/exec/integer/, algorithm in lower_qdq.cpp):
//   DequantizeLinear(weights int8/int4) + DequantizeLinear(bias int32) + DequantizeLinear(activation)
//   -> Conv / Gemm / MatMul -> optional Relu / Clip -> QuantizeLinear   becomes one conv / dwconv / dense
//   step with the clamp fused; Add, pools, GlobalAveragePool / ReduceMean(H,W), Concat, Pad, Relu / Clip,
//   HardSwish, Softmax become their kernels; Flatten / Reshape / Identity / Dropout become views (tensors
//   that alias their source); QuantizeLinear of a graph input and DequantizeLinear of a graph output
//   become quantize / dequantize steps at the boundary; a QuantizeLinear of a dequantized tensor becomes a
//   requantize. Everything is precomputed here: NHWC / OHWI weight layouts, int4 packing, Q31 multipliers,
//   scratch sizes.
//
// Layout: every tensor describes ONE sample (batch dimension 1); executors loop over samples. The float
// side (graph inputs and outputs) is NCHW as in the IR; integer activations derived from 4-D values are
// stored channels-last (NHWC). A quantize / dequantize step whose input and output differ in
// `channels_last` also converts the element order (NCHW <-> NHWC). Flatten of channels-last data with
// H*W > 1 keeps the NHWC element order (tensor.channels_last stays true, tensor.nchw keeps the 4-D
// dims); the fully-connected layer that reads it has its weight columns permuted to match at lowering.
// Not here: memory offsets (the planner's job) and the batch loop (the executor's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tinyopt/core/graph.h"
#include "tinyopt_rt.h"

namespace tinyopt {

enum class IntTensorKind : uint8_t {
  kInput,       // a float graph input (NCHW), filled by the caller
  kOutput,      // a graph output (float after a dequantize step, or an integer tensor), read by the caller
  kActivation,  // an intermediate integer tensor
  kConstant,    // weights / bias bytes in `data`, already in the kernel's layout
};

struct IntTensor {
  std::string name;  // IR value name; lowering-made temporaries get a name derived from their node
  IntTensorKind kind = IntTensorKind::kActivation;
  DType dtype = DType::kI8;  // kF32 (boundary), kI8 / kI16 (activations), kI8 / kI4 / kI32 / kI64 (constants)
  Shape shape;               // the IR shape of one sample (NCHW order for 4-D), batch dim 1
  bool channels_last = false;  // elements are stored in NHWC order of `nchw`
  Shape nchw;                  // when channels_last: the (1, C, H, W) dims whose NHWC order is stored
  float scale = 1.0f;          // activations: per-tensor quantization (real = scale * (q - zero_point))
  int32_t zero_point = 0;
  std::vector<uint8_t> data;  // kConstant only
  int alias_of = -1;          // >= 0: a view sharing the storage of tensor alias_of (no step writes it)

  int64_t numel() const { return shape_numel(shape); }
  size_t bytes() const { return dtype_storage_bytes(dtype, numel()); }
};

// The requantize_s8_s16 / requantize_s16_s8 parameters live in tinyopt_rt.h; this is every params type.
using StepParams =
    std::variant<topt_conv2d_params, topt_dwconv2d_params, topt_dense_params, topt_add_params, topt_pool2d_params,
                 topt_global_pool_params, topt_concat_params, topt_pad_params, topt_clamp_params,
                 topt_hardswish_params, topt_softmax_params, topt_quantize_params, topt_requantize_params,
                 topt_conv2d_maxpool_params>;

struct IntegerStep {
  topt_family family = TOPT_FAMILY_conv2d_s8;
  std::string kernel;  // the variant this build's selector picked, e.g. "topt_conv2d_1x1_s8__x86"
  StepParams params;   // pointer members null; see bind_step_params()
  std::vector<int> inputs;   // tensor ids: activations first (concat: all of them), then filter, bias
  std::vector<int> outputs;  // tensor ids (one)
  // Arrays the params point to: per-channel multipliers / shifts (conv, dwconv, dense), and concat's
  // per-input sizes, zero points and requantization.
  std::vector<int32_t> multiplier, shift;
  std::vector<int32_t> axis_sizes, input_zero_points;
  std::vector<topt_requant> input_requant;
  size_t scratch_bytes = 0;  // of `kernel` for these params
  int64_t weight_bytes = 0;  // bytes of the constant inputs (filter + bias)
  int64_t macs = 0;          // multiply-accumulates per sample (conv / dense)
  std::vector<std::string> source_nodes;  // the IR nodes this step implements (for errors and reports)
};

struct IntegerProgram {
  std::vector<IntTensor> tensors;
  std::vector<IntegerStep> steps;      // in execution order
  std::vector<int> inputs, outputs;    // tensor ids of the graph inputs / outputs, in graph order
  std::vector<int> integer_outputs;    // per graph output: the integer tensor it is dequantized from (or itself)
  size_t max_scratch_bytes = 0;

  // The storage owner of tensor t (follows alias_of).
  int storage_of(int t) const;
};

// Lowers a QDQ graph (HELPERS.md "Quantized models in the IR"). Throws Error(kBadInput) naming the node
// when a node has no integer kernel or a QDQ pattern cannot be lowered (and why).
IntegerProgram lower_qdq_graph(const Graph& graph);

// The program with each int8 conv step whose output only an int8 max pool step reads (no other step, not a
// graph output) and whose pool windows do not overlap vertically (stride_h >= kernel_h: no conv row would
// be computed twice) replaced by one conv2d_maxpool_s8 step at the conv's place, writing the pool's
// output, when a variant other than the family reference takes it (the x86 VNNI one): the same bytes
// without the conv output's round trip through memory and with a quarter of the output stage for a 2x2
// pool. The conv's output tensor
// stays in the program, unused. The integer executor applies it; the planner and code generator take
// lower_qdq_graph()'s program as it is.
IntegerProgram fuse_conv_maxpool(IntegerProgram program);

// True when the graph contains QuantizeLinear or DequantizeLinear nodes.
bool is_quantized(const Graph& graph);

// step.params with its pointer members pointing into step's arrays (valid while `step` lives unmoved).
StepParams bind_step_params(const IntegerStep& step);

// "conv2d_s8" etc.
std::string family_name(topt_family family);

}  // namespace tinyopt
