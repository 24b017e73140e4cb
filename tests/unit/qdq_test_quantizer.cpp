// Test-only quantization shortcuts (see qdq_test_quantizer.h).
#include "qdq_test_quantizer.h"

#include "onnx/onnx_tensor.h"
#include "tinyopt/data/dataset.h"
#include "tinyopt/passes/quantize.h"

namespace tinyopt::testing {

Graph quantize_for_test(const Graph& float_graph, const Tensor& calib, const TestQuantOptions& options) {
  quant::QuantizeOptions o;
  o.calibrator = quant::Calibrator::kMinMax;
  o.weight_bits = options.weight_bits;
  o.activation_bits = options.activation_bits;
  o.bias_correction = false;
  o.calibration.threads = 1;
  o.calibration.histograms = false;
  Dataset data;
  data.x = calib;
  return quant::quantize_model(float_graph, data, o).qdq;
}

Graph widen_int4_to_int8(const Graph& g) {
  Graph out = g;
  for (const auto& [name, v] : g.values()) {
    if (v.is_initializer() && v.data->dtype() == DType::kI4) {
      out.add_initializer(name, detail::unpack_int4_to_int8(*v.data));
    }
  }
  return out;
}

}  // namespace tinyopt::testing
