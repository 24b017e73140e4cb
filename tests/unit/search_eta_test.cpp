// The optimize progress line's ETA (eta_seconds): nominal work scaled by the pace measured so far, and a
// running stage that has outrun its nominal time is extrapolated from its own progress instead of reading 0.
#include <gtest/gtest.h>

#include "tinyopt/search/search_plan.h"

namespace tinyopt::search {
namespace {

TEST(SearchEta, BeforeAnyCandidateFinishesTheNominalWorkIsTheEstimate) {
  RunPace pace;
  pace.nominal_total = 100;
  pace.nominal_current = 40;
  pace.in_current = 10;
  EXPECT_DOUBLE_EQ(eta_seconds(pace), 60 + 30);
}

TEST(SearchEta, FinishedCandidatesSetThePace) {
  RunPace pace;
  pace.nominal_total = 100;
  pace.nominal_done = 20;
  pace.computed_seconds = 40;  // this machine runs at half the nominal speed
  EXPECT_DOUBLE_EQ(eta_seconds(pace), 80 * 2);
}

TEST(SearchEta, AStageBeyondItsNominalTimeIsExtrapolatedFromItsProgress) {
  // --finetune-images made the fine-tune far longer than nominal: 200 s in, a quarter done.
  RunPace pace;
  pace.nominal_total = 50;
  pace.nominal_current = 30;
  pace.in_current = 210;
  pace.in_stage = 200;
  pace.stage_fraction = 0.25;
  EXPECT_DOUBLE_EQ(eta_seconds(pace), 20 + 600);
  pace.stage_fraction = 0;  // unknown progress: no extrapolation, and never negative
  EXPECT_DOUBLE_EQ(eta_seconds(pace), 20);
}

TEST(SearchEta, BetweenCandidatesOnlyTheRestCounts) {
  RunPace pace;
  pace.nominal_total = 90;
  pace.nominal_done = 90;
  pace.computed_seconds = 45;
  EXPECT_DOUBLE_EQ(eta_seconds(pace), 0);
}

}  // namespace
}  // namespace tinyopt::search
