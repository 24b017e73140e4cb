// Shape and dtype inference: fills Value::shape/dtype of every node output from its inputs and
// attributes, node by node in topological order. Errors name the node and op ("node 'c1' (Conv): ...").
#pragma once

#include "tinyopt/core/graph.h"

namespace tinyopt {

// Infers the output shapes of all nodes. `batch` replaces a -1 (unknown) leading input dimension.
void infer_shapes(Graph& graph, int64_t batch = 1);

// Output shapes of one node from its input shapes (used by infer_shapes and by executors).
std::vector<Shape> infer_node_shapes(const Graph& graph, const Node& node);

}  // namespace tinyopt

namespace tinyopt {

// Spatial geometry of Conv/ConvTranspose-free sliding windows (Conv, MaxPool, AveragePool), resolved
// from the ONNX attributes (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode) for the given
// input spatial dims. Shared by shape inference, the executors and the cost model.
struct WindowGeometry {
  std::vector<int64_t> kernel, strides, dilations;
  std::vector<int64_t> pad_begin, pad_end;  // after auto_pad resolution
  std::vector<int64_t> out;                 // output spatial dims
};
// `kernel` comes from the weight shape for Conv (pass it) or kernel_shape for pools (pass empty).
WindowGeometry resolve_window(const Node& node, const std::vector<int64_t>& in_spatial,
                              std::vector<int64_t> kernel = {});

// ConvTranspose geometry for the given input spatial dims and kernel (from the weight shape): strides,
// dilations, output_padding, the pads after output_shape / auto_pad resolution (ONNX rules: the odd pad
// goes at the end for SAME_UPPER, at the beginning otherwise; an output_shape larger than the kernels
// cover gives a negative end pad, i.e. zero rows/columns at the end), and the output spatial dims.
struct TransposeWindowGeometry {
  std::vector<int64_t> kernel, strides, dilations, output_padding;
  std::vector<int64_t> pad_begin, pad_end;
  std::vector<int64_t> out;
};
TransposeWindowGeometry resolve_transpose_window(const Node& node, const std::vector<int64_t>& in_spatial,
                                                 const std::vector<int64_t>& kernel);

}  // namespace tinyopt
