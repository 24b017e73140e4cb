// Width multiplier over a built-in architecture (redesign.h, scale_width): rebuild with the architecture
// builder, then carry the original's weights over block by block. It does not choose channels by
// importance (that is structured pruning, which works on any graph): channel i stays channel i.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "tinyopt/arch/architectures.h"
#include "tinyopt/core/error.h"
#include "tinyopt/passes/redesign.h"

namespace tinyopt::redesign {
namespace {

// dst[idx] = src[idx] for every index inside both shapes (the overlapping leading block).
void copy_overlap(const Tensor& src, Tensor& dst) {
  const Shape& s = src.shape();
  const Shape& d = dst.shape();
  const size_t rank = s.size();
  Shape extent(rank);
  for (size_t i = 0; i < rank; ++i) extent[i] = std::min(s[i], d[i]);
  if (rank == 0) {
    dst.data<float>()[0] = src.data<float>()[0];
    return;
  }
  for (int64_t e : extent)
    if (e == 0) return;
  // Walk the overlap row by row (the last axis is contiguous in both): idx holds the outer indices.
  std::vector<int64_t> idx(rank, 0);
  const float* from = src.data<float>();
  float* to = dst.data<float>();
  for (bool more = true; more;) {
    int64_t so = 0, dof = 0;
    for (size_t i = 0; i < rank; ++i) {
      so = so * s[i] + idx[i];
      dof = dof * d[i] + idx[i];
    }
    std::copy_n(from + so, extent[rank - 1], to + dof);
    more = false;
    for (size_t axis = rank - 1; axis-- > 0;) {  // odometer over axes rank-2 .. 0
      if (++idx[axis] < extent[axis]) {
        more = true;
        break;
      }
      idx[axis] = 0;
    }
  }
}

}  // namespace

Graph scale_width(const Graph& graph, float width) {
  const auto arch = graph.metadata.find("tinyopt.arch");
  if (arch == graph.metadata.end())
    throw_bad_input("the width multiplier rebuilds a built-in architecture, but this model has no 'tinyopt.arch' "
                    "metadata (it was not made by `tinyopt new` / `train --arch`); use `tinyopt prune --ratio` "
                    "to narrow any model");
  if (!(width > 0.0f && width <= 4.0f)) throw_usage(fmt::format("--width must be in (0, 4], got {}", width));
  ArchOptions opts;
  opts.width = width;
  const auto seed = graph.metadata.find("tinyopt.arch.seed");
  if (seed != graph.metadata.end()) opts.seed = std::strtoull(seed->second.c_str(), nullptr, 10);
  Graph out = build_architecture(arch->second, opts);
  // Keep the original's class count (a model may have been built with --classes).
  if (!graph.outputs.empty() && !out.outputs.empty()) {
    const Shape& want = graph.value(graph.outputs[0]).shape;
    const Shape& got = out.value(out.outputs[0]).shape;
    if (want.size() == 2 && got.size() == 2 && want[1] != got[1]) {
      opts.num_classes = static_cast<int>(want[1]);
      out = build_architecture(arch->second, opts);
    }
  }
  for (const auto& [name, v] : out.values()) {
    if (!v.data || v.data->dtype() != DType::kF32 || !graph.has_value(name)) continue;
    const Value& old = graph.value(name);
    if (!old.data || old.data->dtype() != DType::kF32 || old.data->rank() != v.data->rank()) continue;
    Tensor t = v.data->clone();
    copy_overlap(*old.data, t);
    out.value(name).data = t;
  }
  std::map<std::string, std::string> metadata = graph.metadata;
  for (const auto& [k, val] : out.metadata) metadata[k] = val;
  out.metadata = metadata;
  return out;
}

}  // namespace tinyopt::redesign
