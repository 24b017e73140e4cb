// The QDQ side of ONNX interchange (QuantizeLinear/DequantizeLinear), internal to src/onnx/: which
// domain a Q/DQ node is written in, which non-default-domain Q/DQ nodes import reads, and the import
// rewrite of uint8 QDQ into the IR's int8 form. It knows nothing about protobuf; onnx_export.cpp and
// onnx_import.cpp call it. The format itself is described in tinyopt/onnx/onnx_io.h and
// docs/quantization.md.
//
// Why int16 goes to com.microsoft: standard ONNX allows int16 in QuantizeLinear/DequantizeLinear only from
// opset 21, which Debian's onnx 1.12 checker (opsets <= 17) cannot check and the IR (opset 18) does not
// follow; onnxruntime's contrib ops com.microsoft.QuantizeLinear/DequantizeLinear (domain version 1)
// have the same semantics and attributes and accept int16 (onnxruntime >= 1.16; its own quantizer writes
// 16-bit QDQ this way below opset 21), and the onnx checker accepts nodes of a domain it does not know.
#pragma once

#include <cstdint>
#include <string_view>

#include "tinyopt/core/graph.h"

namespace tinyopt::detail {

inline constexpr std::string_view kMicrosoftDomain = "com.microsoft";
inline constexpr int64_t kMicrosoftDomainVersion = 1;

// The integer type of a QuantizeLinear/DequantizeLinear: its zero point's dtype when it has one, else
// (DequantizeLinear) its input's dtype, else uint8 (ONNX's default for QuantizeLinear).
DType qdq_integer_dtype(const Graph& g, const Node& node);

// True when `node` is a QuantizeLinear/DequantizeLinear that export writes in kMicrosoftDomain (int16).
bool qdq_needs_microsoft_domain(const Graph& g, const Node& node);

// True for the non-default-domain ops import reads: com.microsoft QuantizeLinear/DequantizeLinear,
// imported as the IR's QuantizeLinear/DequantizeLinear.
bool is_supported_microsoft_op(std::string_view domain, std::string_view op_type);

// Rewrites uint8 QDQ (onnxruntime's quantizer default for activations) into the IR's int8 form: every
// uint8 tensor q with zero point z becomes the int8 tensor q - 128 with zero point z - 128 (an absent
// zero point, 0, becomes an int8 initializer -128). Exact: QuantizeLinear gives the same integers minus
// 128 and DequantizeLinear the same floats. Done only when uint8 never leaves the Q/DQ nodes (no uint8
// graph input or output, no other op reading a uint8 value, zero points constant); otherwise the graph
// is left as it is (the float executor runs uint8 QDQ anyway). Returns whether it rewrote anything.
bool uint8_qdq_to_int8(Graph& g);

}  // namespace tinyopt::detail
