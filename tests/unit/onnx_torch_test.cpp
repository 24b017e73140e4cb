// Import of real PyTorch exports: a small CNN (conv+bn+relu, maxpool, bn, depthwise conv, relu6, gemm,
// softmax) exported by Debian's python3-torch at opsets 13 and 17. The test asserts that import succeeds,
// that our node list matches the file's (Constant nodes aside), that the dynamic batch survives, and
// that the FloatExecutor reproduces PyTorch's outputs to 1e-4, also after an export/import round trip.
// Skipped when /usr/bin/python3 cannot import torch and onnx.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "support/test_support.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt {
namespace {

// Writes, per opset, DIR/opsetN/model.onnx, input.bin / output.bin (raw little-endian float32, input
// (2,1,28,28), output (2,10)) and ops.txt (the file's op types in node order, via the onnx module).
constexpr const char* kExportScript = R"PY(
import sys, torch, torch.nn as nn, onnx
out_dir = sys.argv[1]
torch.manual_seed(0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)          # folded into conv by the exporter
        self.pool = nn.MaxPool2d(2)
        self.bn2 = nn.BatchNorm2d(8)          # after a pool: stays a BatchNormalization node
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = nn.Linear(8 * 14 * 14, 10)
    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv(x))))
        x = nn.functional.relu6(self.dw(self.bn2(x)))
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)

m = Net().eval()
with torch.no_grad():
    for bn in (m.bn1, m.bn2):
        bn.running_mean.uniform_(-0.5, 0.5); bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5); bn.bias.uniform_(-0.2, 0.2)
x = torch.rand(2, 1, 28, 28)
y = m(x).detach()
for opset in (13, 17):
    d = f"{out_dir}/opset{opset}"
    import os; os.makedirs(d, exist_ok=True)
    torch.onnx.export(m, x, f"{d}/model.onnx", opset_version=opset, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    x.numpy().astype("<f4").tofile(f"{d}/input.bin")
    y.numpy().astype("<f4").tofile(f"{d}/output.bin")
    ops = [n.op_type for n in onnx.load(f"{d}/model.onnx").graph.node]
    open(f"{d}/ops.txt", "w").write("\n".join(ops))
)PY";

class OnnxTorch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::python_has("torch,onnx")) return;
    dir_ = new testing::TempDir();
    testing::write_file(dir_->file("export.py"), kExportScript);
    export_result_ = testing::run_command("/usr/bin/python3 '" + dir_->file("export.py") + "' '" +
                                          dir_->path().string() + "'");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and onnx (python3-torch)";
    ASSERT_EQ(export_result_.exit_code, 0) << export_result_.err;
  }
  static std::string opset_dir(int opset) { return dir_->file("opset" + std::to_string(opset)); }

  static testing::TempDir* dir_;
  static testing::CommandResult export_result_;
};
testing::TempDir* OnnxTorch::dir_ = nullptr;
testing::CommandResult OnnxTorch::export_result_;

std::vector<std::string> file_ops(const std::string& dir) {
  std::ifstream in(dir + "/ops.txt");
  std::vector<std::string> ops;
  for (std::string line; std::getline(in, line);) {
    if (line != "Constant") ops.push_back(line);
  }
  return ops;
}

void check_import(int opset, const std::string& dir) {
  SCOPED_TRACE("opset " + std::to_string(opset));
  const Graph g = load_onnx(dir + "/model.onnx");
  std::vector<std::string> ops;
  int depthwise = 0;
  for (const Node& n : g.nodes) {
    ops.emplace_back(op_name(n.op));
    if (n.op == OpType::kConv && n.attr_int("group", 1) == 8) ++depthwise;
  }
  EXPECT_EQ(ops, file_ops(dir));
  for (const char* op :
       {"Conv", "Relu", "MaxPool", "BatchNormalization", "Clip", "Flatten", "Gemm", "Softmax"}) {
    EXPECT_NE(std::find(ops.begin(), ops.end(), op), ops.end()) << op;
  }
  EXPECT_EQ(depthwise, 1);
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.value(g.inputs[0]).shape, (Shape{-1, 1, 28, 28}));
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{-1, 10}));
}

Tensor read_f32(const std::string& path, const Shape& shape) {
  const std::string bytes = testing::read_file(path);
  Tensor t(DType::kF32, shape);
  EXPECT_EQ(bytes.size(), t.nbytes()) << path;
  std::memcpy(t.bytes(), bytes.data(), std::min(bytes.size(), t.nbytes()));
  return t;
}

void check_outputs_match_torch(const Graph& g, const std::string& dir) {
  const Tensor x = read_f32(dir + "/input.bin", {2, 1, 28, 28});
  const Tensor want = read_f32(dir + "/output.bin", {2, 10});
  FloatExecutor executor(g);
  const std::vector<Tensor> got = executor.run({x});
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) {
    EXPECT_NEAR(got[0].data<float>()[i], want.data<float>()[i], 1e-4) << "output element " << i;
  }
}

TEST_F(OnnxTorch, ImportsOpset13) { check_import(13, opset_dir(13)); }
TEST_F(OnnxTorch, ImportsOpset17) { check_import(17, opset_dir(17)); }

TEST_F(OnnxTorch, OutputsMatchTorch) {
  for (int opset : {13, 17}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    const Graph g = load_onnx(opset_dir(opset) + "/model.onnx");
    check_outputs_match_torch(g, opset_dir(opset));
    check_outputs_match_torch(parse_onnx(serialize_onnx(g), "round_trip.onnx"), opset_dir(opset));
  }
}

}  // namespace
}  // namespace tinyopt
