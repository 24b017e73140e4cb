// The closed set of operators the IR knows. One X-macro list drives the enum, the name table and every
// per-op table elsewhere (shape inference, MAC counts, executor kernels, gradients), each of which
// static_asserts that it covers kOpTypeCount entries, so a new op cannot silently miss one (STYLE.md 7).
#pragma once

#include <optional>
#include <string_view>

namespace tinyopt {

// X(Enum, "OnnxName")
#define TINYOPT_OP_TYPES(X)                      \
  X(Conv, "Conv")                                \
  X(ConvTranspose, "ConvTranspose")              \
  X(Gemm, "Gemm")                                \
  X(MatMul, "MatMul")                            \
  X(Add, "Add")                                  \
  X(Sub, "Sub")                                  \
  X(Mul, "Mul")                                  \
  X(Div, "Div")                                  \
  X(Relu, "Relu")                                \
  X(Clip, "Clip")                                \
  X(LeakyRelu, "LeakyRelu")                      \
  X(Sigmoid, "Sigmoid")                          \
  X(HardSigmoid, "HardSigmoid")                  \
  X(HardSwish, "HardSwish")                      \
  X(Tanh, "Tanh")                                \
  X(Softmax, "Softmax")                          \
  X(MaxPool, "MaxPool")                          \
  X(AveragePool, "AveragePool")                  \
  X(GlobalAveragePool, "GlobalAveragePool")      \
  X(ReduceMean, "ReduceMean")                    \
  X(BatchNormalization, "BatchNormalization")    \
  X(Flatten, "Flatten")                          \
  X(Reshape, "Reshape")                          \
  X(Squeeze, "Squeeze")                          \
  X(Unsqueeze, "Unsqueeze")                      \
  X(Transpose, "Transpose")                      \
  X(Concat, "Concat")                            \
  X(Pad, "Pad")                                  \
  X(Identity, "Identity")                        \
  X(Dropout, "Dropout")                          \
  X(QuantizeLinear, "QuantizeLinear")            \
  X(DequantizeLinear, "DequantizeLinear")

enum class OpType {
#define TINYOPT_X(e, s) k##e,
  TINYOPT_OP_TYPES(TINYOPT_X)
#undef TINYOPT_X
};

inline constexpr int kOpTypeCount = 0
#define TINYOPT_X(e, s) +1
    TINYOPT_OP_TYPES(TINYOPT_X)
#undef TINYOPT_X
    ;

std::string_view op_name(OpType op);                          // "Conv"
std::optional<OpType> op_from_name(std::string_view onnx_name);  // nullopt when unsupported

}  // namespace tinyopt
