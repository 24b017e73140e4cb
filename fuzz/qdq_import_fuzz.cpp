// libFuzzer entry point: quantized (QDQ) models: import, then the integer executor (fuzz_targets.h); seeded with QDQ models.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyopt::fuzz::fuzz_qdq_import(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
