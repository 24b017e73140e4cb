// libFuzzer entry point: the CSV reader and the .csv dataset loader under fuzzed options (fuzz_targets.h).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tinyopt::fuzz::fuzz_csv(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
