// apply_quant_plan and the parameter helpers: the QDQ graph follows the shared convention (HELPERS.md),
// verifies, and runs in the float executor close to the float model; params are computed as specified.
#include <gtest/gtest.h>

#include "passes_test_util.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/verifier.h"
#include "tinyopt/passes/fold_batch_norm.h"

namespace tinyopt {
namespace {

using testing::minmax_plan;
using testing::model_with_random_bn;
using testing::random_images;
using testing::sqnr_db_of;

const Node* producer_of(const Graph& g, const std::string& v) {
  const int p = g.producer(v);
  return p < 0 ? nullptr : &g.nodes[static_cast<size_t>(p)];
}

TEST(QuantParams, ActivationInt8AsymmetricAndInt16Symmetric) {
  const quant::TensorQuant a = quant::activation_quant(0.0f, 2.55f, 8);
  EXPECT_FLOAT_EQ(a.scale[0], 0.01f);
  EXPECT_EQ(a.zero_point[0], -128);
  const quant::TensorQuant b = quant::activation_quant(-1.0f, 3.0f, 8);
  EXPECT_FLOAT_EQ(b.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(b.zero_point[0], -128 + 64);  // round(-128 + 1 / (4/255)) = round(-64.25)
  const quant::TensorQuant c = quant::activation_quant(0.5f, 1.0f, 8);  // widened to contain 0
  EXPECT_FLOAT_EQ(c.scale[0], 1.0f / 255.0f);
  const quant::TensorQuant d = quant::activation_quant(-3.0f, 1.0f, 16);
  EXPECT_FLOAT_EQ(d.scale[0], 3.0f / 32767.0f);
  EXPECT_EQ(d.zero_point[0], 0);
  EXPECT_FLOAT_EQ(quant::activation_quant(0, 0, 8).scale[0], 1.0f);
}

TEST(QuantParams, WeightsPerChannelSymmetric) {
  // Two output channels (axis 0) of 3 values.
  const std::vector<float> w = {0.5f, -1.27f, 0.0f, 0.07f, 0.035f, -0.0351f};
  const Tensor t = Tensor::from_f32({2, 3}, w);
  const quant::TensorQuant q = quant::weight_quant(t, 0, 8);
  ASSERT_EQ(q.scale.size(), 2u);
  EXPECT_FLOAT_EQ(q.scale[0], 0.01f);
  EXPECT_FLOAT_EQ(q.scale[1], 0.07f / 127.0f);
  const Tensor qi = quant::quantize_weight(t, q);
  ASSERT_EQ(qi.dtype(), DType::kI8);
  EXPECT_EQ(qi.data<int8_t>()[0], 50);
  EXPECT_EQ(qi.data<int8_t>()[1], -127);
  EXPECT_EQ(qi.data<int8_t>()[3], 127);
  EXPECT_EQ(qi.data<int8_t>()[4], 64);  // 63.5 rounds half away from zero
  const quant::TensorQuant q4 = quant::weight_quant(t, 0, 4);
  EXPECT_FLOAT_EQ(q4.scale[0], 1.27f / 7.0f);
  const Tensor p4 = quant::quantize_weight(t, q4);
  ASSERT_EQ(p4.dtype(), DType::kI4);
  // 0.5 / 0.18143 = 2.76 -> 3 (low nibble), -1.27 -> -7 (0x9, high nibble).
  EXPECT_EQ(p4.bytes()[0], 0x93);
  // Axis 1 (a MatMul weight [K, N]): channel = column.
  const quant::TensorQuant q1 = quant::weight_quant(t, 1, 8);
  ASSERT_EQ(q1.scale.size(), 3u);
  EXPECT_FLOAT_EQ(q1.scale[1], 1.27f / 127.0f);
}

TEST(QuantParams, MseClipNeverWorseThanMaxAndClipsOutliers) {
  // One channel: a bulk of 1024 values spread over [-0.5, 0.5] and one outlier at 1: with int4 the
  // bulk's rounding noise outweighs clipping the outlier.
  std::vector<float> w(1025);
  for (size_t i = 0; i < 1024; ++i) w[i] = (static_cast<float>(i) + 0.5f) / 1024.0f - 0.5f;
  w[1024] = 1.0f;
  const Tensor t = Tensor::from_f32({1, 1025}, w);
  const auto err = [&](const quant::TensorQuant& q) {
    const Tensor f = quant::fake_quantize_weight(t, q);
    double e = 0;
    for (size_t i = 0; i < w.size(); ++i) e += (f.data<float>()[i] - w[i]) * (f.data<float>()[i] - w[i]);
    return e;
  };
  const quant::TensorQuant qmax = quant::weight_quant(t, 0, 4, quant::WeightClip::kMax);
  const quant::TensorQuant qmse = quant::weight_quant(t, 0, 4, quant::WeightClip::kMse);
  EXPECT_LT(qmse.scale[0], qmax.scale[0]);
  EXPECT_LE(err(qmse), err(qmax));
}

TEST(ApplyQuantPlan, QdqGraphFollowsTheConvention) {
  const Graph g = fold_batch_norm(model_with_random_bn("fmnist-ds", 0.5f, 3));
  const Tensor x = random_images(4, {1, 28, 28}, 5);
  const quant::QuantPlan plan = minmax_plan(g, x);
  const Graph q = quant::apply_quant_plan(g, plan);
  verify_graph(q);
  EXPECT_EQ(q.inputs, g.inputs);
  EXPECT_EQ(q.outputs, g.outputs);
  const quant::QuantSites sites = quant::find_quant_sites(g);
  ASSERT_EQ(sites.layers.size(), 8u);  // conv1, 3 x (dw, pw), fc
  for (const quant::QuantLayer& l : sites.layers) {
    SCOPED_TRACE(l.node);
    // weight <- DequantizeLinear(int8 [Cout], scale [Cout], zp 0, axis)
    const Node* wdq = producer_of(q, l.weight);
    ASSERT_NE(wdq, nullptr);
    ASSERT_EQ(wdq->op, OpType::kDequantizeLinear);
    EXPECT_EQ(wdq->attr_int("axis", -1), l.weight_axis);
    const Value& wq = q.value(wdq->inputs[0]);
    ASSERT_TRUE(wq.is_initializer());
    EXPECT_EQ(wq.dtype, DType::kI8);
    for (int8_t v : wq.data->span<int8_t>()) EXPECT_GE(v, -127);
    // bias <- DequantizeLinear(int32, s_in * s_w)
    ASSERT_FALSE(l.bias.empty());
    const Node* bdq = producer_of(q, l.bias);
    ASSERT_NE(bdq, nullptr);
    ASSERT_EQ(q.value(bdq->inputs[0]).dtype, DType::kI32);
    const float s_in = plan.activations.at(sites.site_of.at(l.input)).scale[0];
    const Tensor& bscale = *q.value(bdq->inputs[1]).data;
    const Tensor& wscale = *q.value(wdq->inputs[1]).data;
    for (int64_t c = 0; c < bscale.numel(); ++c)
      EXPECT_FLOAT_EQ(bscale.data<float>()[c], s_in * wscale.data<float>()[c]);
    // The layer's output goes through its Relu (fused) and then Q/DQ; the layer reads a dequantized input.
    const Node* layer = nullptr;
    for (const Node& n : q.nodes)
      if (n.name == l.node) layer = &n;
    ASSERT_NE(layer, nullptr);
    const Node* in = producer_of(q, layer->inputs[0]);
    ASSERT_NE(in, nullptr);
    EXPECT_EQ(in->op, OpType::kDequantizeLinear);
    if (l.site != l.output) {
      const std::vector<int> readers = q.consumers(l.output);
      ASSERT_EQ(readers.size(), 1u);
      EXPECT_EQ(q.nodes[static_cast<size_t>(readers[0])].op, OpType::kRelu);
    }
    EXPECT_NO_THROW(quant::dequantized_name(q, l.site));
  }
  // Logits come out of a DequantizeLinear under the float model's name.
  EXPECT_EQ(producer_of(q, "logits")->op, OpType::kDequantizeLinear);
  // And the graph input is quantized first.
  EXPECT_EQ(q.nodes[0].op, OpType::kQuantizeLinear);
  EXPECT_EQ(q.nodes[0].inputs[0], "input");

  const Tensor yf = FloatExecutor(g, ExecOptions{1}).run({x}).at(0);
  const Tensor yq = FloatExecutor(q, ExecOptions{1}).run({x}).at(0);
  EXPECT_GT(sqnr_db_of(yf, yq), 20.0);
}

TEST(ApplyQuantPlan, TeacherInt8AndInt4WeightsAndInt16Activations) {
  const Graph g = fold_batch_norm(model_with_random_bn("fmnist-cnn", 0.25f, 4));
  const Tensor x = random_images(3, {1, 28, 28}, 6);
  const Tensor yf = FloatExecutor(g, ExecOptions{1}).run({x}).at(0);
  struct Case {
    int wbits, abits;
    double min_sqnr;
  };
  for (const Case c : {Case{8, 8, 20}, Case{8, 16, 30}, Case{4, 8, 5}}) {
    SCOPED_TRACE(::testing::Message() << "w" << c.wbits << "a" << c.abits);
    const Graph q = quant::apply_quant_plan(g, minmax_plan(g, x, c.wbits, c.abits));
    verify_graph(q);
    const Graph sim = quant::unpack_int4_initializers(q);
    verify_graph(sim);
    const Tensor yq = FloatExecutor(sim, ExecOptions{1}).run({x}).at(0);
    const double sqnr = sqnr_db_of(yf, yq);
    EXPECT_GT(sqnr, c.min_sqnr);
    if (c.wbits == 4) {
      bool has_int4 = false;
      for (const auto& [name, v] : q.values()) has_int4 = has_int4 || (v.data && v.dtype == DType::kI4);
      EXPECT_TRUE(has_int4);
    }
  }
}

TEST(ApplyQuantPlan, MissingParamsAndUnquantizableOpsAreNamed) {
  const Graph g = fold_batch_norm(model_with_random_bn("fmnist-ds", 0.25f, 3));
  quant::QuantPlan plan = minmax_plan(g, random_images(2, {1, 28, 28}, 1));
  quant::QuantPlan no_weight = plan;
  no_weight.weights.erase(no_weight.weights.begin());
  EXPECT_THROW(quant::apply_quant_plan(g, no_weight), Error);
  plan.activations.erase("input");
  try {
    quant::apply_quant_plan(g, plan);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'input'"), std::string::npos) << e.what();
  }
  // An unfolded BN and a Sigmoid are reported with node name and op.
  const Graph unfolded = model_with_random_bn("fmnist-ds", 0.25f, 3);
  try {
    quant::find_quant_sites(unfolded);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(BatchNormalization): cannot be quantized"), std::string::npos) << e.what();
  }
  Graph sig = g;
  for (Node& n : sig.nodes)
    if (n.op == OpType::kRelu) {
      n.op = OpType::kSigmoid;
      n.name = "the_sigmoid";
      break;
    }
  try {
    quant::find_quant_sites(sig);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'the_sigmoid' (Sigmoid): cannot be quantized"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tinyopt
