#include <nlohmann/json.hpp>

#include "ocib/digest.h"
#include "ocib/platform.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::FixturePath;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(DigestTest, GoDigestParseVectors) {
  json v = json::parse(ReadFileOrDie(FixturePath("vectors/go-digest/parse_digest.json")));
  int checked = 0;
  for (const auto& c : v["cases"]) {
    std::string input = c["input"];
    auto d = Digest::Parse(input);
    std::string err = c.value("error", "");
    std::string alg = c.value("algorithm", "");
    if (err.empty() && !alg.empty() && !Digest::IsSupportedAlgorithm(alg)) {
      // go-digest knows more algorithms (sha384); ocib refuses what it
      // does not verify.
      EXPECT_THAT(d, StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not supported"))) << input;
    } else if (err.empty()) {
      ASSERT_THAT(d, IsOk()) << input;
      EXPECT_EQ(d->algorithm(), c["algorithm"].get<std::string>());
      EXPECT_EQ(d->encoded(), c["encoded"].get<std::string>());
      EXPECT_EQ(d->ToString(), input);
    } else if (err == "digest.ErrDigestUnsupported") {
      // Refused by go-digest and by ocib: no verifier for the algorithm.
      EXPECT_THAT(d, StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not supported"))) << input;
    } else {
      EXPECT_FALSE(d.has_value()) << input << " should fail with " << err;
      if (!d) {
        EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(DigestTest, Sha256OfKnownValues) {
  EXPECT_EQ(Digest::Sha256Of("").ToString(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Digest::Sha256Of("{}").ToString(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  Sha256Hasher h;
  h.Update("{");
  h.Update("}");
  EXPECT_EQ(h.Finish(), Digest::Sha256Of("{}"));
}

TEST(DigestTest, RejectsUppercaseAndBadLength) {
  EXPECT_THAT(Digest::Parse("sha256:ABCDEF"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(Digest::Parse(std::string("sha256:") + std::string(64, 'A')),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("lower-case")));
  EXPECT_THAT(Digest::Parse("nocolon"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("missing ':'")));
}

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
