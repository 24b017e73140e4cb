// An independent check of the whole training step against PyTorch (Debian's python3-torch via
// /usr/bin/python3; skipped when it is absent): the same weights and batch through
// conv -> batchnorm (training mode) -> relu -> maxpool -> flatten -> linear, cross-entropy with label
// smoothing; loss, every parameter gradient and the BN running statistics must agree to 1e-4.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/train/loss.h"
#include "tinyopt/train/train_graph.h"
#include "train_test_util.h"

namespace tinyopt::train {
namespace {

using Ints = std::vector<int64_t>;

constexpr const char* kTorchScript = R"PY(
import json, sys
import numpy as np
import torch
torch.set_num_threads(1)
d = sys.argv[1]
def load(name, shape):
    return torch.from_numpy(np.fromfile(f"{d}/{name}.bin", dtype=np.float32).reshape(shape).copy())
x = load("x", (4, 2, 8, 8))
y = torch.from_numpy(np.fromfile(f"{d}/y.bin", dtype=np.int32).astype(np.int64))
conv = torch.nn.Conv2d(2, 4, 3, stride=1, padding=1)
bn = torch.nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)
fc = torch.nn.Linear(64, 10)
with torch.no_grad():
    conv.weight.copy_(load("conv_w", (4, 2, 3, 3))); conv.bias.copy_(load("conv_b", (4,)))
    bn.weight.copy_(load("bn_scale", (4,))); bn.bias.copy_(load("bn_bias", (4,)))
    bn.running_mean.copy_(load("bn_mean", (4,))); bn.running_var.copy_(load("bn_var", (4,)))
    fc.weight.copy_(load("fc_w", (10, 64))); fc.bias.copy_(load("fc_b", (10,)))
model = torch.nn.Sequential(conv, bn, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), fc)
model.train()
loss = torch.nn.functional.cross_entropy(model(x), y, label_smoothing=0.1)
loss.backward()
g = lambda t: t.grad.flatten().tolist()
print(json.dumps({"loss": loss.item(), "conv_w": g(conv.weight), "conv_b": g(conv.bias),
                  "bn_scale": g(bn.weight), "bn_bias": g(bn.bias), "fc_w": g(fc.weight), "fc_b": g(fc.bias),
                  "bn_mean": bn.running_mean.tolist(), "bn_var": bn.running_var.tolist()}))
)PY";

void write_floats(const std::string& path, const std::vector<float>& v) {
  testing::write_file(path, std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

TEST(TorchParity, ConvBnReluPoolLinearTrainingStep) {
  if (!testing::python_has("torch,numpy")) GTEST_SKIP() << "/usr/bin/python3 with torch and numpy is not available";
  testing::TempDir dir;
  std::map<std::string, std::vector<float>> w = {
      {"conv_w", testing::random_vector(72, -0.3f, 0.3f, 1)}, {"conv_b", testing::random_vector(4, -0.1f, 0.1f, 2)},
      {"bn_scale", testing::random_vector(4, 0.5f, 1.5f, 3)}, {"bn_bias", testing::random_vector(4, -0.2f, 0.2f, 4)},
      {"bn_mean", testing::random_vector(4, -0.1f, 0.1f, 5)}, {"bn_var", testing::random_vector(4, 0.5f, 1.5f, 6)},
      {"fc_w", testing::random_vector(640, -0.2f, 0.2f, 7)},  {"fc_b", testing::random_vector(10, -0.1f, 0.1f, 8)}};
  const std::vector<float> x = testing::random_vector(4 * 2 * 64, 0.0f, 1.0f, 9);
  const std::vector<int32_t> y = {3, 7, 0, 3};
  for (const auto& [name, v] : w) write_floats(dir.file(name + ".bin"), v);
  write_floats(dir.file("x.bin"), x);
  testing::write_file(dir.file("y.bin"), std::string(reinterpret_cast<const char*>(y.data()), y.size() * 4));
  testing::write_file(dir.file("step.py"), kTorchScript);
  const auto run = testing::run_command("/usr/bin/python3 " + dir.file("step.py") + " " + dir.path().string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json torch = nlohmann::json::parse(run.out);

  Graph g;
  Value input;
  input.name = "x";
  input.shape = {-1, 2, 8, 8};
  g.set_value(input);
  g.inputs = {"x"};
  const std::map<std::string, Shape> shapes = {{"conv_w", {4, 2, 3, 3}}, {"conv_b", {4}}, {"bn_scale", {4}},
                                               {"bn_bias", {4}}, {"bn_mean", {4}}, {"bn_var", {4}},
                                               {"fc_w", {10, 64}}, {"fc_b", {10}}};
  for (const auto& [name, v] : w) g.add_initializer(name, Tensor::from_f32(shapes.at(name), v));
  auto add = [&](OpType op, std::vector<std::string> in, std::string out, std::map<std::string, Attribute> attrs = {}) {
    Node n;
    n.name = out;
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = {out};
    n.attrs = std::move(attrs);
    g.nodes.push_back(std::move(n));
  };
  add(OpType::kConv, {"x", "conv_w", "conv_b"}, "c", {{"pads", Ints{1, 1, 1, 1}}});
  add(OpType::kBatchNormalization, {"c", "bn_scale", "bn_bias", "bn_mean", "bn_var"}, "b", {{"momentum", 0.9f}});
  add(OpType::kRelu, {"b"}, "r");
  add(OpType::kMaxPool, {"r"}, "p", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  add(OpType::kFlatten, {"p"}, "f");
  add(OpType::kGemm, {"f", "fc_w", "fc_b"}, "logits", {{"transB", int64_t{1}}});
  g.outputs = {"logits"};

  TrainGraph tg(g, 4, 1);
  const auto logits = tg.forward(x, 4, Mode::kTrain);
  std::vector<float> dlogits(40);
  const double loss = cross_entropy(logits, y, 10, 0.1f, dlogits);
  tg.backward(dlogits);
  EXPECT_NEAR(loss, torch["loss"].get<double>(), 1e-5);
  auto expect_close = [&](const ParamRef& p) {
    const auto ref = torch[p.name].get<std::vector<float>>();
    ASSERT_EQ(ref.size(), p.value.size()) << p.name;
    const std::span<const float> ours = p.grad.empty() ? std::span<const float>(p.value) : std::span<const float>(p.grad);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(ours[i], ref[i], 1e-4) << p.name << "[" << i << "]";
  };
  EXPECT_EQ(tg.parameters().size(), 6u);
  for (const ParamRef& p : tg.parameters()) expect_close(p);
  EXPECT_EQ(tg.state().size(), 2u);
  for (const ParamRef& p : tg.state()) expect_close(p);  // running statistics after one training step
}

}  // namespace
}  // namespace tinyopt::train
