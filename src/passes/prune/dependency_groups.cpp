// Channel dependency analysis (prune.h, step 1): walks a float graph in topological order, gives every
// activation's axis-1 entries an element id, ties elements that must be removed together in a union-find,
// and groups the result. It does not score or remove anything.
//
// Algorithm:
//   1. Infer shapes at batch 1 on a copy (the walk needs channel counts and spatial sizes).
//   2. Graph inputs and Conv/Gemm outputs open a ChannelSpace (fresh elements). Every other op maps its
//      inputs' elements to its outputs (pass through, concatenate, permute, repeat) or ties them (union).
//   3. An op not understood here "pins" the elements of its inputs and gives its outputs a pinned space;
//      graph outputs pin their elements. Pins carry a reason naming the node and op.
//   4. Spaces joined by any tie form one DependencyGroup; its channels are the union-find classes.
#include <algorithm>
#include <numeric>
#include <set>

#include "passes/prune/prune_internal.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/shape_inference.h"
#include "tinyopt/passes/prune.h"

namespace tinyopt::prune {
namespace {

class UnionFind {
 public:
  int64_t add(int64_t n) {
    const int64_t first = static_cast<int64_t>(parent_.size());
    for (int64_t i = 0; i < n; ++i) parent_.push_back(first + i);
    return first;
  }
  int64_t find(int64_t x) {
    while (parent_[static_cast<size_t>(x)] != x) {
      parent_[static_cast<size_t>(x)] = parent_[static_cast<size_t>(parent_[static_cast<size_t>(x)])];
      x = parent_[static_cast<size_t>(x)];
    }
    return x;
  }
  void unite(int64_t a, int64_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
  }
  int64_t size() const { return static_cast<int64_t>(parent_.size()); }

 private:
  std::vector<int64_t> parent_;
};

using Elements = std::vector<int64_t>;

class Analyzer {
 public:
  explicit Analyzer(const Graph& graph) : graph_(graph), shaped_(graph) { infer_shapes(shaped_, 1); }

  ChannelAnalysis run() {
    for (const std::string& in : graph_.inputs) {
      const Shape& s = shaped_.value(in).shape;
      if (s.size() < 2) continue;
      const Elements e = open_space(in, OpType::kIdentity, s[1]);
      pin(e, "graph input '" + in + "'");
      set(in, e);
    }
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (handled_.count(i)) continue;
      visit(i);
    }
    for (const std::string& out : graph_.outputs) {
      if (const Elements* e = elements(out)) pin(*e, "graph output '" + out + "'");
    }
    return finish();
  }

 private:
  const Elements* elements(const std::string& value) const {
    auto it = result_.value_elements.find(value);
    return it == result_.value_elements.end() ? nullptr : &it->second;
  }
  const Shape& shape(const std::string& value) const { return shaped_.value(value).shape; }

  Elements open_space(const std::string& node, OpType op, int64_t width) {
    ChannelSpace s{node, op, width, uf_.add(width)};
    result_.spaces.push_back(s);
    Elements e(static_cast<size_t>(width));
    std::iota(e.begin(), e.end(), s.first_element);
    return e;
  }
  void pin(const Elements& e, const std::string& reason) {
    for (int64_t x : e) pins_.emplace_back(x, reason);
  }
  void touch(const Node& n, const std::string& role, const Elements& e) {
    if (!e.empty()) touches_.push_back({n.describe().substr(5) + (role.empty() ? "" : " " + role), e.front()});
  }
  void set(const std::string& value, Elements e) { result_.value_elements[value] = std::move(e); }
  bool single_use(const std::string& name) const { return name.empty() || graph_.consumers(name).size() <= 1; }

  // The op is not understood: its channels cannot be removed.
  void unknown(const Node& n, const std::string& why) {
    const std::string reason = n.describe() + ": " + why;
    for (const std::string& in : n.inputs)
      if (const Elements* e = elements(in)) pin(*e, reason);
    for (const std::string& out : n.outputs) {
      if (out.empty() || !shaped_.has_value(out)) continue;
      const Shape& s = shape(out);
      if (s.size() < 2 || s[1] <= 0) continue;
      Elements e = open_space(n.name, n.op, s[1]);
      pin(e, reason);
      set(out, std::move(e));
    }
  }

  void pass_through(const Node& n) {
    if (const Elements* e = elements(n.inputs[0])) {
      if (n.op == OpType::kBatchNormalization) touch(n, "", *e);  // members list what gets sliced
      set(n.outputs[0], *e);
    }
  }

  void visit(size_t index) {
    const Node& n = graph_.nodes[index];
    switch (n.op) {
      case OpType::kConv: return conv(n);
      case OpType::kGemm: return gemm(n);
      case OpType::kBatchNormalization:
        if (!all_single_use(n, 1)) return unknown(n, "its parameters are shared with another node");
        return pass_through(n);
      case OpType::kRelu: case OpType::kClip: case OpType::kLeakyRelu: case OpType::kSigmoid:
      case OpType::kHardSigmoid: case OpType::kHardSwish: case OpType::kTanh: case OpType::kIdentity:
      case OpType::kAveragePool: case OpType::kGlobalAveragePool:
        return pass_through(n);
      case OpType::kMaxPool: case OpType::kDropout:
        if (n.outputs.size() > 1 && !n.outputs[1].empty()) return unknown(n, "its second output is not supported");
        return pass_through(n);
      case OpType::kAdd: case OpType::kSub: case OpType::kMul: case OpType::kDiv: return elementwise(n);
      case OpType::kConcat: return concat(n);
      case OpType::kFlatten: return flatten(n);
      case OpType::kReshape: return reshape(index);
      case OpType::kSqueeze: case OpType::kUnsqueeze: case OpType::kReduceMean: return axes_op(n);
      case OpType::kPad: return pad(n);
      default:
        return unknown(n, "the pruning analysis does not know how channels flow through " +
                              std::string(op_name(n.op)));
    }
  }

  bool all_single_use(const Node& n, size_t from) const {
    for (size_t i = from; i < n.inputs.size(); ++i) {
      const std::string& in = n.inputs[i];
      if (in.empty()) continue;
      if (!graph_.value(in).is_initializer()) return false;
      if (!single_use(in)) return false;
    }
    return true;
  }

  void conv(const Node& n) {
    const Elements* x = elements(n.inputs[0]);
    if (!x || shape(n.inputs[0]).size() != 4 || !all_single_use(n, 1))
      return unknown(n, "only a 4-D Conv with its own constant weights can be pruned");
    const Shape& w = shape(n.inputs[1]);
    const int64_t groups = n.attr_int("group", 1);
    const int64_t cin = static_cast<int64_t>(x->size()), cout = w[0];
    touch(n, "input", *x);
    if (groups == 1) {
      Elements out = open_space(n.name, n.op, cout);
      touch(n, "output", out);
      set(n.outputs[0], std::move(out));
    } else if (groups == cin && cout == cin) {  // depthwise: output channel c reads input channel c only
      set(n.outputs[0], *x);
    } else {  // grouped: channel j of every group is one channel, so groups stay equal in size
      const int64_t cin_g = cin / groups, cout_g = cout / groups;
      for (int64_t g = 1; g < groups; ++g)
        for (int64_t j = 0; j < cin_g; ++j) uf_.unite((*x)[static_cast<size_t>(j)],
                                                      (*x)[static_cast<size_t>(g * cin_g + j)]);
      Elements out = open_space(n.name, n.op, cout);
      for (int64_t g = 1; g < groups; ++g)
        for (int64_t j = 0; j < cout_g; ++j) uf_.unite(out[static_cast<size_t>(j)], out[static_cast<size_t>(g * cout_g + j)]);
      touch(n, "output", out);
      set(n.outputs[0], std::move(out));
    }
  }

  void gemm(const Node& n) {
    const Elements* a = elements(n.inputs[0]);
    if (!a || n.attr_int("transA", 0) != 0 || !all_single_use(n, 1) || shape(n.inputs[0]).size() != 2)
      return unknown(n, "only a Gemm of a 2-D activation (transA = 0) with its own constant weights can be pruned");
    touch(n, "input", *a);
    Elements out = open_space(n.name, n.op, shape(n.outputs[0])[1]);
    touch(n, "output", out);
    set(n.outputs[0], std::move(out));
  }

  void elementwise(const Node& n) {
    const Shape& out = shape(n.outputs[0]);
    if (out.size() < 2) return unknown(n, "a rank < 2 result has no channel axis");
    const Elements* first = nullptr;
    for (const std::string& in : n.inputs) {
      const Elements* e = elements(in);
      const Shape& s = shape(in);
      // An input broadcast along the channel axis (size 1 there, or a lower-rank constant) is fine.
      const size_t offset = out.size() - s.size();
      const bool channel_broadcast = s.size() < out.size() - 1 || (offset <= 1 && s[1 - offset] == 1);
      if (e && static_cast<int64_t>(e->size()) == out[1] && s.size() == out.size()) {
        if (first)
          for (size_t c = 0; c < e->size(); ++c) uf_.unite((*first)[c], (*e)[c]);
        else
          first = e;
      } else if (!channel_broadcast) {
        return unknown(n, "an input varies along the channel axis in a way the analysis cannot slice");
      } else if (e) {
        pin(*e, n.describe() + ": its input is broadcast across channels");
      }
    }
    if (!first) return unknown(n, "no input carries the channels");
    touch(n, "", *first);
    set(n.outputs[0], *first);
  }

  void concat(const Node& n) {
    const Shape& out = shape(n.outputs[0]);
    int64_t axis = n.attr_int("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(out.size());
    if (axis != 1) return unknown(n, "Concat along an axis other than channels");
    Elements all;
    for (const std::string& in : n.inputs) {
      const Elements* e = elements(in);
      if (!e) return unknown(n, "an input has no tracked channels");
      all.insert(all.end(), e->begin(), e->end());
    }
    touch(n, "", all);
    set(n.outputs[0], std::move(all));
  }

  // [N, C, H, W] -> [N, C*H*W]: channel c becomes the FC input columns c*H*W .. (c+1)*H*W - 1.
  void spread(const Node& n, const Elements& x, const Shape& in_shape) {
    int64_t block = 1;
    for (size_t d = 2; d < in_shape.size(); ++d) block *= in_shape[d];
    Elements out;
    out.reserve(x.size() * static_cast<size_t>(block));
    for (int64_t e : x) out.insert(out.end(), static_cast<size_t>(block), e);
    touch(n, "", x);
    set(n.outputs[0], std::move(out));
  }

  void flatten(const Node& n) {
    const Elements* x = elements(n.inputs[0]);
    int64_t axis = n.attr_int("axis", 1);
    const Shape& s = shape(n.inputs[0]);
    if (axis < 0) axis += static_cast<int64_t>(s.size());
    if (!x || axis != 1) return unknown(n, "only Flatten at axis 1 keeps channels apart");
    spread(n, *x, s);
  }

  void reshape(size_t index) {
    const Node& n = graph_.nodes[index];
    const Elements* x = elements(n.inputs[0]);
    const Shape& in = shape(n.inputs[0]);
    const Shape& out = shape(n.outputs[0]);
    if (x && try_shuffle(index, *x)) return;
    if (x && out.size() == 2 && out[0] == in[0] && (in.size() == 2 || in.size() == 4)) return spread(n, *x, in);
    if (x && out.size() == 4 && in.size() == 2 && out[1] == in[1] && out[2] == 1 && out[3] == 1) return pass_through(n);
    unknown(n, "a Reshape other than a flatten or a channel shuffle mixes channels");
  }

  // Reshape [N,C,H,W] -> [N,g,C/g,H,W] -> Transpose(0,2,1,3,4) -> Reshape [N,C,H,W]. Output channel
  // j*g + i is input channel i*(C/g) + j; column j of the [g, C/g] view is one channel.
  bool try_shuffle(size_t index, const Elements& x) {
    const Node& split = graph_.nodes[index];
    const Shape& in = shape(split.inputs[0]);
    const Shape& mid = shape(split.outputs[0]);
    if (in.size() != 4 || mid.size() != 5 || mid[1] * mid[2] != in[1] || mid[3] != in[2] || mid[4] != in[3])
      return false;
    const auto t_users = graph_.consumers(split.outputs[0]);
    if (t_users.size() != 1) return false;
    const Node& t = graph_.nodes[static_cast<size_t>(t_users[0])];
    if (t.op != OpType::kTranspose || t.attr_ints("perm") != std::vector<int64_t>{0, 2, 1, 3, 4}) return false;
    const auto m_users = graph_.consumers(t.outputs[0]);
    if (m_users.size() != 1) return false;
    const Node& merge = graph_.nodes[static_cast<size_t>(m_users[0])];
    if (merge.op != OpType::kReshape || shape(merge.outputs[0]) != in) return false;
    if (!single_use(split.inputs[1]) || !single_use(merge.inputs[1])) return false;
    const int64_t g = mid[1], per = mid[2];
    for (int64_t j = 0; j < per; ++j)
      for (int64_t i = 1; i < g; ++i) uf_.unite(x[static_cast<size_t>(j)], x[static_cast<size_t>(i * per + j)]);
    Elements out(x.size());
    for (int64_t i = 0; i < g; ++i)
      for (int64_t j = 0; j < per; ++j) out[static_cast<size_t>(j * g + i)] = x[static_cast<size_t>(i * per + j)];
    handled_.insert(static_cast<size_t>(t_users[0]));
    handled_.insert(static_cast<size_t>(m_users[0]));
    result_.shuffles.push_back({split.name, t.name, merge.name, g});
    touch(split, "(channel shuffle)", x);
    set(merge.outputs[0], std::move(out));
    return true;
  }

  // Squeeze / Unsqueeze / ReduceMean over axes that are neither batch nor channels.
  void axes_op(const Node& n) {
    const Elements* x = elements(n.inputs[0]);
    if (!x) return unknown(n, "its input has no tracked channels");
    std::vector<int64_t> axes;
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
      const Value& v = graph_.value(n.inputs[1]);
      if (!v.data) return unknown(n, "its axes are not constant");
      axes.assign(v.data->span<int64_t>().begin(), v.data->span<int64_t>().end());
    }
    const int64_t rank = static_cast<int64_t>(std::max(shape(n.inputs[0]).size(), shape(n.outputs[0]).size()));
    bool ok = !axes.empty();
    for (int64_t a : axes) ok = ok && (a < 0 ? a + rank : a) >= 2;
    if (n.op == OpType::kReduceMean && n.attr_int("keepdims", 1) == 0) ok = ok && shape(n.outputs[0]).size() >= 2;
    if (!ok) return unknown(n, "it reduces or moves the batch or channel axis");
    pass_through(n);
  }

  void pad(const Node& n) {
    const Elements* x = elements(n.inputs[0]);
    bool ok = x != nullptr && n.inputs.size() >= 2 && graph_.value(n.inputs[1]).data.has_value() &&
              (n.inputs.size() < 4 || n.inputs[3].empty());
    if (ok) {
      const auto pads = graph_.value(n.inputs[1]).data->span<int64_t>();
      const size_t rank = pads.size() / 2;
      ok = rank >= 2 && pads[0] == 0 && pads[1] == 0 && pads[rank] == 0 && pads[rank + 1] == 0;
    }
    if (ok && n.attr_string("mode", "constant") == "constant" && n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const Value& c = graph_.value(n.inputs[2]);
      ok = c.data.has_value() && c.data->span<float>()[0] == 0.0f;  // a removed channel must stay all zero
    }
    if (!ok) return unknown(n, "it pads the batch or channel axis, or pads with a non-zero constant");
    pass_through(n);
  }

  ChannelAnalysis finish() {
    result_.element_count = uf_.size();
    // Spaces joined by a tie form one group.
    std::vector<int> space_parent(result_.spaces.size());
    std::iota(space_parent.begin(), space_parent.end(), 0);
    auto find_space = [&](int s) {
      while (space_parent[static_cast<size_t>(s)] != s) s = space_parent[static_cast<size_t>(s)];
      return s;
    };
    for (int64_t e = 0; e < uf_.size(); ++e) {
      const int a = find_space(result_.space_of(e)), b = find_space(result_.space_of(uf_.find(e)));
      if (a != b) space_parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
    }
    std::map<int, size_t> group_of_root;
    for (int s = 0; s < static_cast<int>(result_.spaces.size()); ++s) {
      const int root = find_space(s);
      if (!group_of_root.count(root)) {
        group_of_root[root] = result_.groups.size();
        result_.groups.emplace_back();
      }
      result_.groups[group_of_root[root]].spaces.push_back(s);
    }
    for (DependencyGroup& g : result_.groups) {
      std::map<int64_t, size_t> channel_of_class;
      for (int s : g.spaces) {
        const ChannelSpace& sp = result_.spaces[static_cast<size_t>(s)];
        for (int64_t e = sp.first_element; e < sp.first_element + sp.width; ++e) {
          const int64_t root = uf_.find(e);
          if (!channel_of_class.count(root)) {
            channel_of_class[root] = g.channels.size();
            g.channels.emplace_back();
          }
          g.channels[channel_of_class[root]].elements.push_back(e);
        }
      }
    }
    auto group_index = [&](int64_t element) { return group_of_root.at(find_space(result_.space_of(element))); };
    for (const auto& [element, reason] : pins_) {
      DependencyGroup& g = result_.groups[group_index(element)];
      if (g.prunable) g.reason = reason;
      g.prunable = false;
    }
    for (const auto& [what, element] : touches_) {
      auto& members = result_.groups[group_index(element)].members;
      if (std::find(members.begin(), members.end(), what) == members.end()) members.push_back(what);
    }
    for (DependencyGroup& g : result_.groups)
      if (g.prunable && g.channels.size() < 2) {
        g.prunable = false;
        g.reason = "a single channel cannot be pruned";
      }
    return std::move(result_);
  }

  const Graph& graph_;
  Graph shaped_;
  UnionFind uf_;
  ChannelAnalysis result_;
  std::vector<std::pair<int64_t, std::string>> pins_;
  std::vector<std::pair<std::string, int64_t>> touches_;  // member description, one of its elements
  std::set<size_t> handled_;                               // shuffle nodes visited with their Reshape
};

}  // namespace

int ChannelAnalysis::space_of(int64_t element) const {
  auto it = std::upper_bound(spaces.begin(), spaces.end(), element,
                             [](int64_t e, const ChannelSpace& s) { return e < s.first_element; });
  if (it == spaces.begin()) throw_internal("element " + std::to_string(element) + " belongs to no channel space");
  return static_cast<int>(std::prev(it) - spaces.begin());
}

ChannelAnalysis analyze_channels(const Graph& graph) { return Analyzer(graph).run(); }

ChannelSelection empty_selection(const ChannelAnalysis& analysis) {
  ChannelSelection s;
  for (const DependencyGroup& g : analysis.groups) s.removed.emplace_back(g.channels.size(), false);
  return s;
}

}  // namespace tinyopt::prune
