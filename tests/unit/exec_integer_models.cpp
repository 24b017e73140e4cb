// The integer executor tests' models and agreement measure (see exec_integer_models.h).
#include "unit/exec_integer_models.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "unit/exec_test_util.h"

namespace tinyopt::testing {
namespace {

// Adds Conv (+ optional activation) with random weights; returns the output value name.
class ModelBuilder {
 public:
  explicit ModelBuilder(uint32_t seed) : rng_(seed) {}
  GraphBuilder b;

  std::string conv(const std::string& x, const std::string& name, int64_t in_c, int64_t out_c, int64_t k,
                   std::map<std::string, Attribute> attrs = {}, int64_t group = 1) {
    const float bound = 1.5f / std::sqrt(static_cast<float>(in_c / group * k * k));
    b.init(name + ".w", random_tensor(rng_, {out_c, in_c / group, k, k}, -bound, bound));
    b.init(name + ".b", random_tensor(rng_, {out_c}, -0.2f, 0.2f));
    attrs["kernel_shape"] = std::vector<int64_t>{k, k};
    if (group != 1) attrs["group"] = group;
    b.node(OpType::kConv, {x, name + ".w", name + ".b"}, {name}, attrs);
    return name;
  }
  std::string gemm(const std::string& x, const std::string& name, int64_t in_f, int64_t out_f) {
    const float bound = 1.5f / std::sqrt(static_cast<float>(in_f));
    b.init(name + ".w", random_tensor(rng_, {out_f, in_f}, -bound, bound));
    b.init(name + ".b", random_tensor(rng_, {out_f}, -0.2f, 0.2f));
    b.node(OpType::kGemm, {x, name + ".w", name + ".b"}, {name}, {{"transB", int64_t{1}}});
    return name;
  }
  std::string op(OpType op, std::vector<std::string> inputs, const std::string& name,
                 std::map<std::string, Attribute> attrs = {}) {
    b.node(op, std::move(inputs), {name}, std::move(attrs));
    return name;
  }
  std::string relu(const std::string& x) { return op(OpType::kRelu, {x}, x + ".relu"); }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

}  // namespace

Graph cnn_model(uint32_t seed) {
  ModelBuilder m(seed);
  m.b.input("x", {-1, 2, 8, 8});
  std::string y = m.relu(m.conv("x", "c1", 2, 4, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  y = m.op(OpType::kMaxPool, {y}, "pool",
           {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  y = m.relu(m.conv(y, "c2", 4, 6, 3));
  y = m.op(OpType::kFlatten, {y}, "flat");
  y = m.gemm(y, "fc", 24, 5);
  m.b.output(y);
  return m.b.graph();
}

Graph mobile_model(uint32_t seed) {
  ModelBuilder m(seed);
  m.b.input("x", {-1, 4, 8, 8});
  m.b.init("zero", Tensor::scalar_f32(0.0f)).init("six", Tensor::scalar_f32(6.0f));
  std::string y = m.conv("x", "pw1", 4, 8, 1);
  y = m.op(OpType::kClip, {y, "zero", "six"}, "pw1.clip");
  y = m.relu(m.conv(y, "dw", 8, 8, 3,
                    {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}}, 8));
  y = m.conv(y, "pw2", 8, 8, 1);
  y = m.op(OpType::kHardSwish, {y}, "hswish");
  y = m.op(OpType::kGlobalAveragePool, {y}, "gap");
  y = m.op(OpType::kFlatten, {y}, "flat");
  y = m.gemm(y, "fc", 8, 6);
  y = m.op(OpType::kSoftmax, {y}, "prob", {{"axis", int64_t{-1}}});
  m.b.output(y);
  return m.b.graph();
}

Graph residual_model(uint32_t seed) {
  ModelBuilder m(seed);
  m.b.input("x", {-1, 4, 6, 6});
  const std::map<std::string, Attribute> same = {{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  std::string y = m.relu(m.conv("x", "ca", 4, 4, 3, same));
  y = m.conv(y, "cb", 4, 4, 3, same);
  y = m.relu(m.op(OpType::kAdd, {y, "x"}, "sum"));
  y = m.op(OpType::kAveragePool, {y}, "avg",
           {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  m.b.init("pads", Tensor::from_i64({8}, std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  y = m.op(OpType::kPad, {y, "pads"}, "padded");
  y = m.op(OpType::kFlatten, {y}, "flat");  // 4 x 5 x 5 = 100
  m.b.init("mm.w", random_tensor(m.rng(), {100, 3}, -0.15f, 0.15f));
  y = m.op(OpType::kMatMul, {y, "mm.w"}, "mm");
  m.b.output(y);
  return m.b.graph();
}

Graph concat_model(uint32_t seed) {
  ModelBuilder m(seed);
  m.b.input("x", {-1, 3, 6, 6});
  const std::string a = m.relu(m.conv("x", "ba", 3, 3, 1));
  const std::string c = m.relu(m.conv("x", "bc", 3, 5, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  std::string y = m.op(OpType::kConcat, {a, c}, "cat", {{"axis", int64_t{1}}});
  y = m.conv(y, "mix", 8, 4, 1);
  m.b.init("axes", Tensor::from_i64({2}, std::vector<int64_t>{2, 3}));
  y = m.op(OpType::kReduceMean, {y, "axes"}, "mean");
  y = m.op(OpType::kFlatten, {y}, "flat");
  y = m.gemm(y, "fc", 4, 4);
  m.b.output(y);
  return m.b.graph();
}

Tensor model_input(const Graph& g, int64_t n, uint32_t seed) {
  Shape s = g.value(g.inputs.at(0)).shape;
  s[0] = n;
  std::mt19937 rng(seed);
  return random_tensor(rng, s, -1.0f, 1.0f);
}

std::string Agreement::describe() const {
  std::ostringstream os;
  os << elements << " elements: " << exact << " exact, " << within_one << " within 1 step, max "
     << max_steps << " steps";
  return os.str();
}

ModelAgreement integer_vs_float(const Graph& qdq, const std::vector<Tensor>& inputs, int threads) {
  // every QuantizeLinear output becomes an extra (integer) graph output of the executed copy
  Graph g = qdq;
  std::vector<std::string> final_ints;
  for (const std::string& o : qdq.outputs) {
    const int p = qdq.producer(o);
    final_ints.push_back(p >= 0 && qdq.nodes[static_cast<size_t>(p)].op == OpType::kDequantizeLinear
                             ? qdq.nodes[static_cast<size_t>(p)].inputs.at(0)
                             : o);
  }
  std::vector<std::string> compared;
  for (const Node& n : qdq.nodes)
    if (n.op == OpType::kQuantizeLinear) compared.push_back(n.outputs.at(0));
  g.outputs = compared;
  FloatExecutor fexec(qdq, ExecOptions{1});
  const auto all = fexec.run_all(inputs);
  IntegerExecutor iexec(g, IntegerExecOptions{threads});
  const std::vector<Tensor> ints = iexec.run_integer(inputs);
  ModelAgreement m;
  for (size_t i = 0; i < compared.size(); ++i) {
    const Tensor& want = all.at(compared[i]);
    const Tensor& got = ints.at(i);
    EXPECT_EQ(want.shape(), got.shape()) << compared[i];
    EXPECT_EQ(want.dtype(), got.dtype()) << compared[i];
    if (want.shape() != got.shape() || want.dtype() != got.dtype()) continue;
    const bool is_final = std::find(final_ints.begin(), final_ints.end(), compared[i]) != final_ints.end();
    for (int64_t k = 0; k < want.numel(); ++k) {
      const int64_t w = want.dtype() == DType::kI16 ? want.data<int16_t>()[k] : want.data<int8_t>()[k];
      const int64_t q = got.dtype() == DType::kI16 ? got.data<int16_t>()[k] : got.data<int8_t>()[k];
      const int64_t d = std::llabs(w - q);
      for (Agreement* a : {&m.activations, is_final ? &m.outputs : nullptr}) {
        if (a == nullptr) continue;
        ++a->elements;
        a->exact += d == 0;
        a->within_one += d <= 1;
        a->max_steps = std::max(a->max_steps, d);
      }
    }
  }
  return m;
}

}  // namespace tinyopt::testing
