// libFuzzer entry point: the ONNX importer, then inspect, export and the float executor (fuzz_targets.h).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyopt::fuzz::fuzz_onnx_import(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
