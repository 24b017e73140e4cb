// FloatExecutor as a whole: validation errors, input checking, a small CNN against direct loops, buffer
// reuse across runs and batch sizes, runtime shape inputs, run_all and Conv+activation fusion.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "exec/op_table.h"
#include "tinyopt/exec/float_executor.h"
#include "unit/exec_reference.h"
#include "unit/exec_test_util.h"

namespace tinyopt {
namespace {

using kernels::Conv2dParams;
using testing::all_close;
using testing::GraphBuilder;
using testing::naive_conv;
using testing::random_tensor;
using testing::values_of;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    return e.what();
  }
  return "(no error)";
}

// conv3x3(1->4, pad 1) -> Relu -> MaxPool 2x2 -> conv3x3(4->6, pad 1) -> Clip(0, 6) -> GlobalAveragePool ->
// Flatten -> Gemm(6->3, transB) : a miniature of the Fashion-MNIST CNN.
struct TinyCnn {
  Tensor w1, b1, w2, b2, fc_w, fc_b;
  Graph graph;
  explicit TinyCnn(std::mt19937& rng) {
    w1 = random_tensor(rng, {4, 1, 3, 3});
    b1 = random_tensor(rng, {4});
    w2 = random_tensor(rng, {6, 4, 3, 3});
    b2 = random_tensor(rng, {6});
    fc_w = random_tensor(rng, {3, 6});
    fc_b = random_tensor(rng, {3});
    const std::map<std::string, Attribute> pad1 = {{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
    graph = GraphBuilder()
                .input("x", {-1, 1, 8, 8})
                .init("w1", w1).init("b1", b1).init("w2", w2).init("b2", b2).init("fc_w", fc_w).init("fc_b", fc_b)
                .init("lo", Tensor::scalar_f32(0.0f)).init("hi", Tensor::scalar_f32(6.0f))
                .node(OpType::kConv, {"x", "w1", "b1"}, {"c1"}, pad1)
                .node(OpType::kRelu, {"c1"}, {"r1"})
                .node(OpType::kMaxPool, {"r1"}, {"p1"},
                      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}})
                .node(OpType::kConv, {"p1", "w2", "b2"}, {"c2"}, pad1)
                .node(OpType::kClip, {"c2", "lo", "hi"}, {"r2"})
                .node(OpType::kGlobalAveragePool, {"r2"}, {"g"})
                .node(OpType::kFlatten, {"g"}, {"f"})
                .node(OpType::kGemm, {"f", "fc_w", "fc_b"}, {"y"}, {{"transB", int64_t{1}}})
                .output("y")
                .graph();
  }

  // Direct-loop evaluation of the same network.
  std::vector<float> reference(const Tensor& x) const {
    const int64_t n = x.dim(0);
    Conv2dParams p1;
    p1.batch = n, p1.in_channels = 1, p1.out_channels = 4, p1.in_h = p1.in_w = 8, p1.kernel_h = p1.kernel_w = 3;
    p1.pad_top = p1.pad_left = p1.pad_bottom = p1.pad_right = 1;
    const auto r1 = naive_conv(p1, values_of(x), values_of(w1), values_of(b1), {.min = 0.0f});
    std::vector<float> pooled(static_cast<size_t>(n * 4 * 16));
    for (int64_t pl = 0; pl < n * 4; ++pl)
      for (int64_t h = 0; h < 4; ++h)
        for (int64_t w = 0; w < 4; ++w) {
          float m = -1e30f;
          for (int64_t dy = 0; dy < 2; ++dy)
            for (int64_t dx = 0; dx < 2; ++dx) m = std::max(m, r1[static_cast<size_t>(pl * 64 + (2 * h + dy) * 8 + 2 * w + dx)]);
          pooled[static_cast<size_t>(pl * 16 + h * 4 + w)] = m;
        }
    Conv2dParams p2 = p1;
    p2.in_channels = 4, p2.out_channels = 6, p2.in_h = p2.in_w = 4;
    const auto r2 = naive_conv(p2, pooled, values_of(w2), values_of(b2), {.min = 0.0f, .max = 6.0f});
    std::vector<float> y;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t o = 0; o < 3; ++o) {
        double s = fc_b.data<float>()[o];
        for (int64_t c = 0; c < 6; ++c) {
          double g = 0;
          for (int64_t k = 0; k < 16; ++k) g += r2[static_cast<size_t>((i * 6 + c) * 16 + k)];
          s += g / 16 * fc_w.data<float>()[o * 6 + c];
        }
        y.push_back(static_cast<float>(s));
      }
    return y;
  }
};

TEST(ExecExecutor, TinyCnnMatchesDirectLoopsAcrossRunsBatchesAndThreads) {
  std::mt19937 rng(30);
  const TinyCnn cnn(rng);
  for (int threads : {1, 2}) {
    FloatExecutor exec(cnn.graph, {.threads = threads});
    std::vector<std::pair<Tensor, std::vector<float>>> results;
    for (int64_t batch : {1, 3, 3, 1, 4}) {  // repeated shapes reuse buffers; changes re-plan them
      const Tensor x = random_tensor(rng, {batch, 1, 8, 8});
      const auto y = exec.run({x});
      ASSERT_EQ(y.size(), 1u);
      ASSERT_EQ(y[0].shape(), (Shape{batch, 3}));
      EXPECT_TRUE(all_close(values_of(y[0]), cnn.reference(x))) << "batch " << batch << " threads " << threads;
      results.emplace_back(y[0], cnn.reference(x));
    }
    for (const auto& [got, want] : results) EXPECT_TRUE(all_close(values_of(got), want)) << "overwritten by a later run";
  }
}

// With several threads a batch-separable graph runs as chunks of samples on separate threads; the result
// must match the single-threaded whole-batch run for every batch size, including ragged last chunks.
TEST(ExecExecutor, SplitBatchRunsMatchWholeBatchRuns) {
  std::mt19937 rng(36);
  const TinyCnn cnn(rng);
  FloatExecutor split(cnn.graph, {.threads = 2}), whole(cnn.graph, {.threads = 1});
  for (int64_t batch : {2, 13, 64, 5}) {
    const Tensor x = random_tensor(rng, {batch, 1, 8, 8});
    const auto a = split.run({x}), b = whole.run({x});
    ASSERT_EQ(a[0].shape(), b[0].shape());
    EXPECT_TRUE(all_close(values_of(a[0]), values_of(b[0]), 1e-5f, 1e-5f)) << "batch " << batch;
  }
}

// Graphs that mix samples must never be split: softmax over the batch axis, a transpose of the batch axis,
// a reshape folding samples together.
TEST(ExecExecutor, GraphsMixingSamplesAreNotSplit) {
  std::mt19937 rng(37);
  const Graph softmax = GraphBuilder().input("x", {-1, 3}).node(OpType::kSoftmax, {"x"}, {"y"}, {{"axis", int64_t{0}}}).output("y").graph();
  const Graph transpose = GraphBuilder().input("x", {-1, 3}).node(OpType::kTranspose, {"x"}, {"t"})
                              .node(OpType::kRelu, {"t"}, {"y"}).output("y").graph();
  const Graph fold = GraphBuilder().input("x", {-1, 3}).init("s", Tensor::from_i64({2}, std::vector<int64_t>{-1, 6}))
                         .node(OpType::kReshape, {"x", "s"}, {"y"}).output("y").graph();
  for (const Graph* g : {&softmax, &transpose, &fold}) {
    FloatExecutor split(*g, {.threads = 2}), whole(*g, {.threads = 1});
    const Tensor x = random_tensor(rng, {8, 3});
    const auto a = split.run({x}), b = whole.run({x});
    ASSERT_EQ(a[0].shape(), b[0].shape());
    EXPECT_EQ(values_of(a[0]), values_of(b[0]));
  }
}

TEST(ExecExecutor, RunAllReturnsUnfusedIntermediates) {
  std::mt19937 rng(31);
  const TinyCnn cnn(rng);
  FloatExecutor exec(cnn.graph);
  const Tensor x = random_tensor(rng, {2, 1, 8, 8});
  const auto fused = exec.run({x});
  const auto all = exec.run_all({x});
  for (const char* name : {"x", "c1", "r1", "p1", "c2", "r2", "g", "f", "y"}) ASSERT_EQ(all.count(name), 1u) << name;
  EXPECT_EQ(all.count("w1"), 0u);  // weights are not intermediates
  bool any_negative = false;
  for (float v : values_of(all.at("c1"))) any_negative |= v < 0;
  EXPECT_TRUE(any_negative) << "c1 must be the conv output before Relu";
  for (float v : values_of(all.at("r1"))) ASSERT_GE(v, 0.0f);
  EXPECT_TRUE(all_close(values_of(all.at("y")), values_of(fused[0]), 1e-6f, 1e-6f));
  const auto again = exec.run({x});  // run() after run_all() is still right
  EXPECT_TRUE(all_close(values_of(again[0]), values_of(fused[0]), 1e-6f, 1e-6f));
}

// Conv -> BatchNormalization -> Relu, Conv -> BatchNormalization -> Clip and a lone BatchNormalization ->
// Relu run fused by run() and unfused by run_all(): the results must be bit-identical, NaN included.
TEST(ExecExecutor, FusedConvBatchNormActivationIsBitIdentical) {
  std::mt19937 rng(35);
  auto bn_params = [&](GraphBuilder& b, const std::string& prefix, int64_t c) {
    b.init(prefix + "s", random_tensor(rng, {c}, 0.5f, 2.0f)).init(prefix + "b", random_tensor(rng, {c}))
        .init(prefix + "m", random_tensor(rng, {c})).init(prefix + "v", random_tensor(rng, {c}, 0.1f, 2.0f));
    return std::vector<std::string>{prefix + "s", prefix + "b", prefix + "m", prefix + "v"};
  };
  GraphBuilder b;
  b.input("x", {-1, 3, 12, 12})
      .init("w1", random_tensor(rng, {8, 3, 3, 3}))
      .init("w2", random_tensor(rng, {8, 8, 1, 1}))
      .init("b2", random_tensor(rng, {8}))
      .init("lo", Tensor::scalar_f32(-0.5f))
      .init("hi", Tensor::scalar_f32(0.75f));
  const auto bn1 = bn_params(b, "bn1", 8), bn2 = bn_params(b, "bn2", 8), bn3 = bn_params(b, "bn3", 8);
  auto with_x = [](const std::string& x, std::vector<std::string> rest) {
    rest.insert(rest.begin(), x);
    return rest;
  };
  b.node(OpType::kConv, {"x", "w1"}, {"c1"}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"group", int64_t{1}}})
      .node(OpType::kBatchNormalization, with_x("c1", bn1), {"n1"}, {{"epsilon", 1e-3f}})
      .node(OpType::kRelu, {"n1"}, {"r1"})
      .node(OpType::kConv, {"r1", "w2", "b2"}, {"c2"})
      .node(OpType::kBatchNormalization, with_x("c2", bn2), {"n2"})
      .node(OpType::kClip, {"n2", "lo", "hi"}, {"r2"})
      .node(OpType::kAdd, {"r2", "r1"}, {"s"})
      .node(OpType::kBatchNormalization, with_x("s", bn3), {"n3"})
      .node(OpType::kRelu, {"n3"}, {"y"})
      .output("y");
  FloatExecutor exec(b.graph());
  Tensor x = random_tensor(rng, {2, 3, 12, 12}, -3.0f, 3.0f);
  x.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  const auto fused = exec.run({x});
  const auto unfused = exec.run_all({x});
  const auto a = values_of(fused[0]), c = values_of(unfused.at("y"));
  ASSERT_EQ(a.size(), c.size());
  int nans = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(c[i])) {
      ++nans;
      ASSERT_TRUE(std::isnan(a[i])) << i;
    } else {
      ASSERT_EQ(a[i], c[i]) << i;  // bit-identical, not merely close
    }
  }
  EXPECT_GT(nans, 0);
  for (float v : values_of(unfused.at("r2"))) {
    ASSERT_TRUE(std::isnan(v) || (v >= -0.5f && v <= 0.75f));
  }
}

// Every op has a runner today, so the up-front "unsupported op" check cannot be triggered from a graph;
// shapes a runner cannot handle fail at run time, naming the node and op.
TEST(ExecExecutor, UnsupportedShapesNameTheNode) {
  std::mt19937 rng(32);
  const Graph g = GraphBuilder()
                      .input("x", {1, 2, 3, 3, 3})
                      .init("w", random_tensor(rng, {2, 2, 3, 3, 3}))
                      .node(OpType::kConvTranspose, {"x", "w"}, {"y"})
                      .output("y")
                      .graph();
  FloatExecutor exec(g);
  const std::string msg = error_of([&] { exec.run({random_tensor(rng, {1, 2, 3, 3, 3})}); });
  EXPECT_NE(msg.find("node 'n0' (ConvTranspose)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("only 1-D and 2-D"), std::string::npos) << msg;
  for (int op = 0; op < kOpTypeCount; ++op)
    EXPECT_NE(exec::op_kernel(static_cast<OpType>(op)).run, nullptr) << op_name(static_cast<OpType>(op));
}

TEST(ExecExecutor, UndefinedValuesAreRejectedUpFront) {
  const Graph g = GraphBuilder().input("x", {2}).node(OpType::kAdd, {"x", "nowhere"}, {"y"}).output("y").graph();
  EXPECT_NE(error_of([&] { FloatExecutor exec(g); }).find("input 'nowhere'"), std::string::npos);
}

TEST(ExecExecutor, InputsMustMatchTheModel) {
  std::mt19937 rng(33);
  const TinyCnn cnn(rng);
  FloatExecutor exec(cnn.graph);
  EXPECT_EQ(error_of([&] { exec.run({random_tensor(rng, {2, 1, 28, 28})}); }),
            "input 'x' has shape [2,1,28,28], model expects [?,1,8,8]");
  EXPECT_NE(error_of([&] { exec.run({random_tensor(rng, {1, 8, 8})}); }).find("model expects [?,1,8,8]"), std::string::npos);
  EXPECT_NE(error_of([&] { exec.run({}); }).find("model has 1 inputs, got 0"), std::string::npos);
  EXPECT_NE(error_of([&] { exec.run({Tensor(DType::kU8, {1, 1, 8, 8})}); }).find("dtype u8"), std::string::npos);
  const auto ok = exec.run({random_tensor(rng, {5, 1, 8, 8})});  // -1 accepts any batch; still usable after errors
  EXPECT_EQ(ok[0].shape(), (Shape{5, 3}));
}

TEST(ExecExecutor, ShapeInputsMayBeRuntimeTensors) {
  std::mt19937 rng(34);
  const Graph g = GraphBuilder()
                      .input("x", {2, 6})
                      .input("shape", {2}, DType::kI64)
                      .node(OpType::kReshape, {"x", "shape"}, {"r"})
                      .node(OpType::kRelu, {"r"}, {"y"})
                      .output("y")
                      .graph();
  FloatExecutor exec(g);
  const Tensor x = random_tensor(rng, {2, 6});
  EXPECT_EQ(exec.run({x, Tensor::from_i64({2}, std::vector<int64_t>{3, 4})})[0].shape(), (Shape{3, 4}));
  EXPECT_EQ(exec.run({x, Tensor::from_i64({2}, std::vector<int64_t>{-1, 2})})[0].shape(), (Shape{6, 2}));
}

TEST(ExecExecutor, OutputsNeverShareStorageWithWeightsOrLaterRuns) {
  const Graph g = GraphBuilder()
                      .input("x", {3})
                      .init("k", Tensor::from_f32({3}, std::vector<float>{1, 2, 3}))
                      .node(OpType::kIdentity, {"k"}, {"kout"})
                      .node(OpType::kAdd, {"x", "k"}, {"y"})
                      .output("kout")
                      .output("y")
                      .graph();
  FloatExecutor exec(g);
  auto first = exec.run({Tensor::from_f32({3}, std::vector<float>{1, 1, 1})});
  first[0].data<float>()[0] = 100;  // must not reach the initializer
  const auto second = exec.run({Tensor::from_f32({3}, std::vector<float>{2, 2, 2})});
  EXPECT_EQ(values_of(second[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(values_of(second[1]), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(values_of(first[1]), (std::vector<float>{2, 3, 4}));
}

}  // namespace
}  // namespace tinyopt
