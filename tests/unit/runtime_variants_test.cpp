// One test per kernel variant, generated from runtime/include/tinyopt_rt_kernels.inc: a row added to the
// list is tested without touching this file (and a new family without a checker fails to link). Each test
// runs the family checker (runtime_conv_test.cpp, runtime_elementwise_test.cpp, runtime_pool_test.cpp):
// reference == naive model, variant == reference byte for byte on every case the variant supports.
// Also here: the naming grammar, one file per kernel, and the selector.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "support/test_support.h"
#include "tinyopt_rt_registry.h"
#include "unit/runtime_conv_cases.h"

namespace tinyopt::rt_test {
namespace {

#define TOPT_KERNEL(name, family, variant)                                                                          \
  TOPT_WHEN_##variant(TEST(RuntimeKernel, name) {                                                                   \
    check_##family(family##_kernel{#name, TOPT_VARIANT_##variant, &name, &name##_supports, &name##_scratch_bytes}); \
  })
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL

struct ListedKernel {
  std::string name, family, variant;
};

std::vector<ListedKernel> listed_kernels() {
  std::vector<ListedKernel> k;
#define TOPT_KERNEL(name, family, variant) k.push_back({#name, #family, #variant});
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
  return k;
}

std::string variant_dir(const std::string& variant) {
  if (variant == "dsp") return "arm_dsp";
  return variant;
}

TEST(RuntimeKernelList, NamesFollowTheGrammarAndLiveInTheirOwnFile) {
  // topt_<op>[_<shape-class>]_<dtype>[w<bits>]__<variant>, the op and dtype being those of the family
  const std::regex grammar("topt_[a-z0-9]+(_[a-z0-9]+)*_(s8|s16)(w4)?__(ref|x86|dsp|neon)");
  const std::filesystem::path runtime = std::filesystem::path(tinyopt::testing::source_dir()) / "runtime";
  for (const ListedKernel& k : listed_kernels()) {
    EXPECT_TRUE(std::regex_match(k.name, grammar)) << k.name;
    EXPECT_EQ(k.name.substr(k.name.size() - k.variant.size() - 2), "__" + k.variant) << k.name;
    const std::string dtype = k.family.substr(k.family.rfind('_'));  // "_s8", "_s8w4", "_s16"
    EXPECT_NE(k.name.find(dtype + "__"), std::string::npos) << k.name << " is not of family " << k.family;
    const std::string op = k.family.substr(0, k.family.rfind('_'));
    EXPECT_EQ(k.name.rfind("topt_" + op, 0), 0u) << k.name << " is not of family " << k.family;
    const auto file = runtime / variant_dir(k.variant) / (k.name + ".c");
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find(k.name + "("), std::string::npos) << file << " does not define " << k.name;
    EXPECT_NE(text.find(k.name + "_supports("), std::string::npos) << file;
    EXPECT_NE(text.find(k.name + "_scratch_bytes("), std::string::npos) << file;
  }
}

TEST(RuntimeKernelList, EveryKernelFileIsListed) {
  // files that are not kernels: shared checks, setup helpers, the registry, and per-ISA internals named
  // topt_<isa>_* (e.g. runtime/x86/topt_x86_gemm_s8.c)
  const std::set<std::string> support = {"topt_params_check.c", "topt_quantize_params_check.c",
                                         "topt_quantize_multiplier.c", "topt_kernel_registry.c"};
  std::set<std::string> listed;
  for (const ListedKernel& k : listed_kernels()) listed.insert(k.name + ".c");
  const std::filesystem::path runtime = std::filesystem::path(tinyopt::testing::source_dir()) / "runtime";
  int files = 0;
  for (const char* dir : {"ref", "x86", "arm_dsp", "neon"}) {
    if (!std::filesystem::exists(runtime / dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(runtime / dir)) {
      const std::string f = e.path().filename().string();
      if (e.path().extension() != ".c") continue;
      ++files;
      const bool internal =
          f.rfind("topt_x86_", 0) == 0 || f.rfind("topt_dsp_", 0) == 0 || f.rfind("topt_neon_", 0) == 0;
      EXPECT_TRUE(listed.count(f) || support.count(f) || internal)
          << "runtime/" << dir << "/" << f << " is not in the kernel list";
    }
  }
  EXPECT_GT(files, 20);
}

TEST(RuntimeKernelList, EveryFamilyHasItsReferenceLast) {
  // The selector takes the first supported row; the family reference accepts every valid params, so it
  // must come last or it would shadow the rows after it.
  std::map<std::string, std::string> last;
  for (const ListedKernel& k : listed_kernels()) last[k.family] = k.name;
#define TOPT_FAMILY(fam, params_type)                            \
  EXPECT_EQ(last[#fam], "topt_" #fam "__ref") << "family " #fam; \
  (void)&topt_##fam##__ref;  // and it exists
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
  EXPECT_EQ(last.size(), static_cast<size_t>(TOPT_FAMILY_COUNT));
}

TEST(RuntimeKernelRegistry, TableHoldsEveryCompiledKernelInListOrder) {
  size_t count = 0;
  const topt_kernel_info* table = topt_kernels(&count);
  std::vector<std::string> compiled;
#define TOPT_KERNEL(name, family, variant) TOPT_WHEN_##variant(compiled.push_back(#name);)
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
  ASSERT_EQ(count, compiled.size());
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(table[i].name, compiled[i]);
}

TEST(RuntimeKernelRegistry, SelectorPicksTheFirstSupportingRow) {
  const ConvCase pointwise = ConvTester().input(5, 5, 16).output_channels(8).seed(1).build();
  const ConvCase general = ConvTester().input(5, 5, 16).output_channels(8).kernel(3, 3).seed(2).build();
  topt_conv2d_s8_kernel k{};
  const topt_conv2d_params pw = pointwise.conv(), gen = general.conv();
  ASSERT_TRUE(topt_conv2d_s8_select(&pw, &k));
#if defined(__AVX2__)
  // on a CPU with AVX512-VNNI the VNNI row (first in the list) takes both
  const bool vnni = topt_conv2d_vnni_s8__x86_supports(&pw) != 0;
  EXPECT_STREQ(k.name, vnni ? "topt_conv2d_vnni_s8__x86" : "topt_conv2d_1x1_s8__x86");
  ASSERT_TRUE(topt_conv2d_s8_select(&gen, &k));
  EXPECT_STREQ(k.name, vnni ? "topt_conv2d_vnni_s8__x86" : "topt_conv2d_s8__x86");
#else
  EXPECT_STREQ(k.name, "topt_conv2d_1x1_s8__ref");
  ASSERT_TRUE(topt_conv2d_s8_select(&gen, &k));
  EXPECT_STREQ(k.name, "topt_conv2d_s8__ref");
#endif
  // the selected kernel runs and equals the reference
  std::vector<int8_t> want(general.output_count()), got(general.output_count());
  Scratch scratch(k.scratch_bytes(&gen));
  ASSERT_EQ(k.run(&gen, general.input8.data(), general.weights.data(), general.bias_s8(), got.data(), scratch.get()),
            TOPT_OK);
  ASSERT_EQ(
      topt_conv2d_s8__ref(&gen, general.input8.data(), general.weights.data(), general.bias_s8(), want.data(), nullptr),
      TOPT_OK);
  EXPECT_EQ(want, got);
  topt_conv2d_params bad = gen;
  bad.win.stride_h = 0;
  EXPECT_FALSE(topt_conv2d_s8_select(&bad, &k));
}

}  // namespace
}  // namespace tinyopt::rt_test
