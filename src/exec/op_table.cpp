// The float executor's per-op table (see op_table.h).
#include "exec/op_table.h"

#include <array>

#include "exec/runners/runners.h"

namespace tinyopt::exec {
namespace {

constexpr OpRunner kUnsupported = nullptr;

constexpr std::array<OpKernel, kOpTypeCount> kOpKernels = {{
    {OpType::kConv, run_conv, false},
    {OpType::kConvTranspose, run_conv_transpose, false},
    {OpType::kGemm, run_gemm, false},
    {OpType::kMatMul, run_matmul, false},
    {OpType::kAdd, run_add, false},
    {OpType::kSub, run_sub, false},
    {OpType::kMul, run_mul, false},
    {OpType::kDiv, run_div, false},
    {OpType::kRelu, run_relu, false},
    {OpType::kClip, run_clip, false},
    {OpType::kLeakyRelu, run_leaky_relu, false},
    {OpType::kSigmoid, run_sigmoid, false},
    {OpType::kHardSigmoid, run_hard_sigmoid, false},
    {OpType::kHardSwish, run_hard_swish, false},
    {OpType::kTanh, run_tanh, false},
    {OpType::kSoftmax, run_softmax, false},
    {OpType::kMaxPool, run_max_pool, false},
    {OpType::kAveragePool, run_average_pool, false},
    {OpType::kGlobalAveragePool, run_global_average_pool, false},
    {OpType::kReduceMean, run_reduce_mean, false},
    {OpType::kBatchNormalization, run_batch_norm, false},
    {OpType::kFlatten, run_view, true},
    {OpType::kReshape, run_view, true},
    {OpType::kSqueeze, run_view, true},
    {OpType::kUnsqueeze, run_view, true},
    {OpType::kTranspose, run_transpose, false},
    {OpType::kConcat, run_concat, false},
    {OpType::kPad, run_pad, false},
    {OpType::kIdentity, run_view, true},
    {OpType::kDropout, run_dropout, true},
    {OpType::kQuantizeLinear, run_quantize_linear, false},
    {OpType::kDequantizeLinear, run_dequantize_linear, false},
}};
static_assert(kOpKernels.size() == kOpTypeCount, "every op needs an executor entry (or kUnsupported)");

constexpr bool in_enum_order() {
  for (size_t i = 0; i < kOpKernels.size(); ++i)
    if (static_cast<size_t>(kOpKernels[i].op) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kOpKernels must list ops in OpType order");

}  // namespace

const OpKernel& op_kernel(OpType op) { return kOpKernels[static_cast<size_t>(op)]; }

}  // namespace tinyopt::exec
