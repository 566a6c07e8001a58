// EditDistance and ClosestMatch (lib/core/suggest.cc, ocib/suggest.h).
#include "ocib/suggest.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ocib {
namespace {

// Each kind of edit costs one; a swap of neighbours is one edit, not two.
TEST(SuggestTest, EditDistanceCountsEachEditOnce) {
  EXPECT_EQ(EditDistance("", ""), 0U);
  EXPECT_EQ(EditDistance("", "abc"), 3U);
  EXPECT_EQ(EditDistance("abc", ""), 3U);
  EXPECT_EQ(EditDistance("tags", "tags"), 0U);
  EXPECT_EQ(EditDistance("tgas", "tags"), 1U);      // swap
  EXPECT_EQ(EditDistance("outptu", "output"), 1U);  // swap at the end
  EXPECT_EQ(EditDistance("plaform", "platform"), 1U);
  EXPECT_EQ(EditDistance("platformm", "platform"), 1U);
  EXPECT_EQ(EditDistance("platfxrm", "platform"), 1U);
  EXPECT_EQ(EditDistance("zq", "go"), 2U);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3U);
  EXPECT_EQ(EditDistance("ca", "abc"), 3U);  // OSA: a swapped pair is not edited again
}

// The distance is symmetric.
TEST(SuggestTest, EditDistanceIsSymmetric) {
  const std::vector<std::string> words = {"", "a", "ab", "ba", "build", "biuld", "prunee", "xyz"};
  for (const auto& a : words) {
    for (const auto& b : words) EXPECT_EQ(EditDistance(a, b), EditDistance(b, a)) << a << " " << b;
  }
}

// The nearest candidate within the bound, the first of equally near ones;
// none past the bound or without candidates.
TEST(SuggestTest, ClosestMatchIsTheFirstNearestWithinTheBound) {
  const std::vector<std::string> names = {"build", "push", "pull", "inspect"};
  EXPECT_EQ(ClosestMatch("biuld", names, 1), "build");
  EXPECT_EQ(ClosestMatch("pulh", names, 1), "push");  // one from push and from pull: the first
  EXPECT_EQ(ClosestMatch("inspcet", names, 1), "inspect");
  EXPECT_FALSE(ClosestMatch("frobnicate", names, 3).has_value());
  EXPECT_FALSE(ClosestMatch("bld", names, 1).has_value());
  EXPECT_EQ(ClosestMatch("bld", names, 2), "build");
  EXPECT_FALSE(ClosestMatch("build", {}, 5).has_value());
}

}  // namespace
}  // namespace ocib
