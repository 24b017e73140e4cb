// Built-in architectures: every one builds and verifies, has the documented input/output contract and
// op set, the MLPerf Tiny reference shapes reproduce the published parameter and MAC counts, width and
// class options behave, and initialization is seeded, deterministic and Kaiming-scaled.
//
// Counting convention for params (matches the published MLPerf Tiny figures, taken from the int8
// .tflite files where BatchNormalization is folded away): learned weights + biases of every node except
// BatchNormalization, via core's node_cost(). BN is excluded because it folds into the preceding conv's
// bias on deployment, and the MLPerf reference layers already carry that bias (for tinyopt's own
// bias-free convs folding adds one bias per channel, which this count leaves out). MACs: node_cost()
// (conv, depthwise and FC multiply-accumulates only), batch 1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/op_cost.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/core/verifier.h"

namespace tinyopt {
namespace {

struct Counts {
  int64_t params_without_bn = 0;  // see the file comment
  int64_t all_params = 0;         // with BN's scale, bias, mean and var
  int64_t macs = 0;
};

Counts count(const Graph& graph) {
  Graph g = graph;
  infer_shapes(g, 1);
  Counts c;
  for (const Node& n : g.nodes) {
    const NodeCost cost = node_cost(g, n);
    c.all_params += cost.params;
    if (n.op != OpType::kBatchNormalization) c.params_without_bn += cost.params;
    c.macs += cost.macs;
  }
  return c;
}

// The shape the graph output has at batch `batch`.
Shape output_shape(const Graph& graph, int64_t batch) {
  Graph g = graph;
  infer_shapes(g, batch);
  return g.value(g.outputs.at(0)).shape;
}

const Node& node_named(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes)
    if (n.name == name) return n;
  throw std::runtime_error("no node named " + name);
}

const Tensor& initializer(const Graph& g, const std::string& name) {
  const Value& v = g.value(name);
  if (!v.data) throw std::runtime_error(name + " is not an initializer");
  return *v.data;
}

// Input shape (batch -1) and output shape (batch 1) of each built-in at default options.
struct Contract {
  std::string name;
  Shape input;
  std::string output_name;
  Shape output;
};
const std::vector<Contract>& contracts() {
  static const std::vector<Contract> kContracts = {
      {"fmnist-cnn", {-1, 1, 28, 28}, "logits", {1, 10}},     {"fmnist-ds", {-1, 1, 28, 28}, "logits", {1, 10}},
      {"ds-cnn", {-1, 1, 49, 10}, "logits", {1, 12}},         {"resnet8", {-1, 3, 32, 32}, "logits", {1, 10}},
      {"mobilenetv1", {-1, 3, 96, 96}, "logits", {1, 2}},     {"fc-ae", {-1, 640}, "output", {1, 640}},
      {"squeezenet-fire", {-1, 1, 28, 28}, "logits", {1, 10}}, {"shufflenet", {-1, 1, 28, 28}, "logits", {1, 10}},
      {"mbconv", {-1, 1, 28, 28}, "logits", {1, 10}},
  };
  return kContracts;
}

TEST(Architectures, NamesAreExactlyTheDocumentedBuiltIns) {
  std::vector<std::string> expected;
  for (const Contract& c : contracts()) expected.push_back(c.name);
  EXPECT_EQ(architecture_names(), expected);
  for (const std::string& name : architecture_names()) EXPECT_FALSE(architecture_description(name).empty()) << name;
}

TEST(Architectures, EveryBuiltInVerifiesAndKeepsTheIoContract) {
  const std::set<OpType> allowed = {
      OpType::kConv,    OpType::kBatchNormalization, OpType::kRelu,    OpType::kClip,
      OpType::kMaxPool, OpType::kAveragePool,        OpType::kGlobalAveragePool,
      OpType::kFlatten, OpType::kGemm,               OpType::kAdd,     OpType::kConcat,
      OpType::kReshape, OpType::kTranspose,          OpType::kHardSwish, OpType::kSigmoid,
      OpType::kMul};
  for (const Contract& c : contracts()) {
    SCOPED_TRACE(c.name);
    const Graph g = build_architecture(c.name);
    ASSERT_NO_THROW(verify_graph(g));
    ASSERT_EQ(g.inputs, std::vector<std::string>{"input"});
    EXPECT_EQ(g.value("input").shape, c.input);
    ASSERT_EQ(g.outputs, std::vector<std::string>{c.output_name});
    EXPECT_EQ(output_shape(g, 1), c.output);
    Shape batched = c.output;
    batched[0] = 3;
    EXPECT_EQ(output_shape(g, 3), batched);
    EXPECT_EQ(g.metadata.at("tinyopt.arch"), c.name);
    EXPECT_EQ(g.metadata.at("tinyopt.arch.width"), "1");
    EXPECT_EQ(g.metadata.at("tinyopt.arch.seed"), "0");
    std::set<std::string> names;
    for (const Node& n : g.nodes) {
      EXPECT_TRUE(allowed.count(n.op)) << n.describe();
      EXPECT_FALSE(n.name.empty());
      EXPECT_TRUE(names.insert(n.name).second) << "duplicate node name " << n.name;
      EXPECT_EQ(g.value(n.outputs.at(0)).shape.at(0), -1) << n.describe() << ": batch must stay unknown";
    }
  }
}

TEST(Architectures, UnknownNameIsAUsageErrorListingTheNames) {
  try {
    build_architecture("resnet9000");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("resnet9000"), std::string::npos) << msg;
    for (const std::string& name : architecture_names()) EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
  EXPECT_THROW(architecture_description("resnet9000"), Error);
}

TEST(Architectures, BadOptionsAreUsageErrors) {
  auto expect_usage = [](const std::string& name, ArchOptions opts) {
    try {
      build_architecture(name, opts);
      ADD_FAILURE() << name << " width " << opts.width << " classes " << opts.num_classes << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  expect_usage("fmnist-cnn", {.width = 0.0f});
  expect_usage("fmnist-cnn", {.width = -0.5f});
  expect_usage("fmnist-cnn", {.width = std::nanf("")});
  expect_usage("fmnist-cnn", {.width = INFINITY});
  expect_usage("mobilenetv1", {.width = 5.0f});
  expect_usage("resnet8", {.num_classes = -1});
  expect_usage("resnet8", {.num_classes = 1000000});
  expect_usage("fc-ae", {.num_classes = 10});
}

TEST(Architectures, NumClassesSetsTheClassifierWidth) {
  for (const std::string name : {"fmnist-cnn", "ds-cnn", "mobilenetv1", "squeezenet-fire", "mbconv"}) {
    SCOPED_TRACE(name);
    const Graph g = build_architecture(name, {.num_classes = 7});
    ASSERT_NO_THROW(verify_graph(g));
    EXPECT_EQ(output_shape(g, 1), (Shape{1, 7}));
  }
}

// Published figures: REFERENCE-NUMBERS.md section 1.1, parsed from the int8 reference .tflite files of
// github.com/mlcommons/tiny (conv/dw/FC weights + biases; conv/dw/FC MACs).
TEST(Architectures, MlperfTinyShapesMatchThePublishedParamsAndMacs) {
  struct Published {
    std::string name;
    float width;
    int64_t params;
    int64_t macs;
  };
  const Published published[] = {
      {"ds-cnn", 1.0f, 22604, 2656768},
      {"resnet8", 1.0f, 77706, 12501632},
      {"mobilenetv1", 0.25f, 210850, 7489664},
      {"fc-ae", 1.0f, 265864, 264192},
  };
  for (const Published& p : published) {
    SCOPED_TRACE(p.name);
    const Counts c = count(build_architecture(p.name, {.width = p.width}));
    // Exact equality is stronger than the 2% / 1% the figures are quoted with: the layer shapes match.
    EXPECT_EQ(c.params_without_bn, p.params);
    EXPECT_EQ(c.macs, p.macs);
    RecordProperty(p.name + "_params", std::to_string(c.params_without_bn));
    RecordProperty(p.name + "_params_with_bn", std::to_string(c.all_params));
    RecordProperty(p.name + "_macs", std::to_string(c.macs));
  }
}

TEST(Architectures, MlperfConvsUseKerasSamePadding) {
  // Keras "same": out = ceil(in / stride), the odd pad at the end. ONNX pads = [top, left, bottom, right].
  const Graph kws = build_architecture("ds-cnn");
  EXPECT_EQ(node_named(kws, "conv1").attr_ints("pads"), (std::vector<int64_t>{4, 1, 5, 1}));  // 10x4 /2 on 49x10
  const Graph vww = build_architecture("mobilenetv1", {.width = 0.25f});
  EXPECT_EQ(node_named(vww, "conv1").attr_ints("pads"), (std::vector<int64_t>{0, 0, 1, 1}));  // 3x3 /2 on 96x96
  EXPECT_EQ(node_named(vww, "avgpool").attr_ints("kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_FLOAT_EQ(node_named(vww, "conv1_bn").attr_float("epsilon", 0.0f), 1e-3f);  // Keras' default
  EXPECT_EQ(node_named(kws, "avgpool").attr_ints("kernel_shape"), (std::vector<int64_t>{25, 5}));
}

TEST(Architectures, FashionMnistStudentHas10To20kParams) {
  const Counts c = count(build_architecture("fmnist-ds"));
  EXPECT_GE(c.params_without_bn, 10000);
  EXPECT_LE(c.all_params, 20000);
  const Counts teacher = count(build_architecture("fmnist-cnn"));
  EXPECT_GT(teacher.params_without_bn, 5 * c.params_without_bn);
}

TEST(Architectures, MobilenetWidthIsAlphaRoundedToMultiplesOf8) {
  auto first_and_last = [](float width) {
    const Graph g = build_architecture("mobilenetv1", {.width = width});
    return std::pair{initializer(g, "conv1.weight").dim(0), initializer(g, "block14_pw.weight").dim(0)};
  };
  EXPECT_EQ(first_and_last(0.25f), (std::pair<int64_t, int64_t>{8, 256}));
  EXPECT_EQ(first_and_last(0.5f), (std::pair<int64_t, int64_t>{16, 512}));
  EXPECT_EQ(first_and_last(1.0f), (std::pair<int64_t, int64_t>{32, 1024}));
  EXPECT_EQ(first_and_last(0.1f), (std::pair<int64_t, int64_t>{8, 104}));  // never below 8
}

TEST(Architectures, WidthScalesChannelsButNotInputsOrOutputs) {
  for (const Contract& c : contracts()) {
    SCOPED_TRACE(c.name);
    const Graph narrow = build_architecture(c.name, {.width = 0.5f});
    ASSERT_NO_THROW(verify_graph(narrow));
    EXPECT_EQ(narrow.value("input").shape, c.input);
    EXPECT_EQ(output_shape(narrow, 1), c.output);
    EXPECT_EQ(narrow.metadata.at("tinyopt.arch.width"), "0.5");
    const int64_t narrow_macs = count(narrow).macs;
    const int64_t full_macs = count(build_architecture(c.name)).macs;
    // Halving every inner width roughly quarters the MACs (layers touching the input/output halve).
    EXPECT_LT(narrow_macs, 0.55 * full_macs);
    EXPECT_GT(narrow_macs, 0.15 * full_macs);
  }
  // A tiny width still builds a valid graph (every width rounds to at least one channel / one group).
  for (const std::string& name : architecture_names()) {
    EXPECT_NO_THROW(verify_graph(build_architecture(name, {.width = 0.01f}))) << name;
  }
}

// All initializer tensors as name -> bytes.
std::map<std::string, std::vector<uint8_t>> initializer_bytes(const Graph& g) {
  std::map<std::string, std::vector<uint8_t>> out;
  for (const auto& [name, v] : g.values()) {
    if (v.data) out[name].assign(v.data->bytes(), v.data->bytes() + v.data->nbytes());
  }
  return out;
}

TEST(Architectures, SameSeedGivesIdenticalBytesAndOtherSeedsDiffer) {
  for (const std::string& name : architecture_names()) {
    SCOPED_TRACE(name);
    const auto a = initializer_bytes(build_architecture(name, {.seed = 42}));
    const auto b = initializer_bytes(build_architecture(name, {.seed = 42}));
    EXPECT_EQ(a, b);
    const Graph other = build_architecture(name, {.seed = 43});
    EXPECT_EQ(other.metadata.at("tinyopt.arch.seed"), "43");
    const auto c = initializer_bytes(other);
    ASSERT_EQ(a.size(), c.size());
    int differing_weights = 0, weights = 0;
    for (const auto& [tensor, bytes] : a) {
      if (tensor.ends_with(".weight")) {
        ++weights;
        differing_weights += bytes != c.at(tensor);
      } else {
        EXPECT_EQ(bytes, c.at(tensor)) << tensor << " is a constant and must not depend on the seed";
      }
    }
    EXPECT_GT(weights, 0);
    EXPECT_EQ(differing_weights, weights);
  }
}

struct Moments {
  double mean, stddev;
};
Moments moments(const Tensor& t) {
  double sum = 0, sum_sq = 0;
  for (float v : t.span<float>()) sum += v;
  const double mean = sum / static_cast<double>(t.numel());
  for (float v : t.span<float>()) sum_sq += (v - mean) * (v - mean);
  return {mean, std::sqrt(sum_sq / static_cast<double>(t.numel()))};
}

TEST(Architectures, WeightsAreKaimingNormalWithFanIn) {
  const Graph g = build_architecture("fmnist-cnn", {.seed = 7});
  // conv5: 128 x 64 x 3 x 3, fan_in 576, followed by BN + ReLU: std sqrt(2 / 576).
  const Tensor& conv = initializer(g, "conv5.weight");
  const Moments m = moments(conv);
  const double n = static_cast<double>(conv.numel());
  const double expected = std::sqrt(2.0 / 576.0);
  EXPECT_NEAR(m.stddev, expected, 0.02 * expected);
  EXPECT_NEAR(m.mean, 0.0, 4.0 * expected / std::sqrt(n));
  // Normal, not uniform: about 4.55% of draws lie beyond two standard deviations (uniform: none).
  int64_t tail = 0;
  for (float v : conv.span<float>()) tail += std::fabs(v) > 2.0 * expected;
  EXPECT_NEAR(static_cast<double>(tail) / n, 0.0455, 0.005);
  // The logits layer is linear (gain 1): fc 10 x 128, std 1 / sqrt(128); too few draws for 2%.
  const Moments fc = moments(initializer(g, "fc.weight"));
  EXPECT_NEAR(fc.stddev, 1.0 / std::sqrt(128.0), 0.15 / std::sqrt(128.0));
  // BatchNormalization starts as the identity and biases at zero.
  for (const auto& [suffix, value] : std::vector<std::pair<std::string, float>>{
           {".scale", 1.0f}, {".bias", 0.0f}, {".mean", 0.0f}, {".var", 1.0f}}) {
    for (float v : initializer(g, "conv3_bn" + suffix).span<float>()) ASSERT_EQ(v, value) << suffix;
  }
  for (float v : initializer(g, "fc.bias").span<float>()) ASSERT_EQ(v, 0.0f);
  // The teacher's convs have no bias: BatchNormalization's beta is the bias.
  EXPECT_EQ(node_named(g, "conv1").inputs.size(), 2u);
}

TEST(Architectures, GraphOnlyConstantsAreOpset18Inputs) {
  // ReLU6 as Clip with min/max initializers; the channel shuffle's Reshape targets as int64 initializers.
  const Graph mb = build_architecture("mbconv");
  const Node& clip = node_named(mb, "stem_relu6");
  ASSERT_EQ(clip.op, OpType::kClip);
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_EQ(initializer(mb, clip.inputs[1]).data<float>()[0], 0.0f);
  EXPECT_EQ(initializer(mb, clip.inputs[2]).data<float>()[0], 6.0f);
  const Graph sh = build_architecture("shufflenet");
  const Node& split = node_named(sh, "stage2_unit2_shuffle_split");
  const Tensor& target = initializer(sh, split.inputs[1]);
  ASSERT_EQ(target.dtype(), DType::kI64);
  EXPECT_EQ(std::vector<int64_t>(target.data<int64_t>(), target.data<int64_t>() + target.numel()),
            (std::vector<int64_t>{-1, 4, 6, 14, 14}));
  EXPECT_EQ(node_named(sh, "stage2_unit2_shuffle_transpose").attr_ints("perm"),
            (std::vector<int64_t>{0, 2, 1, 3, 4}));
  // Constants are not parameters: node_cost counts none for Clip and Reshape.
  Graph inferred = sh;
  infer_shapes(inferred, 1);
  EXPECT_EQ(node_cost(inferred, node_named(inferred, "stage2_unit2_shuffle_split")).params, 0);
}

}  // namespace
}  // namespace tinyopt
