// ONNX import and export: the interchange format of tinyopt (DESIGN.md section 3). Import reads an ONNX
// model of opset 1..18 (default domain, plus com.microsoft's QuantizeLinear/DequantizeLinear) and
// returns a Graph in the canonical IR, whose op semantics are those of ONNX opset 18; export writes such
// a Graph as an opset-18 ONNX model that passes onnx.checker. This header is the whole public surface; the insides live in src/onnx/.
//
// What import canonicalizes (older-opset forms become their opset-18 equivalents):
//   - Clip min/max attrs (opset < 11)        -> inputs 1, 2 (f32 scalar initializers; "" when absent)
//   - Pad pads/value attrs (opset < 11)      -> inputs 1 (i64 pads), 2 (f32 constant_value)
//   - Squeeze/Unsqueeze axes attr (< 13)     -> input 1 (i64 axes)
//   - ReduceMean axes attr (opset < 18)      -> input 1 (i64 axes)
//   - Dropout ratio attr (opset < 12)        -> input 1 (f32 scalar); is_test dropped
//   - Reshape shape attr (opset < 5)         -> input 1 (i64)
//   - Constant nodes                         -> initializers (value, value_float(s), value_int(s))
//   - auto_pad of Conv/MaxPool/AveragePool   -> explicit `pads` (needs the input's spatial shape when a
//                                               stride is > 1; an error names the node otherwise)
//   - Softmax of opset < 13 ("coerce the input to 2-D at `axis`, softmax over the flattened tail"):
//       * when `axis` is the input's last dimension the semantics equal opset 13's: a Softmax with that
//         axis;
//       * otherwise it becomes Flatten(axis) -> Softmax(axis=-1) -> Reshape(inferred input shape, with
//         -1 for a dynamic batch dimension), so the IR has no legacy Softmax at all. Needs shapes.
//   - legacy attrs with no meaning in opset 18 are dropped (`consumed_inputs` of opsets < 6, Add/Sub/
//     Mul/Div/Gemm `broadcast`, BatchNormalization `is_test`/`spatial`=1), Concat-1's default axis 1 is
//     made explicit and Pad-1's `paddings` is read as `pads`; legacy forms that change semantics
//     (Add `axis` broadcasting, BatchNormalization spatial=0 or training_mode=1) are refused.
// ConvTranspose keeps its attributes verbatim (incl. auto_pad, output_shape, output_padding).
// Every other attribute is kept as read (ONNX names; absent attrs mean ONNX defaults).
// Graph::opset is set to 18 after import: it names the semantics of the IR, not the file's opset.
//
// Tensors: FLOAT, UINT8, INT8, INT16, INT32, INT64, BOOL and INT4 (ONNX type 22, packed two per byte,
// low nibble first, as DType::kI4), from raw_data or the typed fields. External data is read only from
// files inside the model's folder. Export writes every initializer as raw_data; kI4 tensors are written
// as INT8 (one value per byte, opset 18 has no INT4) and listed in the metadata entry
// "tinyopt.int4_tensors" (comma-separated names), which import turns back into kI4 and removes.
//
// Quantized (QDQ) models (docs/quantization.md, "QDQ ONNX"): the IR's QuantizeLinear/DequantizeLinear
// are written as the standard ops, except those on int16 (activations of W8A16 layers), which standard
// ONNX has only from opset 21: they are written as onnxruntime's com.microsoft QuantizeLinear/
// DequantizeLinear (same semantics; the com.microsoft domain is imported at version 1), and import reads
// that form back (also as onnxruntime's quantizer writes it). Import rewrites uint8 QDQ, onnxruntime's
// default for activations, into the IR's int8 form exactly (q - 128, zero point - 128) when uint8 never
// leaves the Q/DQ nodes. int4 weights: see above (INT8 storage + "tinyopt.int4_tensors").
//
// Not done here: shape inference beyond what canonicalization needs, Value::quant (QDQ models carry
// their quantization in QuantizeLinear/DequantizeLinear nodes), value_info of intermediate values.
#pragma once

#include <string>
#include <string_view>

#include "tinyopt/core/graph.h"
#include "tinyopt/core/tensor.h"

namespace tinyopt {

// The opset whose semantics the IR follows and which export writes.
inline constexpr int64_t kCanonicalOpset = 18;
// Oldest default-domain opset import accepts.
inline constexpr int64_t kOldestImportOpset = 1;
// Metadata key listing kI4 initializers stored as INT8 in an exported file.
inline constexpr const char* kInt4TensorsMetadataKey = "tinyopt.int4_tensors";

// Reads and imports an ONNX model. Throws Error(kBadInput) with a one-line message that names the file
// (and the node, op and opset when one is at fault).
Graph load_onnx(const std::string& path);
// Imports a serialized ModelProto; `origin` is the file name used in messages and the folder against
// which external data is resolved.
Graph parse_onnx(std::string_view bytes, const std::string& origin);

struct OnnxExportOptions {
  // 18 (the IR's semantics) or 17, the newest opset Debian's python3-onnx 1.12 checker knows: at 17
  // ReduceMean's constant axes input becomes the attribute; Pad with an axes input is refused.
  int64_t opset = kCanonicalOpset;
};

// Writes `g` as an ONNX model, atomically (temporary file in the same folder, then rename). Throws
// kBadInput naming the path when it cannot be written (no partial file is left behind).
void save_onnx(const Graph& g, const std::string& path, const OnnxExportOptions& options = {});
// The serialized ModelProto of `g`.
std::string serialize_onnx(const Graph& g, const OnnxExportOptions& options = {});

// Reads one serialized onnx.TensorProto (.pb), as in the ONNX test data's test_data_set_N folders.
Tensor load_tensor_proto(const std::string& path);
// Writes `t` as a serialized onnx.TensorProto named `name`, atomically.
void save_tensor_proto(const Tensor& t, const std::string& name, const std::string& path);

}  // namespace tinyopt
