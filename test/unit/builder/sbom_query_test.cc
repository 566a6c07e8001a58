// Finding referrers and SBOMs (lib/builder/sbom_query.cc, ocib/sbom_query.h)
// in a layout and, through the in-memory registry of
// test/registry/fake_registry.h, in a registry: which subjects are listed,
// the artifact type filter, which platform's SBOM is chosen, and the
// errors.
#include "ocib/sbom_query.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/oci_layout.h"
#include "ocib/push.h"
#include "ocib/reference.h"
#include "ocib/referrers.h"
#include "ocib/sbom.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;
using fake::TestImage;
using nlohmann::json;

class LayoutQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/layout";
    img_ = MakeImage(dir_);
  }
  testing::ScopedTempDir tmp_;
  std::string dir_;
  TestImage img_;
};

// One line per referrer: the index's first, then each manifest's, each
// naming its subject and carrying the referrer's descriptor.
TEST_F(LayoutQueryTest, ReferrersOfTheIndexThenOfEachManifest) {
  auto lines = LayoutReferrers("oci:" + dir_ + ":v1");
  ASSERT_TRUE(lines) << lines.error().ToString();
  ASSERT_EQ(lines->size(), 3u);
  const Descriptor* want_subjects[] = {&img_.index, &img_.manifests[0], &img_.manifests[1]};
  const Descriptor* want_referrers[] = {&img_.index_referrer, &img_.sboms[0], &img_.sboms[1]};
  for (size_t i = 0; i < 3; ++i) {
    json j = json::parse((*lines)[i]);
    EXPECT_EQ(j["subject"], want_subjects[i]->digest.ToString()) << (*lines)[i];
    EXPECT_EQ(j["digest"], want_referrers[i]->digest.ToString()) << (*lines)[i];
    EXPECT_EQ(j["artifactType"], want_referrers[i]->artifact_type) << (*lines)[i];
  }
}

// The artifact type filter keeps only the referrers of that type; a tag
// naming one platform manifest lists only its referrers.
TEST_F(LayoutQueryTest, ReferrersFilteredByTypeAndBySubject) {
  auto spdx = LayoutReferrers("oci:" + dir_ + ":v1", std::string(kSpdxJsonMediaType));
  ASSERT_TRUE(spdx) << spdx.error().ToString();
  ASSERT_EQ(spdx->size(), 2u);
  for (const std::string& line : *spdx) {
    EXPECT_EQ(json::parse(line)["artifactType"], "application/spdx+json") << line;
  }
  auto none = LayoutReferrers("oci:" + dir_ + ":v1", "application/x-none");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  auto layout = OciLayout::OpenOrCreate(dir_);
  ASSERT_TRUE(layout);
  ASSERT_TRUE((*layout)->Tag(img_.manifests[1], "arm").has_value());
  auto one = LayoutReferrers("oci:" + dir_ + ":arm");
  ASSERT_TRUE(one) << one.error().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(json::parse((*one)[0])["digest"], img_.sboms[1].digest.ToString());
}

// The SBOM of the platform asked for; with several platforms and none
// asked for, linux/amd64's; a platform the index lacks is kNotFound.
TEST_F(LayoutQueryTest, SbomOfThePlatformAskedForOrLinuxAmd64) {
  auto arm = LayoutSbom("oci:" + dir_ + ":v1", "linux/arm64");
  ASSERT_TRUE(arm) << arm.error().ToString();
  EXPECT_EQ(*arm, R"({"spdxVersion":"SPDX-2.3","name":"arm64"})");
  auto any = LayoutSbom("oci:" + dir_ + ":v1", "");
  ASSERT_TRUE(any) << any.error().ToString();
  EXPECT_EQ(*any, R"({"spdxVersion":"SPDX-2.3","name":"amd64"})");
  auto missing = LayoutSbom("oci:" + dir_ + ":v1", "linux/s390x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().ToString().find("no image for platform linux/s390x"), std::string::npos)
      << missing.error().ToString();
  auto bad = LayoutSbom("oci:" + dir_ + ":v1", "not a platform");
  EXPECT_FALSE(bad);
}

// A single manifest's SBOM is found without a platform; an image without
// any SBOM is kNotFound, and a CycloneDX one is taken when there is no SPDX.
TEST_F(LayoutQueryTest, SingleManifestAndImageWithoutSbom) {
  auto layout = OciLayout::OpenOrCreate(dir_);
  ASSERT_TRUE(layout);
  ASSERT_TRUE((*layout)->Tag(img_.manifests[1], "arm").has_value());
  auto arm = LayoutSbom("oci:" + dir_ + ":arm", "");
  ASSERT_TRUE(arm) << arm.error().ToString();
  EXPECT_EQ(*arm, R"({"spdxVersion":"SPDX-2.3","name":"arm64"})");

  const std::string other = tmp_.path() + "/other";
  TestImage plain = MakeImage(other);
  auto o = OciLayout::OpenOrCreate(other);
  ASSERT_TRUE(o);
  Descriptor bare = plain.index_referrer;  // an artifact manifest: no referrers of its own
  ASSERT_TRUE((*o)->Tag(bare, "bare").has_value());
  auto none = LayoutSbom("oci:" + other + ":bare", "");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(none.error().ToString().find("has no SBOM"), std::string::npos)
      << none.error().ToString();
  auto cdx = AttachArtifact(**o, bare, kCycloneDxJsonMediaType, R"({"bomFormat":"CycloneDX"})", {});
  ASSERT_TRUE(cdx);
  ASSERT_TRUE(AddReferrerToLayout(**o, *cdx).has_value());
  auto got = LayoutSbom("oci:" + other + ":bare", "");
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(*got, R"({"bomFormat":"CycloneDX"})");
}

// A reference that is not a layout, or a missing tag, is an error.
TEST_F(LayoutQueryTest, BadReferencesAreErrors) {
  EXPECT_FALSE(LayoutReferrers("oci:" + dir_ + ":absent"));
  EXPECT_FALSE(LayoutSbom("oci:" + tmp_.path() + "/none:v1", ""));
}

// Moved from test/registry/referrers_push_test.cc: RegistrySbom and
// RegistryReferrers read what Push wrote, with and without the referrers
// API, and answer as the layout queries do.
TEST(SbomQueryTest, RegistrySbomAndReferrersReadWhatPushWrote) {
  for (bool api : {true, false}) {
    testing::ScopedTempDir tmp;
    TestImage img = MakeImage(tmp.path() + "/layout");
    auto reg = std::make_shared<FakeRegistry>();
    reg->referrers_api = api;
    ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg)));
    auto ref = Reference::Parse("reg.test/app:v1");
    ASSERT_TRUE(ref.has_value());
    auto sbom = RegistrySbom(*ref, "linux/arm64", Options(reg));
    ASSERT_TRUE(sbom.has_value()) << sbom.error().ToString();
    EXPECT_EQ(*sbom, R"({"spdxVersion":"SPDX-2.3","name":"arm64"})");
    auto remote = RegistryReferrers(*ref, Options(reg));
    ASSERT_TRUE(remote.has_value()) << remote.error().ToString();
    auto local = LayoutReferrers("oci:" + tmp.path() + "/layout:v1");
    ASSERT_TRUE(local.has_value());
    EXPECT_EQ(*remote, *local) << "api=" << api;
    auto missing = RegistrySbom(*ref, "linux/s390x", Options(reg));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  }
}

// A registry that sends other bytes than the SBOM layer's digest is
// kDataLoss naming the layer, never the wrong document.
TEST(SbomQueryTest, RegistrySbomVerifiesTheLayer) {
  testing::ScopedTempDir tmp;
  TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg)));
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/layout");
  ASSERT_TRUE(layout);
  auto m = Manifest::Parse(*(*layout)->ReadAll(img.sboms[0].digest));
  ASSERT_TRUE(m);
  const std::string key = "app@" + m->layers.at(0).digest.ToString();
  ASSERT_EQ(reg->blobs.count(key), 1u);
  reg->blobs[key] = R"({"spdxVersion":"SPDX-2.3","name":"evil!"})";
  auto sbom = RegistrySbom(*Reference::Parse("reg.test/app:v1"), "linux/amd64", Options(reg));
  ASSERT_FALSE(sbom);
  EXPECT_EQ(sbom.error().code(), ErrorCode::kDataLoss);
  EXPECT_NE(sbom.error().ToString().find(m->layers.at(0).digest.ToString()), std::string::npos)
      << sbom.error().ToString();
}

}  // namespace
}  // namespace ocib
