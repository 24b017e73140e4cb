// Factories of the training ops, one per op family; op_rules.cpp maps OpTypes to them.
#pragma once

#include "tinyopt/train/fake_quant.h"
#include "train/train_op.h"

namespace tinyopt::train::detail {

std::unique_ptr<TrainOp> make_conv(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_gemm(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_batch_norm(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_unary(const Graph& graph, const Node& node);       // Relu, Clip, ...
std::unique_ptr<TrainOp> make_max_pool(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_average_pool(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_global_average_pool(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_binary(const Graph& graph, const Node& node);      // Add, Sub, Mul, Div
std::unique_ptr<TrainOp> make_view(const Graph& graph, const Node& node);        // Flatten, Reshape, ...
std::unique_ptr<TrainOp> make_concat(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_transpose(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_dropout(const Graph& graph, const Node& node);
std::unique_ptr<TrainOp> make_softmax(const Graph& graph, const Node& node);
// Not from the op table: inserted by TrainGraph after the values of a FakeQuantMap (QAT).
std::unique_ptr<TrainOp> make_fake_quant(const std::string& value, const FakeQuant& spec);

}  // namespace tinyopt::train::detail
