// Platforms (lib/core/platform.cc), against containerd's own test vectors.
#include "ocib/platform.h"

#include <nlohmann/json.hpp>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::FixturePath;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

Platform FromVector(const json& j) {
  Platform p;
  p.os = j.value("OS", "");
  p.architecture = j.value("Architecture", "");
  p.variant = j.value("Variant", "");
  return p;
}

TEST(PlatformTest, ContainerdSelectorVectors) {
  json v =
      json::parse(ReadFileOrDie(FixturePath("vectors/containerd-platforms/parse_selector.json")));
  int checked = 0;
  for (const auto& c : v["cases"]) {
    if (c.value("skip", false)) continue;
    std::string input = c["input"];
    // ocib's platform flag is always os/arch[/variant]; host-default and
    // os-version forms are out of scope.
    if (input.find('/') == std::string::npos || input.find('(') != std::string::npos) continue;
    auto p = Platform::Parse(input);
    ASSERT_THAT(p, IsOk()) << input;
    Platform want = FromVector(c["expected"]);
    EXPECT_EQ(p->os, want.os) << input;
    EXPECT_EQ(p->architecture, want.architecture) << input;
    EXPECT_TRUE(p->Matches(want)) << input;
    for (const auto& m : c.value("matches", json::array())) {
      EXPECT_TRUE(p->Matches(FromVector(m))) << input << " should match " << m.dump();
    }
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(PlatformTest, Arm64MatchesV8AndNormalizesToIt) {
  auto a = Platform::Parse("linux/arm64");
  auto b = Platform::Parse("linux/arm64/v8");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(a->Matches(*b));
  EXPECT_EQ(a->Normalized().ToString(), "linux/arm64/v8");
  EXPECT_FALSE(Platform::Parse("linux/arm/v6")->Matches(*Platform::Parse("linux/arm/v7")));
  EXPECT_FALSE(a->Matches(*Platform::Parse("linux/amd64")));
}

// A bare digit variant of arm and arm64 is the "vN" spelling, for the digits
// 5 to 9 (both bounds) only.
TEST(PlatformTest, BareDigitVariantsOfArmAreNormalized) {
  EXPECT_EQ(Platform::Parse("linux/arm64/9")->variant, "v9");
  EXPECT_EQ(Platform::Parse("linux/arm64/8")->variant, "v8");
  EXPECT_EQ(Platform::Parse("linux/arm/5")->variant, "v5");
  EXPECT_EQ(Platform::Parse("linux/arm/7")->variant, "v7");
  // Outside 5-9 the digit stays as it is, which arm does not accept.
  EXPECT_THAT(Platform::Parse("linux/arm/4"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("4")));
  // Other architectures keep theirs.
  EXPECT_THAT(Platform::Parse("linux/amd64/3"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("3")));
}

TEST(PlatformTest, RejectsUnknownAndMalformed) {
  EXPECT_THAT(Platform::Parse("linux/amd65"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("amd65")));
  EXPECT_THAT(Platform::Parse("plan10/amd64"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("plan10")));
  EXPECT_THAT(Platform::Parse("linux"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("os/arch")));
  EXPECT_THAT(Platform::Parse("linux//"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(Platform::Parse("linux/arm64/v5"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("v5")));
}

TEST(PlatformTest, ParseListRejectsDuplicates) {
  auto l = Platform::ParseList("linux/amd64,linux/arm64");
  ASSERT_THAT(l, IsOk());
  EXPECT_EQ(l->size(), 2u);
  EXPECT_THAT(Platform::ParseList("linux/arm64,linux/arm64/v8"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("twice")));
}

}  // namespace
}  // namespace ocib
