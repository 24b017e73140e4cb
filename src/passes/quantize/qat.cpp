// Quantization-aware training: the fake-quantization map a QuantPlan implies, the training run, and the
// plan with the learned scales (see qat.h for the flow).
#include "tinyopt/passes/qat.h"

#include "tinyopt/core/error.h"
#include "tinyopt/passes/fold_batch_norm.h"

namespace tinyopt::quant {
namespace {

train::FakeQuant activation_fake_quant(const std::string& value, const TensorQuant& q) {
  if (q.scale.size() != 1 || q.zero_point.size() > 1)
    throw_bad_input("quantization plan: activation '" + value + "' needs one scale and at most one zero point, has " +
                    std::to_string(q.scale.size()) + " and " + std::to_string(q.zero_point.size()));
  train::FakeQuant fq;
  fq.scale = q.scale;
  fq.zero_point = q.zero_point;
  if (q.bits == 8) {
    fq.qmin = -128;
    fq.qmax = 127;
  } else if (q.bits == 16) {
    fq.qmin = -32768;
    fq.qmax = 32767;
    if (!q.zero_point.empty() && q.zero_point[0] != 0)
      throw_bad_input("quantization plan: int16 activation '" + value + "' must be symmetric (zero point 0)");
  } else {
    throw_bad_input("quantization plan: activation '" + value + "' has " + std::to_string(q.bits) +
                    " bits; QAT supports 8 and 16");
  }
  return fq;
}

train::FakeQuant weight_fake_quant(const std::string& weight, const TensorQuant& q) {
  train::FakeQuant fq;
  if (q.bits == 8) fq.qmax = 127;
  else if (q.bits == 4) fq.qmax = 7;
  else
    throw_bad_input("quantization plan: weight '" + weight + "' has " + std::to_string(q.bits) +
                    " bits; QAT supports 8 and 4");
  fq.qmin = -fq.qmax;
  fq.scale = q.scale;
  for (int32_t z : q.zero_point)
    if (z != 0) throw_bad_input("quantization plan: weight '" + weight + "' must be symmetric (zero points 0)");
  fq.axis = q.axis;
  fq.round_half_away = true;  // as quantize_weight stores them
  return fq;
}

}  // namespace

train::TrainConfig default_qat_config() {
  train::TrainConfig c;
  c.epochs = 2;
  c.batch = 64;
  c.optimizer = "adam";
  c.lr = 1e-3f;
  c.schedule = "cosine";
  c.weight_decay = 0.0f;
  c.augment = false;
  return c;
}

train::FakeQuantMap fake_quant_map(const Graph& folded, const QuantPlan& plan) {
  const QuantSites sites = find_quant_sites(folded);
  train::FakeQuantMap map;
  for (const ActivationSite& a : sites.activations) {
    if (a.kind == SiteKind::kFixed) continue;  // Softmax output: fixed params, not trained (qat.h)
    if (a.kind == SiteKind::kSameAsInput) {
      train::FakeQuant fq;
      fq.tied_to = a.source;
      map[a.value] = fq;
      continue;
    }
    const auto it = plan.activations.find(a.value);
    if (it == plan.activations.end())
      throw_bad_input("quantization plan: no parameters for activation '" + a.value + "'" +
                      (a.node.empty() ? std::string(" (graph input)") : " (output of node '" + a.node + "')"));
    map[a.value] = activation_fake_quant(a.value, it->second);
  }
  for (const QuantLayer& l : sites.layers) {
    const auto it = plan.weights.find(l.weight);
    if (it == plan.weights.end())
      throw_bad_input("quantization plan: no parameters for weight '" + l.weight + "' of node '" + l.node + "'");
    map[l.weight] = weight_fake_quant(l.weight, it->second);
  }
  return map;
}

QuantPlan plan_with_learned_scales(const QuantPlan& plan, const train::FakeQuantMap& learned) {
  QuantPlan out = plan;
  for (auto* group : {&out.activations, &out.weights})
    for (auto& [name, q] : *group)
      if (const auto it = learned.find(name); it != learned.end()) {
        if (it->second.scale.size() != q.scale.size())
          throw_internal("learned scales of '" + name + "' do not match the plan");
        q.scale = it->second.scale;
      }
  return out;
}

QatResult quantization_aware_training(const Graph& model, const QuantPlan& plan, const Dataset& train_data,
                                      const Dataset& test_data, const train::TrainConfig& config,
                                      const train::ProgressFn& progress) {
  const Graph folded = fold_batch_norm(model);
  const train::FakeQuantMap fake_quant = fake_quant_map(folded, plan);
  train::TrainConfig c = config;
  c.fake_quant = &fake_quant;
  train::TrainResult trained = train::train(folded, train_data, test_data, c, progress);
  QatResult r;
  r.float_model = std::move(trained.model);
  r.plan = plan_with_learned_scales(plan, trained.fake_quant);
  r.qdq = apply_quant_plan(r.float_model, r.plan);
  r.fake_quant_accuracy = trained.test_accuracy;
  r.epochs_run = trained.epochs_run;
  r.final_loss = trained.final_loss;
  return r;
}

}  // namespace tinyopt::quant
