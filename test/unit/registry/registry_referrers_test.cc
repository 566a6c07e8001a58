// Referrers in registries (lib/registry/registry_referrers.cc,
// ocib/registry_referrers.h) against the in-memory registry of
// test/registry/fake_registry.h: PushReferrer with and without the
// referrers API, listings that page and filter, and the fallback tag that
// keeps foreign entries and refuses what is not an index.
#include "ocib/registry_referrers.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/push.h"
#include "ocib/referrers.h"
#include "ocib/sbom.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;
using fake::Request;
using fake::TestImage;

// PushReferrer with the referrers API: the registry's OCI-Subject answer
// means no fallback tag; without the API, the referrer lands in the
// subject's fallback index. A document that is not of its media type is
// refused before any request.
TEST(RegistryReferrersTest, PushReferrerUsesTheFallbackTagOnlyWithoutTheApi) {
  for (bool api : {true, false}) {
    SCOPED_TRACE(api ? "referrers API" : "fallback tag");
    auto reg = std::make_shared<FakeRegistry>();
    reg->referrers_api = api;
    auto client = RegistryClient::Create("reg.test", Options(reg));
    ASSERT_TRUE(client.has_value());
    const Descriptor subject = DescribeBytes(media_type::kImageManifest, "subject");
    auto art = MakeArtifactManifest(subject, kSpdxJsonMediaType, kSpdxJsonMediaType, "{}",
                                    {{"org.example.k", "v"}});
    ASSERT_TRUE(art.has_value()) << art.error().ToString();
    reg->blobs["app@" + EmptyJsonDescriptor().digest.ToString()] = "{}";
    auto d =
        PushReferrer(**client, "app", art->manifest.descriptor.media_type, art->manifest.bytes);
    ASSERT_TRUE(d.has_value()) << d.error().ToString();
    EXPECT_EQ(d->digest, art->manifest.descriptor.digest);
    EXPECT_EQ(d->artifact_type, kSpdxJsonMediaType);
    EXPECT_EQ(d->annotations.at("org.example.k"), "v");
    EXPECT_EQ(reg->manifests.count("app@" + d->digest.ToString()), 1u);
    const std::string tag = "app:" + ReferrersTagFor(subject.digest);
    ASSERT_EQ(reg->tags.count(tag), api ? 0u : 1u);
    if (!api) {
      auto index = Index::Parse(reg->manifests.at("app@" + reg->tags.at(tag)).bytes);
      ASSERT_TRUE(index.has_value());
      ASSERT_EQ(index->manifests.size(), 1u);
      EXPECT_EQ(index->manifests[0].digest, d->digest);
    }
    reg->ClearLog();
    EXPECT_THAT(
        PushReferrer(**client, "app", std::string(media_type::kImageIndex), art->manifest.bytes),
        StatusIs(ErrorCode::kInvalidArgument, ::testing::_));
  }
}

TEST(RegistryReferrersTest, ListingFollowsPagesAndFiltersWhatTheRegistryDidNot) {
  ScopedTempDir tmp;
  TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg)));
  auto client = RegistryClient::Create("reg.test", Options(reg));
  ASSERT_TRUE(client.has_value());
  auto art = MakeArtifactManifest(img.manifests[0], kCycloneDxJsonMediaType,
                                  kCycloneDxJsonMediaType, "{}", {});
  ASSERT_TRUE(art.has_value());
  ASSERT_TRUE(
      PushReferrer(**client, "app", art->manifest.descriptor.media_type, art->manifest.bytes));
  reg->page_and_ignore_filter = true;
  reg->ClearLog();
  auto all = ListRegistryReferrers(**client, "app", img.manifests[0].digest);
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  EXPECT_EQ(all->size(), 2u);
  auto spdx = ListRegistryReferrers(**client, "app", img.manifests[0].digest, kSpdxJsonMediaType);
  ASSERT_TRUE(spdx.has_value());
  ASSERT_EQ(spdx->size(), 1u);
  EXPECT_EQ((*spdx)[0].digest, img.sboms[0].digest);
  int pages = 0;
  for (const Request& r : reg->log()) pages += r.path.find("/referrers/") != std::string::npos;
  EXPECT_EQ(pages, 4);
}

TEST(RegistryReferrersTest, FallbackTagKeepsForeignEntriesAndRefusesNonIndexesUnlessAsked) {
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  auto client = RegistryClient::Create("reg.test", Options(reg));
  ASSERT_TRUE(client.has_value());
  Digest subject = Digest::Sha256Of("subject");
  std::string tag = ReferrersTagFor(subject);
  // An index written by another tool: extra fields on an entry, its order.
  std::string foreign =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      Digest::Sha256Of("other").ToString() +
      R"(","size":5,"artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json",)"
      R"("annotations":{"dev.sigstore.cosign/signature":"MEUC"}}]})";
  ASSERT_TRUE((*client)->PutManifest("app", tag, std::string(media_type::kImageIndex), foreign));
  Descriptor mine = DescribeBytes(media_type::kImageManifest, "mine");
  mine.artifact_type = std::string(kSpdxJsonMediaType);
  ASSERT_TRUE(AddToReferrersFallbackTag(**client, "app", subject, mine).has_value());
  auto index = Index::Parse(reg->manifests.at("app@" + reg->tags.at("app:" + tag)).bytes);
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->manifests[0].digest, Digest::Sha256Of("other"));
  EXPECT_EQ(index->manifests[0].annotations.at("dev.sigstore.cosign/signature"), "MEUC");
  EXPECT_EQ(index->manifests[1].digest, mine.digest);

  // A tag that holds an image manifest is not a referrers index.
  Digest other = Digest::Sha256Of("other subject");
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = EmptyJsonDescriptor();
  ASSERT_TRUE((*client)->PutManifest("app", ReferrersTagFor(other),
                                     std::string(media_type::kImageManifest), m.Serialize()));
  const std::string before = reg->tags.at("app:" + ReferrersTagFor(other));
  auto bad = AddToReferrersFallbackTag(**client, "app", other, mine);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kAlreadyExists);
  // The refusal says what is there, and nothing was changed.
  const std::string text = bad.error().ToString();
  EXPECT_NE(text.find(ReferrersTagFor(other)), std::string::npos) << text;
  EXPECT_NE(text.find(std::string(media_type::kImageManifest)), std::string::npos) << text;
  EXPECT_NE(text.find(before), std::string::npos) << text;
  EXPECT_EQ(reg->tags.at("app:" + ReferrersTagFor(other)), before);

  // Replacing it is asked for explicitly.
  RegistryOptions replace = Options(reg);
  replace.replace_referrers_tag = true;
  auto replacing = RegistryClient::Create("reg.test", replace);
  ASSERT_TRUE(replacing.has_value());
  ASSERT_TRUE(AddToReferrersFallbackTag(**replacing, "app", other, mine).has_value());
  auto replaced =
      Index::Parse(reg->manifests.at("app@" + reg->tags.at("app:" + ReferrersTagFor(other))).bytes);
  ASSERT_TRUE(replaced.has_value());
  ASSERT_EQ(replaced->manifests.size(), 1u);
  EXPECT_EQ(replaced->manifests[0].digest, mine.digest);
}

}  // namespace
}  // namespace ocib
