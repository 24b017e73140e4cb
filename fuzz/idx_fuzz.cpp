// libFuzzer entry point: the IDX reader (fuzz_targets.h).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyopt::fuzz::fuzz_idx(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
