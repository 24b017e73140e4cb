// First-order Taylor importance (Molchanov et al. 2017/2019): the loss change from zeroing a channel is
// estimated by |sum over the channel's output of activation x gradient|, summed over a few batches. At a
// BatchNormalization output a = gamma * x_hat + beta, so sum(a * dL/da) = gamma * dL/dgamma + beta * dL/dbeta;
// at a Conv/Gemm output sum(a * dL/da) = sum over its filter of w * dL/dw + b * dL/db. Both come from the
// training engine's parameter gradients, so no activation hooks are needed.
#include <cmath>

#include "passes/prune/prune_internal.h"
#include "tinyopt/core/error.h"
#include "tinyopt/train/loss.h"
#include "tinyopt/train/train_graph.h"

namespace tinyopt::prune::detail {
namespace {

const train::ParamRef* find_param(const std::vector<train::ParamRef>& params, const std::string& name) {
  for (const train::ParamRef& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

// sum(value * grad) per slice along axis 0 (or axis 1 for a [K, N] Gemm weight), added to s.
void add_products(const train::ParamRef& p, bool columns, std::vector<double>& s) {
  const int64_t n = static_cast<int64_t>(s.size());
  const int64_t count = static_cast<int64_t>(p.value.size());
  const int64_t per = count / n;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t o = columns ? i % n : i / per;
    s[static_cast<size_t>(o)] += static_cast<double>(p.value[static_cast<size_t>(i)]) * p.grad[static_cast<size_t>(i)];
  }
}

}  // namespace

std::map<std::string, std::vector<double>> taylor_node_scores(const Graph& graph, const TaylorOptions& o) {
  if (o.data == nullptr || o.data->size() == 0)
    throw_usage("the taylor criterion needs labelled training data (--data)");
  const int64_t batch = std::min<int64_t>(o.batch, o.data->size());
  train::TrainGraph tg(graph, batch, o.threads > 0 ? o.threads : 1);
  const int64_t classes = tg.output_numel();
  std::map<std::string, std::vector<double>> scores;
  BatchIterator it(*o.data, batch, true, o.seed);
  Tensor xb;
  std::vector<int32_t> yb;
  std::vector<float> grad;
  for (int step = 0; step < o.batches && it.next(xb, yb); ++step) {
    const auto b = static_cast<int64_t>(yb.size());
    const auto logits = tg.forward(xb.span<float>(), b, train::Mode::kTrain, o.seed + static_cast<uint64_t>(step));
    grad.assign(static_cast<size_t>(b * classes), 0.0f);
    train::cross_entropy(logits, yb, classes, 0.0f, grad);
    tg.backward(grad);
    for (const Node& n : graph.nodes) {
      const bool bn = n.op == OpType::kBatchNormalization;
      if (!bn && n.op != OpType::kConv && n.op != OpType::kGemm) continue;
      const train::ParamRef* w = find_param(tg.parameters(), n.inputs[1]);
      if (w == nullptr) continue;
      const bool columns = n.op == OpType::kGemm && n.attr_int("transB", 0) == 0;
      const int64_t channels = bn ? w->shape[0] : (columns ? w->shape[1] : w->shape[0]);
      std::vector<double> s(static_cast<size_t>(channels), 0.0);
      add_products(*w, columns, s);
      const std::string& b_name = n.inputs.size() > 2 ? n.inputs[2] : std::string();
      if (const train::ParamRef* bias = b_name.empty() ? nullptr : find_param(tg.parameters(), b_name))
        if (static_cast<int64_t>(bias->value.size()) == channels) add_products(*bias, false, s);
      std::vector<double>& total = scores[n.name];
      total.resize(s.size(), 0.0);
      for (size_t c = 0; c < s.size(); ++c) total[c] += std::abs(s[c]);
    }
  }
  return scores;
}

}  // namespace tinyopt::prune::detail
