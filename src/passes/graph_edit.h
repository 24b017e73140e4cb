// Small graph-editing helpers shared by the passes in src/passes/ (internal, not a public API): graph-output
// tests, the (outer, channels, inner) view of a tensor along an axis, and dropping initializers nothing reads.
#pragma once

#include <algorithm>
#include <set>
#include <string>

#include "tinyopt/core/graph.h"

namespace tinyopt {

inline bool is_graph_output(const Graph& g, const std::string& value) {
  return std::find(g.outputs.begin(), g.outputs.end(), value) != g.outputs.end();
}

// A contiguous tensor seen as (outer, channels, inner) around `axis`: element (o, c, i) is at
// (o * channels + c) * inner + i.
struct ChannelView {
  int64_t outer = 1, channels = 1, inner = 1;
};
inline ChannelView channel_view(const Shape& shape, int axis) {
  ChannelView v;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (i < axis) v.outer *= shape[static_cast<size_t>(i)];
    else if (i == axis) v.channels = shape[static_cast<size_t>(i)];
    else v.inner *= shape[static_cast<size_t>(i)];
  }
  return v;
}

// Erases initializers that no node reads and that are not graph outputs.
inline void remove_unused_initializers(Graph& g) {
  std::set<std::string> used(g.outputs.begin(), g.outputs.end());
  for (const Node& n : g.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  std::vector<std::string> dead;
  for (const auto& [name, v] : g.values())
    if (v.is_initializer() && !used.count(name)) dead.push_back(name);
  for (const auto& name : dead) g.erase_value(name);
}

}  // namespace tinyopt
