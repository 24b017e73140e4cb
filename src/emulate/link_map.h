// Reading a GNU ld linker map (-Wl,-Map=): the bytes each input object contributes to code, constant
// data, initialised data and zero-initialised data of the linked program, after --gc-sections. This is
// how `tinyopt emulate` separates the model's flash and RAM from the harness and the C library's. It is
// not a general map parser: only the "Linker script and memory map" part's input-section lines are read.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace tinyopt::emulate {

struct ObjectSizes {
  int64_t text = 0;    // .text*
  int64_t rodata = 0;  // .rodata* (weights and other const tables)
  int64_t data = 0;    // .data* (costs flash for its image and RAM)
  int64_t bss = 0;     // .bss*, COMMON (RAM only)
  // Of rodata: generated model.c's per-channel requantization arrays (.rodata.s<step>_multiplier /
  // _shift, emit_params.cpp's names): model data derived from the weight scales, like the biases.
  int64_t requant = 0;
  int64_t flash() const { return text + rodata + data; }
  int64_t ram() const { return data + bss; }
};

// Sizes per input object (-fdata-sections for the requant split), keyed by the object's file name without
// directories ("model.o"; archive members as "libc.a(lib_a-printf.o)").
std::map<std::string, ObjectSizes> sizes_by_object(const std::string& map_text);

}  // namespace tinyopt::emulate
