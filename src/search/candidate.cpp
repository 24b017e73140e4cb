// Names of candidates and weight policies (candidate.h).
#include "tinyopt/search/candidate.h"

#include <fmt/format.h>

#include <cmath>

#include "tinyopt/core/error.h"

namespace tinyopt::search {

const char* policy_name(WeightPolicy p) {
  switch (p) {
    case WeightPolicy::kInt8: return "int8";
    case WeightPolicy::kInt4: return "int4";
    case WeightPolicy::kMixed: return "mixed";
  }
  return "?";
}

WeightPolicy policy_from_name(const std::string& name) {
  if (name == "int8") return WeightPolicy::kInt8;
  if (name == "int4") return WeightPolicy::kInt4;
  if (name == "mixed") return WeightPolicy::kMixed;
  throw_bad_input("unknown weight policy '" + name + "' (int8, int4 or mixed)");
}

std::string CandidateSpec::label() const {
  const std::string prune = keep >= 1.0 ? "unpruned" : fmt::format("keep {:g}%", std::round(keep * 1000) / 10);
  return fmt::format("{}, {} weights", prune, policy_name(weights));
}

std::string CandidateSpec::pruned_key() const {
  return fmt::format("keep{:03d}", static_cast<int>(std::lround(keep * 100)));
}

}  // namespace tinyopt::search
