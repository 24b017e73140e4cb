// The gradient-rule table: for every OpType, how to build its training op (nullptr = not trainable) and
// which inputs are learned weights or running state. Exhaustive over OpType by construction
// (static_assert below), so a new op type cannot silently miss a decision here (STYLE.md 7).
#include <array>

#include "train/ops/ops.h"

namespace tinyopt::train::detail {
namespace {

OpRule rule_for(OpType op) {
  switch (op) {
    case OpType::kConv: return {make_conv, {1, 2}, {}};
    case OpType::kGemm: return {make_gemm, {1, 2}, {}};
    case OpType::kBatchNormalization: return {make_batch_norm, {1, 2}, {3, 4}};
    case OpType::kRelu:
    case OpType::kClip:
    case OpType::kLeakyRelu:
    case OpType::kSigmoid:
    case OpType::kHardSigmoid:
    case OpType::kHardSwish:
    case OpType::kTanh: return {make_unary, {}, {}};
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
    case OpType::kDiv: return {make_binary, {}, {}};
    case OpType::kMaxPool: return {make_max_pool, {}, {}};
    case OpType::kAveragePool: return {make_average_pool, {}, {}};
    case OpType::kGlobalAveragePool: return {make_global_average_pool, {}, {}};
    case OpType::kFlatten:
    case OpType::kReshape:
    case OpType::kSqueeze:
    case OpType::kUnsqueeze:
    case OpType::kIdentity: return {make_view, {}, {}};
    case OpType::kConcat: return {make_concat, {}, {}};
    case OpType::kTranspose: return {make_transpose, {}, {}};
    case OpType::kDropout: return {make_dropout, {}, {}};
    case OpType::kSoftmax: return {make_softmax, {}, {}};
    // No gradient rule (yet): training refuses graphs that contain these.
    case OpType::kConvTranspose:
    case OpType::kMatMul:
    case OpType::kReduceMean:
    case OpType::kPad:
    case OpType::kQuantizeLinear:
    case OpType::kDequantizeLinear: return {};
  }
  return {};
}

std::array<OpRule, kOpTypeCount> build_rules() {
  std::array<OpRule, kOpTypeCount> rules;
  for (int i = 0; i < kOpTypeCount; ++i) rules[static_cast<size_t>(i)] = rule_for(static_cast<OpType>(i));
  return rules;
}

}  // namespace

const OpRule& op_rule(OpType op) {
  static const std::array<OpRule, kOpTypeCount> rules = build_rules();
  return rules.at(static_cast<size_t>(op));
}

}  // namespace tinyopt::train::detail
