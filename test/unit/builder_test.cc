#include <filesystem>
#include <map>

#include "ocib/image_builder.h"
#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/validate.h"

#include "test/testing/build_options.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

using ::ocib::testing::BuildImage;
using ::ocib::testing::BuildOptions;

using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    out[e.path().string()] = e.is_regular_file() ? ReadFileOrDie(e.path().string()) : "<dir>";
  }
  return out;
}

class BuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(tmp_.path() + "/bin-amd64", std::string(5000, 'a'));
    WriteFileOrDie(tmp_.path() + "/bin-arm64", std::string(5000, 'b'));
    WriteFileOrDie(tmp_.path() + "/conf/app.conf", "x=1\n");
    options_.binaries = {{"linux/amd64", tmp_.path() + "/bin-amd64"},
                         {"linux/arm64", tmp_.path() + "/bin-arm64"}};
    options_.files = {tmp_.path() + "/conf:/etc/app"};
    options_.output = "oci:" + tmp_.path() + "/out:v1";
    options_.source_date_epoch = 1700000000;
    options_.binary_unchecked = true;  // stand-in bytes, not executables
  }
  ScopedTempDir tmp_;
  BuildOptions options_;
};

TEST_F(BuilderTest, TwoPlatformsGiveAnIndexWithASharedLayer) {
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->descriptor.media_type, media_type::kImageIndex);
  ASSERT_EQ(r->images.size(), 2u);
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  std::vector<Manifest> ms;
  for (const auto& img : r->images) {
    auto m = Manifest::Parse(*(*layout)->ReadAll(img.manifest.digest));
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->layers.size(), 3u);  // base, shared, binary
    auto cfg = ImageConfig::Parse(*(*layout)->ReadAll(m->config.digest));
    ASSERT_THAT(cfg, IsOk());
    EXPECT_EQ(cfg->created, "2023-11-14T22:13:20Z");
    EXPECT_EQ(cfg->config.user, "65532:65532");
    EXPECT_EQ(cfg->history.size(), 3u);
    ms.push_back(*m);
  }
  EXPECT_EQ(ms[0].layers[1].digest, ms[1].layers[1].digest) << "the shared layer is shared";
  EXPECT_EQ(ms[0].layers[0].digest, ms[1].layers[0].digest) << "the base layer is shared";
  EXPECT_NE(ms[0].layers[2].digest, ms[1].layers[2].digest);
  EXPECT_EQ(r->images[1].platform.ToString(), "linux/arm64/v8");
  auto v = ValidateLayout(tmp_.path() + "/out");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->problems.empty());
}

TEST_F(BuilderTest, OnePlatformGivesAManifest) {
  options_.binaries.pop_back();
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->descriptor.media_type, media_type::kImageManifest);
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].manifest.digest, r->descriptor.digest);
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  auto tagged = (*layout)->Resolve("v1");
  ASSERT_THAT(tagged, IsOk());
  EXPECT_EQ(tagged->digest, r->descriptor.digest);
  auto bytes = (*layout)->ReadAll(r->descriptor.digest);
  ASSERT_THAT(bytes, IsOk());
  auto m = Manifest::Parse(*bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->config.media_type, media_type::kImageConfig);
  ASSERT_EQ(m->layers.size(), 3u);  // base, shared, binary
  for (const auto& layer : m->layers) {
    EXPECT_EQ(layer.media_type, media_type::kLayerTarZstd);  // the default
    EXPECT_GT(layer.size, 0);
  }
  auto cfg_bytes = (*layout)->ReadAll(m->config.digest);
  ASSERT_THAT(cfg_bytes, IsOk());
  auto cfg = ImageConfig::Parse(*cfg_bytes);
  ASSERT_THAT(cfg, IsOk());
  EXPECT_EQ(cfg->os, "linux");
  EXPECT_EQ(cfg->architecture, "amd64");
  EXPECT_EQ(cfg->diff_ids.size(), m->layers.size());
  EXPECT_EQ(cfg->history.size(), m->layers.size());
  EXPECT_EQ(cfg->created, "2023-11-14T22:13:20Z");
  EXPECT_EQ(r->images[0].platform.ToString(), "linux/amd64");
  auto v = ValidateLayout(tmp_.path() + "/out");
  ASSERT_THAT(v, IsOk());
  EXPECT_TRUE(v->problems.empty());
}

TEST_F(BuilderTest, BadInputLeavesLayoutUnchanged) {
  ASSERT_THAT(BuildImage(options_), IsOk());
  auto before = Snapshot(tmp_.path() + "/out");
  struct Case {
    std::string name;
    std::function<void(BuildOptions&)> mutate;
    ErrorCode code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"missing binary", [&](BuildOptions& o) { o.binaries[0].second = tmp_.path() + "/nope"; },
       ErrorCode::kNotFound, "nope"},
      {"directory binary", [&](BuildOptions& o) { o.binaries[0].second = tmp_.path() + "/conf"; },
       ErrorCode::kInvalidArgument, "is a directory"},
      {"platform without binary",
       [](BuildOptions& o) { o.platforms = {"linux/amd64,linux/arm64,linux/s390x"}; },
       ErrorCode::kInvalidArgument, "linux/s390x has no binary"},
      {"unknown platform", [](BuildOptions& o) { o.binaries[0].first = "linux/amd46"; },
       ErrorCode::kInvalidArgument, "amd46"},
      {"escaping file", [&](BuildOptions& o) { o.files = {tmp_.path() + "/conf:../x"}; },
       ErrorCode::kInvalidArgument, "escapes"},
      {"escaping file abs", [&](BuildOptions& o) { o.files = {tmp_.path() + "/conf:/../x"}; },
       ErrorCode::kInvalidArgument, "escapes"},
      {"bad env", [](BuildOptions& o) { o.env = {"NOEQUALS"}; }, ErrorCode::kInvalidArgument,
       "KEY=VALUE"},
      {"bad port", [](BuildOptions& o) { o.expose = {"99999"}; }, ErrorCode::kInvalidArgument,
       "port"},
      {"bad base", [](BuildOptions& o) { o.base = "oci:/nonexistent/ocib"; }, ErrorCode::kNotFound,
       "oci-layout"},
  };
  for (const auto& c : cases) {
    BuildOptions o = options_;
    o.output = "oci:" + tmp_.path() + "/out:other";
    c.mutate(o);
    EXPECT_THAT(BuildImage(o), StatusIs(c.code, HasSubstr(c.message))) << c.name;
    EXPECT_EQ(Snapshot(tmp_.path() + "/out"), before) << c.name;
  }
}

TEST_F(BuilderTest, CorruptIndexIsReportedAndKept) {
  ASSERT_THAT(BuildImage(options_), IsOk());
  WriteFileOrDie(tmp_.path() + "/out/index.json", "{\"schemaVersion\":2,");
  auto before = Snapshot(tmp_.path() + "/out");
  EXPECT_THAT(BuildImage(options_), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("index.json")));
  EXPECT_EQ(Snapshot(tmp_.path() + "/out"), before);
}

TEST_F(BuilderTest, BaseFromLayoutReusesItsBlobs) {
  BuildOptions base = options_;
  base.files.clear();
  base.output = "oci:" + tmp_.path() + "/base:b";
  ASSERT_THAT(BuildImage(base), IsOk());
  options_.base = "oci:" + tmp_.path() + "/base:b";
  auto r = BuildImage(options_);
  ASSERT_THAT(r, IsOk());
  auto layout = OciLayout::Open(tmp_.path() + "/out");
  auto blayout = OciLayout::Open(tmp_.path() + "/base");
  for (size_t i = 0; i < 2; ++i) {
    auto m = Manifest::Parse(*(*layout)->ReadAll(r->images[i].manifest.digest));
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->layers.size(), 4u);  // base's 2 + shared + binary
    EXPECT_TRUE(*(*blayout)->Has(m->layers[0].digest));
    EXPECT_TRUE(*(*blayout)->Has(m->layers[1].digest));
    EXPECT_EQ(m->annotations.count("org.opencontainers.image.base.digest"), 1u);
  }
  EXPECT_EQ(r->images[1].platform.variant, "v8");
}

TEST(SourceDateEpochTest, Parse) {
  EXPECT_EQ(*ParseSourceDateEpoch("1700000000"), 1700000000);
  EXPECT_THAT(ParseSourceDateEpoch(""), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseSourceDateEpoch("-1"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("whole number")));
  EXPECT_THAT(ParseSourceDateEpoch("1.5"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("whole number")));
  EXPECT_THAT(ParseSourceDateEpoch("99999999999999999999"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("large")));
}

}  // namespace
}  // namespace ocib
