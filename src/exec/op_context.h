// What one op runner sees while the float executor runs one node: its input tensors, the output shapes
// core shape inference computed from those tensors, output allocation from the executor's buffer pool,
// scratch memory, a per-node cache for parameters derived from shapes, and the thread count. Runners
// (src/exec/runners/) translate node attributes into a kernel's params struct and call the kernel; they
// never decide shapes themselves (core/shape_inference.cpp is the one place for that).
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exec/kernels/conv2d_f32.h"
#include "tinyopt/core/error.h"
#include "tinyopt/core/graph.h"

namespace tinyopt::exec {

// Recycles tensor storage by (dtype, element count) so steady-state runs allocate nothing.
class BufferPool {
 public:
  Tensor take(DType dtype, const Shape& shape);  // contents are stale: kernels overwrite every element
  void give(Tensor t);
  void clear() { free_.clear(); }

 private:
  std::map<std::pair<DType, int64_t>, std::vector<Tensor>> free_;
};

class OpContext {
 public:
  OpContext(const Node& node, std::vector<const Tensor*> inputs, const std::vector<Shape>& output_shapes,
            std::vector<Tensor*> outputs, BufferPool& pool, std::vector<float>& scratch, std::any& state,
            int threads, bool reshaped, kernels::ActivationClamp fused_act)
      : node_(node), inputs_(std::move(inputs)), output_shapes_(output_shapes), outputs_(std::move(outputs)),
        pool_(pool), scratch_(scratch), state_(state), threads_(threads), reshaped_(reshaped),
        fused_act_(fused_act) {}

  const Node& node() const { return node_; }
  int threads() const { return threads_; }
  // True on the first run and whenever an input shape changed: recompute what state() caches.
  bool reshaped() const { return reshaped_; }
  // Clamp the runner must apply to its output (Conv with a fused Relu/Clip); identity otherwise.
  kernels::ActivationClamp fused_act() const { return fused_act_; }

  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  const Tensor& input(size_t i) const {
    if (!has_input(i)) fail("required input " + std::to_string(i) + " is missing");
    return *inputs_[i];
  }
  // The input's data as T, failing with a message naming the node when the dtype differs.
  template <typename T>
  const T* input_data(size_t i) const {
    const Tensor& t = input(i);
    if (t.dtype() != dtype_of<T>())
      fail("input " + std::to_string(i) + " has dtype " + std::string(dtype_name(t.dtype())) + ", expected " +
           std::string(dtype_name(dtype_of<T>())));
    return t.data<T>();
  }

  // Values of an integer input (int64 or int32), e.g. Reshape's shape or Pad's pads.
  std::vector<int64_t> input_ints(size_t i) const {
    const Tensor& t = input(i);
    if (t.dtype() == DType::kI64) return {t.data<int64_t>(), t.data<int64_t>() + t.numel()};
    if (t.dtype() == DType::kI32) return {t.data<int32_t>(), t.data<int32_t>() + t.numel()};
    fail("input " + std::to_string(i) + " must be int64, got " + std::string(dtype_name(t.dtype())));
  }
  // A one-element float input (Clip's min/max), or `fallback` when the input is omitted.
  float input_scalar_f32(size_t i, float fallback) const {
    if (!has_input(i)) return fallback;
    const Tensor& t = input(i);
    if (t.numel() != 1) fail("input " + std::to_string(i) + " must hold one value, has shape " + shape_str(t.shape()));
    return input_data<float>(i)[0];
  }

  // Bytes per element for the data-movement kernels; packed int4 has no whole-byte element.
  size_t element_bytes(const Tensor& t) const {
    if (dtype_bits(t.dtype()) % 8 != 0) fail("packed " + std::string(dtype_name(t.dtype())) + " tensors are not supported");
    return static_cast<size_t>(dtype_bits(t.dtype()) / 8);
  }

  size_t num_outputs() const { return outputs_.size(); }
  bool wants_output(size_t i) const { return i < outputs_.size() && outputs_[i] != nullptr; }
  const Shape& output_shape(size_t i) const { return output_shapes_.at(i); }
  // Allocates output i with the inferred shape (contents stale) and returns it.
  Tensor& output(size_t i, DType dtype) {
    *outputs_.at(i) = pool_.take(dtype, output_shapes_.at(i));
    return *outputs_[i];
  }
  // Makes output i share the storage of `view` (Reshape and friends: no copy).
  void alias_output(size_t i, Tensor view) { *outputs_.at(i) = std::move(view); }

  // At least `floats` of scratch, reused across nodes and runs.
  float* scratch(size_t floats) {
    if (scratch_.size() < floats) scratch_.resize(floats);
    return scratch_.data();
  }

  // Per-node cache of derived parameters, default-constructed on first use.
  template <typename T>
  T& state() {
    if (!state_.has_value() || state_.type() != typeid(T)) state_.emplace<T>();
    return *std::any_cast<T>(&state_);
  }

  [[noreturn]] void fail(const std::string& message) const { throw_bad_input(node_.describe() + ": " + message); }

 private:
  const Node& node_;
  std::vector<const Tensor*> inputs_;
  const std::vector<Shape>& output_shapes_;
  std::vector<Tensor*> outputs_;
  BufferPool& pool_;
  std::vector<float>& scratch_;
  std::any& state_;
  int threads_;
  bool reshaped_;
  kernels::ActivationClamp fused_act_;
};

}  // namespace tinyopt::exec
