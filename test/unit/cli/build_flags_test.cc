// `ocib build`'s flag text into a BuildSpec (cli/build_flags.cc): each
// message names the flag to fix.
#include "cli/build_flags.h"

#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::cli {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

TEST(BuildFlagsTest, TextsBecomeTypedValues) {
  BuildTexts t;
  t.base = "oci:/b:v1";
  t.platforms = {"linux/amd64,linux/arm64"};
  t.binaries = {"linux/amd64=/x/a", "linux/arm64=/x/b=c"};
  t.files = {"conf:/etc/conf"};
  t.env = {"A=1=2"};
  t.labels = {"k=v"};
  t.annotations = {"org.example=y"};
  t.expose = {"80", "53/udp"};
  t.output = "oci-archive:/o.tar:v2";
  t.tags = {"registry.example/app:1"};
  t.sbom = "cyclonedx";
  t.compression = "gzip";
  BuildSpec s;
  ASSERT_THAT(ParseBuildTexts(t, s), IsOk());
  EXPECT_EQ(BuildBaseName(s.base), "oci:/b:v1");
  ASSERT_EQ(s.platforms.size(), 2u);
  EXPECT_EQ(s.platforms[1].ToString(), "linux/arm64");
  ASSERT_EQ(s.binaries.size(), 2u);
  EXPECT_EQ(s.binaries[1].second, "/x/b=c");
  EXPECT_EQ(s.files, (std::vector<FileMapping>{{"conf", "/etc/conf"}}));
  EXPECT_EQ(s.env, (KeyValues{{"A", "1=2"}}));
  EXPECT_EQ(s.labels, (KeyValues{{"k", "v"}}));
  EXPECT_EQ(s.annotations, (KeyValues{{"org.example", "y"}}));
  EXPECT_EQ(s.expose, (std::vector<ExposedPort>{{80, "tcp"}, {53, "udp"}}));
  ASSERT_TRUE(s.output.has_value());
  ASSERT_NE(s.output->archive(), nullptr);
  EXPECT_EQ(s.output->archive()->tag, "v2");
  ASSERT_EQ(s.tags.size(), 1u);
  EXPECT_EQ(s.tags[0].String(), "registry.example/app:1");
  EXPECT_EQ(s.sbom, std::optional<SbomFormat>(SbomFormat::kCycloneDx));
  EXPECT_EQ(s.compression, Compression::kGzip);

  BuildTexts none;
  none.sbom = "none";
  none.platforms = {"all"};
  ASSERT_THAT(ParseBuildTexts(none, s), IsOk());
  EXPECT_FALSE(s.sbom.has_value());
  EXPECT_TRUE(s.all_platforms);
  EXPECT_TRUE(s.platforms.empty());
  EXPECT_TRUE(std::holds_alternative<StaticBase>(s.base));
}

TEST(BuildFlagsTest, EachBadTextNamesItsFlag) {
  struct Case {
    std::function<void(BuildTexts&)> mutate;
    const char* want;
  };
  const std::vector<Case> cases = {
      {[](BuildTexts& t) { t.binaries = {"linux/amd64"}; }, "--binary \"linux/amd64\""},
      {[](BuildTexts& t) { t.binaries = {"linux/amd46=/x"}; }, "--binary"},
      {[](BuildTexts& t) {
         t.binaries = {"linux/amd64=/a", "linux/amd64=/b"};
       },
       "--binary given twice for linux/amd64"},
      {[](BuildTexts& t) {
         t.platforms = {"linux/amd64", "linux/amd64"};
       },
       "--platform lists linux/amd64 twice"},
      {[](BuildTexts& t) { t.platforms = {"linux/nope"}; }, "--platform"},
      {[](BuildTexts& t) { t.files = {"nodest"}; }, "--file"},
      {[](BuildTexts& t) { t.env = {"NOEQUALS"}; }, "--env \"NOEQUALS\": want KEY=VALUE"},
      {[](BuildTexts& t) { t.labels = {"=v"}; }, "--label"},
      {[](BuildTexts& t) { t.annotations = {"x"}; }, "--annotation"},
      {[](BuildTexts& t) { t.expose = {"99999"}; }, "--expose"},
      {[](BuildTexts& t) { t.output = "registry.example/app:1"; }, "--output"},
      {[](BuildTexts& t) { t.tags = {"oci:/x"}; }, "--tag"},
      {[](BuildTexts& t) { t.sbom = "spdy"; }, "--sbom \"spdy\""},
      {[](BuildTexts& t) { t.compression = "lz4"; }, "--compression"},
      {[](BuildTexts& t) { t.base = "oci:"; }, "--base"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    BuildTexts t;
    cases[i].mutate(t);
    BuildSpec s;
    EXPECT_THAT(ParseBuildTexts(t, s),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr(cases[i].want)))
        << "case " << i;
  }
}

TEST(BuildFlagsTest, ChecksNameTheFlagsToGive) {
  BuildSpec s;
  s.output = *ImageLocation::Parse("oci:/o");
  EXPECT_THAT(CheckBuildFlags(s),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("give --binary PLATFORM=PATH")));
  s.platforms = {*Platform::Parse("linux/arm64")};
  EXPECT_THAT(CheckBuildFlags(s),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("give --binary linux/arm64=PATH")));
  s.binaries = {{*Platform::Parse("linux/arm64"), "/a"}, {*Platform::Parse("linux/amd64"), "/b"}};
  EXPECT_THAT(CheckBuildFlags(s),
              StatusIs(ErrorCode::kInvalidArgument,
                       HasSubstr("--binary for linux/amd64 but --platform does not list it")));
  s.binaries.pop_back();
  EXPECT_THAT(CheckBuildFlags(s), IsOk());
  s.output.reset();
  EXPECT_THAT(CheckBuildFlags(s), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("--tag REF")));
  s.tags = {*Reference::Parse("registry.example/app:1")};
  EXPECT_THAT(CheckBuildFlags(s), IsOk());
  s.go_package = "./cmd";
  EXPECT_THAT(CheckBuildFlags(s), StatusIs(ErrorCode::kInvalidArgument,
                                           HasSubstr("--go and --binary cannot be combined")));
  s.binaries.clear();
  s.platforms.clear();
  EXPECT_THAT(CheckBuildFlags(s),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("--go needs --platform")));
  s.all_platforms = true;
  EXPECT_THAT(CheckBuildFlags(s), IsOk());
  s.go_package.clear();
  EXPECT_THAT(CheckBuildFlags(s),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("--platform all needs --go")));
}

}  // namespace
}  // namespace ocib::cli
