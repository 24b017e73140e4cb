// The linker-map reader that attributes flash and RAM to objects (src/emulate/link_map.cpp), on an excerpt
// of a real arm-none-eabi-ld map: discarded sections are ignored, long section names with their numbers
// on the next line are read, archive members keep their member name, COMMON counts as bss.
#include <gtest/gtest.h>

#include "emulate/link_map.h"

namespace tinyopt {
namespace {

constexpr const char* kMap = R"(Archive member included to satisfy reference by file (symbol)

Discarded input sections

 .text          0x00000000        0x0 model.o
 .text.unused   0x00000000       0x40 model.o

Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x00000000         0x00400000         xr

Linker script and memory map

LOAD model.o
 .text.topt_conv2d_s8__ref_scratch_bytes
                0x00001c74        0x4 topt_conv2d_s8__ref.o
                0x00001c74                topt_conv2d_s8__ref_scratch_bytes
 .text.topt_conv2d_s8__ref
                0x00001c78      0x30c /tmp/x/topt_conv2d_s8__ref.o
                0x00001c78                topt_conv2d_s8__ref
 .text.tinyopt_model_invoke
                0x00002000      0x120 model.o
 .rodata.w_conv1
                0x00003000      0x900 model.o
 .rodata        0x00004000       0x10 model.o
 .rodata.s3_multiplier
                0x00004010       0x40 model.o
 .rodata.s3_shift
                0x00004050       0x40 model.o
 *fill*         0x00004090        0x4 
 .data.state    0x20000000        0x8 model.o
 .bss.arena     0x20000100     0x1800 model.o
 COMMON         0x20002000       0x20 model.o
 .bss           0x2007d9c8       0x34 /usr/lib/libc.a(lib_a-mallocr.o)
                0x2007d9c8                __malloc_top_pad
)";

TEST(EmuLinkMap, AttributesSectionsToObjects) {
  const auto sizes = emulate::sizes_by_object(kMap);
  ASSERT_TRUE(sizes.count("model.o"));
  const auto& m = sizes.at("model.o");
  EXPECT_EQ(m.text, 0x120);
  EXPECT_EQ(m.rodata, 0x990);
  EXPECT_EQ(m.requant, 0x80);  // the per-channel requantization arrays of step 3
  EXPECT_EQ(m.data, 0x8);
  EXPECT_EQ(m.bss, 0x1820);
  EXPECT_EQ(m.flash(), 0x120 + 0x990 + 0x8);
  EXPECT_EQ(m.ram(), 0x8 + 0x1820);
  ASSERT_TRUE(sizes.count("topt_conv2d_s8__ref.o"));
  EXPECT_EQ(sizes.at("topt_conv2d_s8__ref.o").text, 0x4 + 0x30c);
  ASSERT_TRUE(sizes.count("libc.a(lib_a-mallocr.o)"));
  EXPECT_EQ(sizes.at("libc.a(lib_a-mallocr.o)").bss, 0x34);
}

}  // namespace
}  // namespace tinyopt
