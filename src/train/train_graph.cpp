// TrainGraph: builds the tape (slots + ops) from a Graph, then runs it forward and backward.
// Construction, in steps:
//   1. Copy the graph, mark the input's batch unknown, infer shapes at max_batch and max_batch + 1: a value
//      whose shape changes only on axis 0 (by the batch) is batched, one that does not change is constant,
//      anything else breaks the batch-on-axis-0 rule and is refused naming its producer.
//   2. One slot per float value: initializers copied in (learned weights get a gradient buffer), batched
//      values sized for max_batch. Non-float inputs (Reshape's shape) get no slot.
//   3. One op per node from the rule table (op_rules.cpp); a trailing Softmax is skipped so the output is
//      the logits. A batched value needs a gradient when any input of its producer has one.
//   4. setup() each op: geometry checks and scratch allocation.
// Fake quantization (QAT): a value named in the FakeQuantMap gets a second slot, written by a fake-quant op
// that runs right after the value is produced (before its first reader, for weights and the graph input);
// every reader binds to that slot. The scale is a parameter slot of its own.
#include "tinyopt/train/train_graph.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"
#include "train/ops/ops.h"

namespace tinyopt::train {

using detail::Slot;

// Profiling clock: CPU time of the calling thread, so timings hold on a busy machine (profile with one
// thread: OpenMP workers' time is not counted).
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

namespace {

Graph with_batch(const Graph& graph, int64_t batch) {
  Graph g = graph;
  for (const std::string& name : g.inputs) {
    Value& v = g.value(name);
    if (!v.shape.empty()) v.shape[0] = -1;
  }
  infer_shapes(g, batch);
  return g;
}

bool contains(const std::vector<int>& v, size_t i) {
  return std::find(v.begin(), v.end(), static_cast<int>(i)) != v.end();
}

}  // namespace

TrainGraph::TrainGraph(const Graph& graph, int64_t max_batch, int threads, bool input_gradient,
                       const FakeQuantMap& fake_quant)
    : source_(graph), max_batch_(max_batch), threads_(std::max(1, threads)), fake_quant_(fake_quant) {
  if (max_batch < 1) throw_usage("training batch size must be at least 1");
  if (graph.inputs.size() != 1) throw_bad_input("training needs a graph with exactly one input, this one has " + std::to_string(graph.inputs.size()));
  if (graph.outputs.empty()) throw_bad_input("training needs a graph with an output");
  if (graph.value(graph.inputs[0]).dtype != DType::kF32) throw_bad_input("training needs a float input");

  // Step 1.
  const Graph g = with_batch(graph, max_batch);
  const Graph g2 = with_batch(graph, max_batch + 1);
  auto is_batched = [&](const std::string& name) {
    const Shape& a = g.value(name).shape;
    const Shape& b = g2.value(name).shape;
    if (a == b) return false;
    const bool axis0 = a.size() == b.size() && !a.empty() && a[0] == max_batch && b[0] == max_batch + 1 &&
                       std::equal(a.begin() + 1, a.end(), b.begin() + 1);
    if (!axis0) {
      const int p = g.producer(name);
      const std::string who = p >= 0 ? g.nodes[static_cast<size_t>(p)].describe() + ": " : "";
      throw_bad_input(who + "value '" + name + "' has shape " + shape_str(a) +
                      "; training needs the batch on axis 0 of every activation");
    }
    return true;
  };

  // Step 3 prelude: which node produces the logits (a trailing Softmax is skipped).
  std::string output_name = graph.outputs[0];
  size_t node_count = g.nodes.size();
  if (const int p = g.producer(output_name); p >= 0 && g.nodes[static_cast<size_t>(p)].op == OpType::kSoftmax &&
                                             static_cast<size_t>(p) + 1 == g.nodes.size()) {
    output_name = g.nodes[static_cast<size_t>(p)].inputs.at(0);
    node_count = static_cast<size_t>(p);
  }

  // Step 2.
  std::map<std::string, Slot*> by_name;
  auto slot_for = [&](const std::string& name) -> Slot* {
    if (auto it = by_name.find(name); it != by_name.end()) return it->second;
    const Value& v = g.value(name);
    if (v.dtype != DType::kF32) return nullptr;
    auto s = std::make_unique<Slot>();
    s->name = name;
    s->shape = v.shape;
    if (v.data) {
      s->sample_numel = v.data->numel();
      s->data.assign(v.data->data<float>(), v.data->data<float>() + v.data->numel());
    } else {
      s->batched = is_batched(name);
      if (!s->batched && name == graph.inputs[0]) throw_bad_input("graph input '" + name + "' has no batch axis");
      const int64_t total = shape_numel(v.shape);
      s->sample_numel = s->batched ? total / max_batch : total;
      s->data.assign(static_cast<size_t>(total), 0.0f);
    }
    Slot* raw = s.get();
    slots_.push_back(std::move(s));
    by_name[name] = raw;
    return raw;
  };
  // Fake quantization: the slot readers of `name` bind to (raw itself when `name` is not fake-quantized).
  std::map<std::string, Slot*> quantized;
  std::map<std::string, Slot*> scale_slots;  // value -> the scale slot its op reads (own or tied)
  auto fake_quantized = [&](const std::string& name, Slot* raw) -> Slot* {
    const auto spec = fake_quant.find(name);
    if (spec == fake_quant.end() || raw == nullptr) return raw;
    if (auto it = quantized.find(name); it != quantized.end()) return it->second;
    FakeQuant fq = spec->second;
    Slot* scale = nullptr;
    if (!fq.tied_to.empty()) {
      const auto tied = fake_quant.find(fq.tied_to);
      if (tied == fake_quant.end() || quantized.count(fq.tied_to) == 0)
        throw_bad_input("fake quantization of '" + name + "' is tied to '" + fq.tied_to +
                        "', which is not fake-quantized before it");
      scale = scale_slots.at(fq.tied_to);
      fq.scale = tied->second.scale;
      fq.zero_point = tied->second.zero_point;
    } else {
      auto owned = std::make_unique<Slot>();
      owned->name = fake_quant_scale_name(name);
      owned->shape = {static_cast<int64_t>(fq.scale.size())};
      owned->sample_numel = owned->shape[0];
      owned->data = fq.scale;
      if (fq.learn_scale) {
        owned->grad.assign(owned->data.size(), 0.0f);
        params_.push_back({owned->name, owned->shape, owned->data, owned->grad, false});
      }
      scale = owned.get();
      slots_.push_back(std::move(owned));
    }
    scale_slots[name] = scale;
    fake_quant_scales_[name] = scale->data;
    auto out = std::make_unique<Slot>();
    out->name = name + ":fake_quant";
    out->shape = raw->shape;
    out->batched = raw->batched;
    out->sample_numel = raw->sample_numel;
    out->data.assign(raw->data.size(), 0.0f);
    if (raw->has_grad() || scale->has_grad()) {
      out->grad.assign(out->data.size(), 0.0f);
      if (out->batched) activations_.push_back(out.get());
    }
    auto op = with_error_context("fake quantization of '" + name + "'", [&] { return detail::make_fake_quant(name, fq); });
    op->bind({raw, scale}, {out.get()});
    ops_.push_back(std::move(op));
    quantized[name] = out.get();
    slots_.push_back(std::move(out));
    return quantized[name];
  };

  input_ = slot_for(graph.inputs[0]);
  if (input_gradient) {
    input_->grad.assign(input_->data.size(), 0.0f);
    activations_.push_back(input_);
  }
  fake_quantized(graph.inputs[0], input_);

  for (size_t ni = 0; ni < node_count; ++ni) {
    const Node& node = g.nodes[ni];
    const detail::OpRule& rule = detail::op_rule(node.op);
    if (rule.make == nullptr)
      throw_bad_input(node.describe() + ": training does not support " + std::string(op_name(node.op)) + " (no gradient rule)");
    std::vector<Slot*> ins, outs;
    bool any_grad = false;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i].empty()) {
        ins.push_back(nullptr);
        continue;
      }
      Slot* s = slot_for(node.inputs[i]);
      const bool initializer = g.value(node.inputs[i]).is_initializer();
      if (s != nullptr && initializer && contains(rule.trainable_inputs, i) && !s->has_grad()) {
        s->grad.assign(s->data.size(), 0.0f);
        params_.push_back({s->name, s->shape, s->data, s->grad});
      }
      if (s != nullptr && initializer && contains(rule.state_inputs, i) &&
          std::none_of(state_.begin(), state_.end(), [&](const ParamRef& r) { return r.name == s->name; }))
        state_.push_back({s->name, s->shape, s->data, {}});
      s = fake_quantized(node.inputs[i], s);
      any_grad = any_grad || (s != nullptr && s->has_grad());
      ins.push_back(s);
    }
    for (const std::string& name : node.outputs) {
      Slot* s = name.empty() ? nullptr : slot_for(name);
      if (s != nullptr && any_grad && s->batched) {
        s->grad.assign(s->data.size(), 0.0f);
        activations_.push_back(s);
      }
      outs.push_back(s);
    }
    auto op = with_error_context(node.describe(), [&] { return rule.make(g, node); });
    const std::vector<Slot*> produced = outs;
    op->bind(std::move(ins), std::move(outs));
    ops_.push_back(std::move(op));
    for (size_t k = 0; k < node.outputs.size(); ++k)
      if (!node.outputs[k].empty()) fake_quantized(node.outputs[k], produced[k]);
  }
  for (const auto& [name, spec] : fake_quant)
    if (quantized.count(name) == 0)
      throw_bad_input("cannot fake-quantize '" + name + "': it is not a float value read or produced by the trained nodes");
  output_ = fake_quantized(output_name, slot_for(output_name));
  if (!output_->batched) throw_bad_input("graph output '" + output_name + "' has no batch axis");

  // Step 4.
  for (auto& op : ops_) op->setup(threads_);

  // Step 5: who writes each activation gradient first during backward (the last reader in forward
  // order). That op stores the gradient when it can, else the tape zeroes the buffer just before it.
  zero_before_.resize(ops_.size());
  std::set<std::string> param_names;  // zeroed by backward() itself, always accumulated
  for (const ParamRef& p : params_) param_names.insert(p.name);
  std::vector<const Slot*> written = {output_};
  for (size_t i = ops_.size(); i-- > 0;) {
    const auto& inputs = ops_[i]->inputs();
    for (size_t k = 0; k < inputs.size(); ++k) {
      Slot* s = inputs[k];
      // Gradients of batched activations and of fake-quantized weights (computed, not batched).
      if (s == nullptr || !s->has_grad() || param_names.count(s->name) != 0) continue;
      if (std::find(written.begin(), written.end(), s) != written.end()) continue;
      written.push_back(s);
      const bool read_once = std::count(inputs.begin(), inputs.end(), s) == 1;
      if (read_once && ops_[i]->supports_overwrite(k)) ops_[i]->set_overwrite(k);
      else zero_before_[i].push_back(s);
    }
  }
}

TrainGraph::~TrainGraph() = default;
TrainGraph::TrainGraph(TrainGraph&&) noexcept = default;
TrainGraph& TrainGraph::operator=(TrainGraph&&) noexcept = default;

Shape TrainGraph::sample_input_shape() const { return Shape(input_->shape.begin() + 1, input_->shape.end()); }
int64_t TrainGraph::input_numel() const { return input_->sample_numel; }
int64_t TrainGraph::output_numel() const { return output_->sample_numel; }

std::span<const float> TrainGraph::forward(std::span<const float> input, int64_t batch, Mode mode, uint64_t seed) {
  if (batch < 1 || batch > max_batch_)
    throw_internal("batch " + std::to_string(batch) + " outside [1, " + std::to_string(max_batch_) + "]");
  if (static_cast<int64_t>(input.size()) != batch * input_->sample_numel)
    throw_internal("forward input has " + std::to_string(input.size()) + " floats, expected " +
                   std::to_string(batch * input_->sample_numel));
  std::memcpy(input_->data.data(), input.data(), input.size_bytes());
  batch_ = batch;
  last_training_ = mode == Mode::kTrain;
  last_seed_ = seed;
  const detail::RunContext ctx{batch, last_training_, threads_, seed};
  for (size_t i = 0; i < ops_.size(); ++i) {
    const double t0 = profiling_ ? thread_seconds() : 0.0;
    ops_[i]->forward(ctx);
    if (profiling_) timings_[i].forward_s += thread_seconds() - t0;
  }
  return {output_->data.data(), static_cast<size_t>(output_->numel(batch))};
}

void TrainGraph::backward(std::span<const float> grad_output) {
  if (batch_ == 0) throw_internal("backward() before forward()");
  if (static_cast<int64_t>(grad_output.size()) != output_->numel(batch_))
    throw_internal("backward gradient has " + std::to_string(grad_output.size()) + " floats, expected " +
                   std::to_string(output_->numel(batch_)));
  if (!output_->has_grad()) return;  // nothing learnable upstream
  for (const ParamRef& p : params_) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
  std::memcpy(output_->grad.data(), grad_output.data(), grad_output.size_bytes());
  const detail::RunContext ctx{batch_, last_training_, threads_, last_seed_};
  for (size_t i = ops_.size(); i-- > 0;) {
    if (!ops_[i]->needs_backward()) continue;
    const double t0 = profiling_ ? thread_seconds() : 0.0;
    for (Slot* s : zero_before_[i]) std::fill_n(s->grad.begin(), s->numel(batch_), 0.0f);
    ops_[i]->backward(ctx);
    if (profiling_) timings_[i].backward_s += thread_seconds() - t0;
  }
}

void TrainGraph::set_profiling(bool on) {
  profiling_ = on;
  timings_.clear();
  if (on)
    for (const auto& op : ops_) timings_.push_back({op->node().name, op->node().op, 0.0, 0.0});
}

std::span<const float> TrainGraph::input_gradient() const {
  if (!input_->has_grad()) return {};
  return {input_->grad.data(), static_cast<size_t>(input_->numel(batch_))};
}

Graph TrainGraph::to_graph() const {
  Graph g = source_;
  auto store = [&](const ParamRef& p) {
    const Value& v = g.value(p.name);
    g.add_initializer(p.name, Tensor::from_f32(v.data->shape(), p.value));
  };
  for (const ParamRef& p : params_)
    if (g.has_value(p.name)) store(p);  // quantization scales are not graph values
  for (const ParamRef& p : state_) store(p);
  return g;
}

FakeQuantMap TrainGraph::fake_quant() const {
  FakeQuantMap out = fake_quant_;
  for (auto& [name, spec] : out) {
    const std::span<float> s = fake_quant_scales_.at(name);
    spec.scale.assign(s.begin(), s.end());
  }
  return out;
}

}  // namespace tinyopt::train
