// Op runners of the float executor: one function per ONNX op, grouped by family in the files beside this
// one. Each reads the node's attributes and input tensors, fills a kernel params struct (cached in the
// node's state while input shapes stay the same) and calls a kernel from src/exec/kernels/. op_table.cpp
// maps OpType to these.
#pragma once

#include "exec/op_context.h"

namespace tinyopt::exec {

// conv_pool_runner.cpp
void run_conv(OpContext& ctx);
void run_conv_transpose(OpContext& ctx);
void run_max_pool(OpContext& ctx);
void run_average_pool(OpContext& ctx);
void run_global_average_pool(OpContext& ctx);
// gemm_runner.cpp
void run_gemm(OpContext& ctx);
void run_matmul(OpContext& ctx);
// elementwise_runner.cpp
void run_add(OpContext& ctx);
void run_sub(OpContext& ctx);
void run_mul(OpContext& ctx);
void run_div(OpContext& ctx);
void run_relu(OpContext& ctx);
void run_clip(OpContext& ctx);
void run_leaky_relu(OpContext& ctx);
void run_sigmoid(OpContext& ctx);
void run_hard_sigmoid(OpContext& ctx);
void run_hard_swish(OpContext& ctx);
void run_tanh(OpContext& ctx);
void run_softmax(OpContext& ctx);
// norm_reduce_runner.cpp
void run_batch_norm(OpContext& ctx);
void run_reduce_mean(OpContext& ctx);
// shape_runner.cpp
void run_view(OpContext& ctx);  // Flatten, Reshape, Squeeze, Unsqueeze, Identity: output shares input storage
void run_dropout(OpContext& ctx);
void run_transpose(OpContext& ctx);
void run_concat(OpContext& ctx);
void run_pad(OpContext& ctx);
// quantize_runner.cpp
void run_quantize_linear(OpContext& ctx);
void run_dequantize_linear(OpContext& ctx);

}  // namespace tinyopt::exec
