// The value types of a BuildSpec and their text forms (lib/builder/build_spec.cc),
// and BuildImage taking typed values: no text of a command line involved.
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocib/image_builder.h"
#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/oci_layout.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

TEST(BuildBaseTest, ParsesTheTwoWordsAndLocations) {
  auto s = ParseBuildBase("static");
  ASSERT_THAT(s, IsOk());
  EXPECT_TRUE(std::holds_alternative<StaticBase>(*s));
  auto scratch = ParseBuildBase("scratch");
  ASSERT_THAT(scratch, IsOk());
  EXPECT_TRUE(std::holds_alternative<ScratchBase>(*scratch));
  auto layout = ParseBuildBase("oci:/b:v1");
  ASSERT_THAT(layout, IsOk());
  const ImageLocation& where = std::get<ImageLocation>(*layout);
  ASSERT_NE(where.layout(), nullptr);
  EXPECT_EQ(where.layout()->path, "/b");
  EXPECT_EQ(where.layout()->tag, "v1");
  auto reg = ParseBuildBase("registry.example/base:1");
  ASSERT_THAT(reg, IsOk());
  EXPECT_NE(std::get<ImageLocation>(*reg).registry(), nullptr);
  EXPECT_THAT(ParseBuildBase("oci:"), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("base")));
  EXPECT_EQ(BuildBaseName(StaticBase{}), "static");
  EXPECT_EQ(BuildBaseName(ScratchBase{}), "scratch");
  EXPECT_EQ(BuildBaseName(*layout), "oci:/b:v1");
}

TEST(FileMappingTest, SplitsAtTheLastColon) {
  auto f = FileMapping::Parse("C:/dir:with:colons:/etc/app");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->source, "C:/dir:with:colons");
  EXPECT_EQ(f->destination, "/etc/app");
  EXPECT_EQ(f->ToString(), "C:/dir:with:colons:/etc/app");
  for (const char* bad : {"nodest", ":/etc", "src:", ""}) {
    EXPECT_THAT(FileMapping::Parse(bad),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("want SRC:DEST")))
        << bad;
  }
}

TEST(ExposedPortTest, ParsesBoundsAndProtocols) {
  auto p = ExposedPort::Parse("8080");
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->port, 8080);
  EXPECT_EQ(p->protocol, "tcp");
  EXPECT_EQ(p->ToString(), "8080/tcp");
  for (const char* good : {"1", "65535", "53/udp", "9/sctp", "80/tcp"}) {
    EXPECT_THAT(ExposedPort::Parse(good), IsOk()) << good;
  }
  EXPECT_EQ(ExposedPort::Parse("65535")->port, 65535);
  EXPECT_EQ(ExposedPort::Parse("1/udp")->ToString(), "1/udp");
  for (const char* bad : {"0", "65536", "99999", "123456", "", "8a", "-1", "/tcp"}) {
    EXPECT_THAT(ExposedPort::Parse(bad),
                StatusIs(ErrorCode::kInvalidArgument, HasSubstr("must be 1-65535")))
        << bad;
  }
  EXPECT_THAT(ExposedPort::Parse("80/http"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("tcp, udp or sctp")));
}

class BuildSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(tmp_.path() + "/app", "#!/bin/sh\necho hi\n");
    WriteFileOrDie(tmp_.path() + "/app.conf", "x=1\n");
    spec_.base = ScratchBase{};
    spec_.binaries = {{*Platform::Parse("linux/amd64"), tmp_.path() + "/app"}};
    spec_.binary_unchecked = true;
    spec_.no_cache = true;
    spec_.sbom.reset();
    spec_.output = ImageLocation{LayoutLocation{tmp_.path() + "/out", "v1", true, ""}};
  }
  ScopedTempDir tmp_;
  BuildSpec spec_;
};

// Typed values go into the config as they are; a typed tool never writes
// "K=V" or "SRC:DEST" text.
TEST_F(BuildSpecTest, TypedValuesReachTheConfig) {
  spec_.env = {{"MODE", "a=b"}, {"PATH", "/app"}};
  spec_.labels = {{"tier", "web"}, {"tier", "db"}};  // the later one wins
  spec_.expose = {{8080, "tcp"}, {53, "udp"}};
  spec_.files = {{tmp_.path() + "/app.conf", "/etc/app.conf"}};
  auto r = BuildImage(spec_);
  ASSERT_THAT(r, IsOk());
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  auto m = Manifest::Parse(*(*layout)->ReadAll(r->descriptor.digest));
  ASSERT_THAT(m, IsOk());
  auto c = ImageConfig::Parse(*(*layout)->ReadAll(m->config.digest));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->config.env, (std::vector<std::string>{"MODE=a=b", "PATH=/app"}));
  EXPECT_EQ(c->config.labels.at("tier"), "db");
  EXPECT_EQ(c->config.exposed_ports, (std::set<std::string>{"53/udp", "8080/tcp"}));
  EXPECT_EQ(m->layers.size(), 2u);  // the shared file and the binary
}

TEST_F(BuildSpecTest, BadTypedValuesAreRefusedWithoutNamingAFlag) {
  struct Case {
    const char* name;
    std::function<void(BuildSpec&)> mutate;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"key with =",
       [](BuildSpec& s) {
         s.env = {{"A=B", "1"}};
       },
       "contain no '='"},
      {"empty label key",
       [](BuildSpec& s) {
         s.labels = {{"", "1"}};
       },
       "non-empty"},
      {"port 0",
       [](BuildSpec& s) {
         s.expose = {{0, "tcp"}};
       },
       "must be 1-65535"},
      {"protocol",
       [](BuildSpec& s) {
         s.expose = {{80, "quic"}};
       },
       "tcp, udp or sctp"},
      {"two binaries", [&](BuildSpec& s) { s.binaries.push_back(s.binaries[0]); },
       "two binaries for linux/amd64"},
      {"platform twice",
       [](BuildSpec& s) {
         s.platforms = {*Platform::Parse("linux/amd64"), *Platform::Parse("linux/amd64")};
       },
       "listed twice"},
      {"no binary",
       [](BuildSpec& s) {
         s.platforms = {*Platform::Parse("linux/amd64"), *Platform::Parse("linux/arm64")};
       },
       "linux/arm64 has no binary"},
      {"unlisted binary",
       [&](BuildSpec& s) {
         s.platforms = {*Platform::Parse("linux/amd64")};
         s.binaries.emplace_back(*Platform::Parse("linux/arm64"), tmp_.path() + "/app");
       },
       "not a platform of the build"},
      {"no platforms", [](BuildSpec& s) { s.binaries.clear(); }, "no platforms"},
      {"no output", [](BuildSpec& s) { s.output.reset(); }, "no output"},
      {"output by digest",
       [&](BuildSpec& s) {
         s.output = ImageLocation{
             LayoutLocation{tmp_.path() + "/o", "", false, "sha256:" + std::string(64, 'a')}};
       },
       "written by tag"},
      {"level", [](BuildSpec& s) { s.compression_level = 20; }, "compression level 20"},
      {"all without go", [](BuildSpec& s) { s.all_platforms = true; }, "Go package"},
      {"go and binaries", [](BuildSpec& s) { s.go_package = "./cmd"; }, "cannot be combined"},
  };
  for (const Case& c : cases) {
    BuildSpec s = spec_;
    c.mutate(s);
    auto r = BuildImage(s);
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << c.name;
    EXPECT_THAT(r.error().ToString(), HasSubstr(c.want)) << c.name;
    EXPECT_EQ(r.error().ToString().find("--"), std::string::npos)
        << c.name << ": " << r.error().ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/out")) << "nothing written";
}

}  // namespace
}  // namespace ocib
