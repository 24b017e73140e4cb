// The loop every non-conv family checker shares: for each case, the family reference must equal the
// expected values (a naive model), and the kernel under test must equal the reference wherever its
// _supports() accepts the case (and return TOPT_ERR_UNSUPPORTED elsewhere). Cases describe themselves so
// a failure names the shape, the quantization parameters and the seed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "unit/runtime_conv_cases.h"

namespace tinyopt::rt_test {

template <class Case, class Out>
struct CaseRunner {
  std::function<std::string(const Case&)> describe;
  std::function<size_t(const Case&)> output_count;
  std::function<std::vector<Out>(const Case&)> expected;  // the naive model
  std::function<topt_status(const Case&, Out*)> reference;
  std::function<int(const Case&)> supports;                  // of the kernel under test
  std::function<size_t(const Case&)> scratch_bytes;          // of the kernel under test
  std::function<topt_status(const Case&, Out*, void*)> run;  // the kernel under test

  void check(const char* name, const std::vector<Case>& cases) const {
    int supported = 0;
    for (const Case& c : cases) {
      const std::string context = std::string(name) + ": " + describe(c);
      const size_t n = output_count(c);
      const auto want = run_guarded<Out>(
          n, [&](Out* out) { return reference(c, out); }, context);
      ASSERT_TRUE(same_values(expected(c), want, "naive", "reference", context));
      if (!supports(c)) {
        std::vector<Out> out(n);
        EXPECT_EQ(run(c, out.data(), nullptr), TOPT_ERR_UNSUPPORTED) << context;
        continue;
      }
      ++supported;
      Scratch scratch(scratch_bytes(c));
      const auto got = run_guarded<Out>(
          n, [&](Out* out) { return run(c, out, scratch.get()); }, context);
      ASSERT_TRUE(same_values(want, got, "reference", name, context));
    }
    EXPECT_GT(supported, 0) << name << " supports none of the test cases";
  }
};

}  // namespace tinyopt::rt_test
