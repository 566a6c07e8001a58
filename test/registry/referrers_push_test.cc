// Referrers in registries (ocib/registry_referrers.h, and Push of a layout
// holding referrers) against an in-memory registry speaking the
// distribution API, with and without the referrers API: OCI-Subject, the
// sha256-<hex> fallback tag, /referrers listing with paging and filters.
#include <algorithm>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/pull.h"
#include "ocib/push.h"
#include "ocib/referrers.h"
#include "ocib/registry_referrers.h"
#include "ocib/sbom.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;
using fake::Request;
using fake::TestImage;

// With the referrers API, pushed referrers carry their subject and no fallback tag is written.
TEST(RegistryReferrersTest, PushWithReferrersApiSkipsTheFallbackTag) {
  testing::ScopedTempDir tmp;
  TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  auto pushed = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg));
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  EXPECT_EQ(pushed->root.digest, img.index.digest);
  ASSERT_EQ(pushed->referrers.size(), 3u);

  // Every referrer and its blobs are in the registry, each referrer after
  // its subject and before the tag.
  int tag_put = reg->Find("PUT", "/v2/app/manifests/v1");
  ASSERT_GE(tag_put, 0);
  for (size_t i = 0; i < img.sboms.size(); ++i) {
    int subject_put = reg->Find("PUT", "/v2/app/manifests/" + img.manifests[i].digest.ToString());
    int sbom_put = reg->Find("PUT", "/v2/app/manifests/" + img.sboms[i].digest.ToString());
    ASSERT_GE(subject_put, 0);
    EXPECT_GT(sbom_put, subject_put);
    EXPECT_LT(sbom_put, tag_put);
  }
  int index_put = reg->Find("PUT", "/v2/app/manifests/" + img.index.digest.ToString());
  int sig_put = reg->Find("PUT", "/v2/app/manifests/" + img.index_referrer.digest.ToString());
  ASSERT_GE(index_put, 0);
  EXPECT_GT(sig_put, index_put);
  EXPECT_LT(sig_put, tag_put);
  EXPECT_EQ(reg->blobs.count("app@" + std::string(kEmptyJsonDigest)), 1u);
  // The registry processed the subjects: no fallback tag was touched.
  for (const Request& r : reg->log()) {
    EXPECT_EQ(r.path.find("/manifests/sha256-"), std::string::npos) << r.method << " " << r.path;
  }

  // Listing goes through the referrers API, filtered by the registry.
  auto client = RegistryClient::Create("reg.test", Options(reg));
  ASSERT_TRUE(client.has_value());
  reg->ClearLog();
  auto refs = ListRegistryReferrers(**client, "app", img.manifests[1].digest, kSpdxJsonMediaType);
  ASSERT_TRUE(refs.has_value()) << refs.error().ToString();
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ((*refs)[0].digest, img.sboms[1].digest);
  EXPECT_EQ((*refs)[0].artifact_type, kSpdxJsonMediaType);
  EXPECT_EQ((*refs)[0].annotations.at("org.opencontainers.image.created"), "1970-01-01T00:00:00Z");
  EXPECT_GE(reg->Find("GET", "/v2/app/referrers/" + img.manifests[1].digest.ToString()), 0);
  auto none = ListRegistryReferrers(**client, "app", img.manifests[1].digest, "application/x-none");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());

  // A second push finds everything in place and sends HEAD requests only.
  reg->ClearLog();
  auto again = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg));
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  for (const Request& r : reg->log()) EXPECT_EQ(r.method, "HEAD") << r.path;
}

// With referrers off, Push sends the image and none of its referrers.
TEST(RegistryReferrersTest, PushWithoutReferrersPushesTheImageOnly) {
  testing::ScopedTempDir tmp;
  TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  CopyOptions copy;
  copy.referrers = false;
  auto pushed = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg), {},
                     std::nullopt, copy);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  EXPECT_EQ(pushed->root.digest, img.index.digest);
  EXPECT_TRUE(pushed->referrers.empty());
  EXPECT_GE(reg->Find("PUT", "/v2/app/manifests/v1"), 0);
  for (const auto& m : img.manifests) {
    EXPECT_GE(reg->Find("PUT", "/v2/app/manifests/" + m.digest.ToString()), 0);
  }
  // No referrer, no fallback tag, not even a look at one.
  for (const Request& r : reg->log()) {
    EXPECT_EQ(r.path.find("/manifests/sha256-"), std::string::npos) << r.method << " " << r.path;
    EXPECT_EQ(r.path.find("/referrers/"), std::string::npos) << r.method << " " << r.path;
    for (const auto& sbom : img.sboms) {
      EXPECT_EQ(r.path.find(sbom.digest.ToString()), std::string::npos)
          << r.method << " " << r.path;
    }
  }
}

// Without the referrers API, Push maintains the sha256-<hex> fallback index, merging, never
// overwriting.
TEST(RegistryReferrersTest, PushWithoutReferrersApiMaintainsTheFallbackTag) {
  testing::ScopedTempDir tmp;
  TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  auto pushed = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), Options(reg));
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();

  const Digest& amd64 = img.manifests[0].digest;
  std::string tag = ReferrersTagFor(amd64);
  ASSERT_EQ(reg->tags.count("app:" + tag), 1u);
  const auto& stored = reg->manifests.at("app@" + reg->tags.at("app:" + tag));
  EXPECT_EQ(stored.media_type, media_type::kImageIndex);
  auto index = Index::Parse(stored.bytes);
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_EQ(index->manifests[0].digest, img.sboms[0].digest);
  EXPECT_EQ(index->manifests[0].artifact_type, kSpdxJsonMediaType);
  EXPECT_EQ(index->manifests[0].annotations.at("org.opencontainers.image.created"),
            "1970-01-01T00:00:00Z");
  // The fallback tag was written before the image's tag moved.
  EXPECT_LT(reg->Find("PUT", "/v2/app/manifests/" + tag), reg->Find("PUT", "/v2/app/manifests/v1"));
  EXPECT_EQ(reg->tags.count("app:" + ReferrersTagFor(img.index.digest)), 1u);

  // A second referrer of the same subject joins the first, which is kept.
  auto client = RegistryClient::Create("reg.test", Options(reg));
  ASSERT_TRUE(client.has_value());
  auto art = MakeArtifactManifest(img.manifests[0], kCycloneDxJsonMediaType,
                                  kCycloneDxJsonMediaType, "{}", {{"k", "v"}});
  ASSERT_TRUE(art.has_value());
  auto client_push = (*client)->PushBlob("app", art->payload,
                                         [](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
                                           return Error(ErrorCode::kInternal, "present already");
                                         });
  ASSERT_TRUE(client_push.has_value());  // "{}" is the empty config, there already
  auto d = PushReferrer(**client, "app", art->manifest.descriptor.media_type, art->manifest.bytes);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_EQ(d->artifact_type, kCycloneDxJsonMediaType);
  const auto& merged = reg->manifests.at("app@" + reg->tags.at("app:" + tag));
  auto index2 = Index::Parse(merged.bytes);
  ASSERT_TRUE(index2.has_value());
  ASSERT_EQ(index2->manifests.size(), 2u);
  EXPECT_EQ(index2->manifests[0].digest, img.sboms[0].digest);
  EXPECT_EQ(index2->manifests[0].annotations, index->manifests[0].annotations);
  EXPECT_EQ(index2->manifests[1].digest, art->manifest.descriptor.digest);
  EXPECT_EQ(index2->manifests[1].annotations.at("k"), "v");

  // Pushing it again changes nothing.
  std::string before = merged.bytes;
  ASSERT_TRUE(
      PushReferrer(**client, "app", art->manifest.descriptor.media_type, art->manifest.bytes)
          .has_value());
  EXPECT_EQ(reg->manifests.at("app@" + reg->tags.at("app:" + tag)).bytes, before);

  // Listing falls back to the tag (the API answers 404) and filters.
  auto all = ListRegistryReferrers(**client, "app", amd64);
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  EXPECT_EQ(all->size(), 2u);
  auto cdx = ListRegistryReferrers(**client, "app", amd64, kCycloneDxJsonMediaType);
  ASSERT_TRUE(cdx.has_value());
  ASSERT_EQ(cdx->size(), 1u);
  EXPECT_EQ((*cdx)[0].digest, art->manifest.descriptor.digest);
  // A subject without referrers has none.
  auto empty = ListRegistryReferrers(**client, "app", img.sboms[0].digest);
  ASSERT_TRUE(empty.has_value()) << empty.error().ToString();
  EXPECT_TRUE(empty->empty());
}

// PullDocuments fetches no layer; Push of a layout built on it streams the
// layers it lacks from `blob_source`, and without one names the blob.
TEST(RegistryBaseLayersTest, PullDocumentsThenPushStreamsTheMissingLayers) {
  testing::ScopedTempDir tmp;
  TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/base:v1"), Options(reg)));
  auto source = OciLayout::Open(tmp.path() + "/layout");
  ASSERT_TRUE(source.has_value());
  std::vector<Descriptor> layers;
  std::vector<Digest> configs;
  for (const Descriptor& md : img.manifests) {
    auto bytes = (*source)->ReadAll(md.digest);
    ASSERT_TRUE(bytes.has_value());
    auto m = Manifest::Parse(*bytes);
    ASSERT_TRUE(m.has_value());
    layers.insert(layers.end(), m->layers.begin(), m->layers.end());
    configs.push_back(m->config.digest);
  }

  reg->ClearLog();
  auto base = Reference::Parse("reg.test/base:v1");
  ASSERT_TRUE(base.has_value());
  const std::string docs = tmp.path() + "/docs";
  auto pulled = PullDocuments(*base, docs, "b", {}, Options(reg));
  ASSERT_TRUE(pulled.has_value()) << pulled.error().ToString();
  EXPECT_EQ(pulled->digest, img.index.digest);
  auto layout = OciLayout::Open(docs);
  ASSERT_TRUE(layout.has_value());
  for (const Descriptor& l : layers) {
    EXPECT_FALSE(*(*layout)->Has(l.digest)) << l.digest.ToString();
    EXPECT_EQ(reg->Find("GET", "/v2/base/blobs/" + l.digest.ToString()), -1);
  }
  for (const Digest& c : configs) EXPECT_TRUE(*(*layout)->Has(c)) << c.ToString();

  // No source: the first missing layer is named.
  auto failed = Push(docs, "b", Dest("reg.test/app:v1"), Options(reg));
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), ErrorCode::kNotFound) << failed.error().ToString();
  bool named = false;
  for (const Descriptor& l : layers) {
    named = named || failed.error().ToString().find(l.digest.ToString()) != std::string::npos;
  }
  EXPECT_TRUE(named) << failed.error().ToString();

  // With the base as source (the fake registry refuses mounts: 202), the
  // layers stream from base to app.
  auto pushed = Push(docs, "b", Dest("reg.test/app:v1"), Options(reg), {}, *base);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  EXPECT_EQ(pushed->root.digest, img.index.digest);
  for (const Descriptor& l : layers) {
    ASSERT_EQ(reg->blobs.count("app@" + l.digest.ToString()), 1u) << l.digest.ToString();
    EXPECT_EQ(reg->blobs.at("app@" + l.digest.ToString()),
              reg->blobs.at("base@" + l.digest.ToString()));
  }
  EXPECT_EQ(reg->tags.at("app:v1"), img.index.digest.ToString());
}

}  // namespace
}  // namespace ocib
