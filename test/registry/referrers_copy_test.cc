// Copy and Pull carry an image's referrers (ocib/pull.h "Referrers"):
// registry to registry, registry to layout (all platforms or some), layout
// to layout and layout to registry, against the in-memory registry of
// fake_registry.h with and without the referrers API; CopyOptions::referrers
// = false leaves them out; stale fallback entries are skipped; errors name
// the referrer and its subject.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/pull.h"
#include "ocib/push.h"
#include "ocib/referrers.h"
#include "ocib/registry_referrers.h"
#include "ocib/sbom.h"
#include "ocib/sbom_query.h"

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

ImageLocation Loc(const std::string& text) {
  auto l = ImageLocation::Parse(text);
  EXPECT_TRUE(l.has_value()) << text;
  return *l;
}

Reference Ref(const std::string& text) {
  auto r = Reference::Parse(text);
  EXPECT_TRUE(r.has_value()) << text;
  return *r;
}

// The image of MakeImage with, in addition, a signature of the amd64 SBOM
// (a referrer of a referrer), pushed to reg.test/a:v1.
struct Source {
  TestImage img;
  Descriptor sbom_signature;
};

Source PushSource(const std::string& dir, const std::shared_ptr<FakeRegistry>& reg) {
  Source s;
  s.img = MakeImage(dir);
  auto layout = OciLayout::Open(dir);
  EXPECT_TRUE(layout.has_value());
  auto sig = AttachArtifact(**layout, s.img.sboms[0], "application/vnd.example.signature",
                            "sbom signature", {{"k", "v"}});
  EXPECT_TRUE(sig.has_value());
  EXPECT_TRUE(AddReferrerToLayout(**layout, *sig).has_value());
  s.sbom_signature = *sig;
  auto pushed = Push(dir, "v1", Dest("reg.test/a:v1"), Options(reg));
  EXPECT_TRUE(pushed.has_value()) << pushed.error().ToString();
  EXPECT_EQ(pushed->referrers.size(), 4u);
  return s;
}

// Every referrer of the source image: the two SBOMs, the index signature
// and the SBOM signature.
std::vector<Descriptor> AllReferrers(const Source& s) {
  return {s.img.sboms[0], s.img.sboms[1], s.img.index_referrer, s.sbom_signature};
}

// The blobs of the manifest `digest` stored in `repo`.
std::vector<Digest> ManifestBlobs(FakeRegistry& reg, const std::string& repo,
                                  const Digest& digest) {
  auto m = Manifest::Parse(reg.manifests.at(repo + "@" + digest.ToString()).bytes);
  EXPECT_TRUE(m.has_value());
  std::vector<Digest> out{m->config.digest};
  for (const Descriptor& l : m->layers) out.push_back(l.digest);
  return out;
}

// The entries of the fallback index of `subject` in `repo`; empty if none.
std::vector<Descriptor> FallbackEntries(FakeRegistry& reg, const std::string& repo,
                                        const Digest& subject) {
  auto tag = reg.tags.find(repo + ":" + ReferrersTagFor(subject));
  if (tag == reg.tags.end()) return {};
  auto index = Index::Parse(reg.manifests.at(repo + "@" + tag->second).bytes);
  EXPECT_TRUE(index.has_value());
  return index->manifests;
}

// The digests index.json lists.
std::set<std::string> Listed(OciLayout& layout) {
  std::set<std::string> out;
  auto index = layout.ReadIndex();
  EXPECT_TRUE(index.has_value());
  for (const Descriptor& d : index->manifests) out.insert(d.digest.ToString());
  return out;
}

int CountReferrerLookups(FakeRegistry& reg, const std::string& repo) {
  int n = 0;
  for (const Request& r : reg.log()) {
    if (r.path.rfind("/v2/" + repo + "/referrers/", 0) == 0 ||
        r.path.rfind("/v2/" + repo + "/manifests/sha256-", 0) == 0) {
      ++n;
    }
  }
  return n;
}

TEST(ReferrersCopyTest, RegistryToRegistryCarriesEveryReferrerAfterItsSubject) {
  for (bool api : {true, false}) {
    SCOPED_TRACE(api ? "referrers API" : "fallback tag");
    testing::ScopedTempDir tmp;
    auto reg = std::make_shared<FakeRegistry>();
    reg->referrers_api = api;
    Source src = PushSource(tmp.path() + "/layout", reg);
    reg->ClearLog();

    std::vector<std::string> pushed;
    auto r = Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), Options(reg), &pushed);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->digest, src.img.index.digest);
    EXPECT_EQ(pushed, std::vector<std::string>{"reg.test/b:v1@" + r->digest.ToString()});

    int tag_put = reg->Find("PUT", "/v2/b/manifests/v1");
    ASSERT_GE(tag_put, 0);
    for (const Descriptor& ref : AllReferrers(src)) {
      const std::string key = "b@" + ref.digest.ToString();
      ASSERT_EQ(reg->manifests.count(key), 1u) << ref.digest.ToString();
      EXPECT_EQ(reg->manifests.at(key).bytes,
                reg->manifests.at("a@" + ref.digest.ToString()).bytes);
      for (const Digest& b : ManifestBlobs(*reg, "b", ref.digest)) {
        EXPECT_EQ(reg->blobs.count("b@" + b.ToString()), 1u) << b.ToString();
      }
      int put = reg->Find("PUT", "/v2/b/manifests/" + ref.digest.ToString());
      EXPECT_LT(put, tag_put) << "referrer " << ref.digest.ToString() << " after the tag";
    }
    // Each after its subject.
    auto after = [&](const Descriptor& ref, const Digest& subject) {
      EXPECT_GT(reg->Find("PUT", "/v2/b/manifests/" + ref.digest.ToString()),
                reg->Find("PUT", "/v2/b/manifests/" + subject.ToString()))
          << ref.digest.ToString();
    };
    after(src.img.sboms[0], src.img.manifests[0].digest);
    after(src.img.sboms[1], src.img.manifests[1].digest);
    after(src.img.index_referrer, src.img.index.digest);
    after(src.sbom_signature, src.img.sboms[0].digest);

    if (!api) {
      // The fallback index of each subject in b lists its referrer with
      // artifactType and annotations, as in a.
      for (size_t i = 0; i < 2; ++i) {
        auto entries = FallbackEntries(*reg, "b", src.img.manifests[i].digest);
        ASSERT_EQ(entries.size(), 1u);
        EXPECT_EQ(entries[0].digest, src.img.sboms[i].digest);
        EXPECT_EQ(entries[0].artifact_type, kSpdxJsonMediaType);
        EXPECT_EQ(entries[0].annotations,
                  FallbackEntries(*reg, "a", src.img.manifests[i].digest)[0].annotations);
      }
      auto sig = FallbackEntries(*reg, "b", src.img.sboms[0].digest);
      ASSERT_EQ(sig.size(), 1u);
      EXPECT_EQ(sig[0].digest, src.sbom_signature.digest);
      EXPECT_EQ(sig[0].annotations.at("k"), "v");
    }
    // What a client reads back from b is what it reads from a.
    auto from_a = RegistryReferrers(Ref("reg.test/a:v1"), Options(reg));
    auto from_b = RegistryReferrers(Ref("reg.test/b:v1"), Options(reg));
    ASSERT_TRUE(from_a.has_value() && from_b.has_value());
    EXPECT_EQ(*from_a, *from_b);
    EXPECT_EQ(from_b->size(), 3u);  // the SBOM signature is not of the image
    auto sbom = RegistrySbom(Ref("reg.test/b:v1"), "linux/arm64", Options(reg));
    ASSERT_TRUE(sbom.has_value()) << sbom.error().ToString();
    EXPECT_EQ(*sbom, R"({"spdxVersion":"SPDX-2.3","name":"arm64"})");

    // A second copy finds everything in place: HEAD requests to b only.
    reg->ClearLog();
    ASSERT_TRUE(Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), Options(reg), nullptr));
    for (const Request& req : reg->log()) {
      if (req.path.rfind("/v2/b/", 0) == 0) {
        EXPECT_EQ(req.method, "HEAD") << req.path;
      }
    }
  }
}

TEST(ReferrersCopyTest, NoReferrersCopiesTheImageOnlyAndLooksNothingUp) {
  testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  Source src = PushSource(tmp.path() + "/layout", reg);
  CopyOptions none;
  none.referrers = false;
  reg->ClearLog();
  auto r = Copy(Loc("reg.test/a:v1"), Loc("reg.test/c:v1"), Options(reg), nullptr, none);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg->tags.at("c:v1"), src.img.index.digest.ToString());
  EXPECT_EQ(CountReferrerLookups(*reg, "a"), 0);
  for (const Descriptor& ref : AllReferrers(src)) {
    EXPECT_EQ(reg->manifests.count("c@" + ref.digest.ToString()), 0u);
  }
  for (const auto& [tag, digest] : reg->tags) {
    EXPECT_NE(tag.rfind("c:sha256-", 0), 0u) << tag;
  }

  // Pull and layout copies likewise.
  const std::string dir = tmp.path() + "/pulled";
  ASSERT_TRUE(Pull(Ref("reg.test/a:v1"), dir, "", {}, Options(reg), none));
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  auto index = (*layout)->ReadIndex();
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_EQ(index->manifests[0].digest, src.img.index.digest);
  EXPECT_FALSE(*(*layout)->Has(src.img.sboms[0].digest));
  ASSERT_TRUE(Copy(Loc("oci:" + tmp.path() + "/layout:v1"), Loc("oci:" + tmp.path() + "/copy"),
                   Options(reg), nullptr, none));
  auto copied = OciLayout::Open(tmp.path() + "/copy");
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ((*copied)->ReadIndex()->manifests.size(), 1u);
  EXPECT_FALSE(*(*copied)->Has(src.img.sboms[0].digest));
  ASSERT_TRUE(Copy(Loc("oci:" + tmp.path() + "/layout:v1"), Loc("reg.test/d:v1"), Options(reg),
                   nullptr, none));
  EXPECT_EQ(reg->tags.at("d:v1"), src.img.index.digest.ToString());
  EXPECT_EQ(reg->manifests.count("d@" + src.img.sboms[0].digest.ToString()), 0u);
}

TEST(ReferrersCopyTest, FallbackIndexOfTheDestinationIsMergedNeverOverwritten) {
  testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  Source src = PushSource(tmp.path() + "/layout", reg);
  // b already lists a referrer of the amd64 manifest that a does not have.
  auto client = RegistryClient::Create("reg.test", Options(reg));
  ASSERT_TRUE(client.has_value());
  Descriptor foreign = DescribeBytes(media_type::kImageManifest, "foreign");
  foreign.artifact_type = "application/vnd.example.foreign";
  foreign.annotations = {{"kept", "yes"}};
  const Digest& amd64 = src.img.manifests[0].digest;
  ASSERT_TRUE(AddToReferrersFallbackTag(**client, "b", amd64, foreign));

  ASSERT_TRUE(Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), Options(reg), nullptr));
  auto entries = FallbackEntries(*reg, "b", amd64);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], foreign);
  EXPECT_EQ(entries[1].digest, src.img.sboms[0].digest);

  // A new referrer in a, copied again: added, the others kept, none twice.
  auto art = MakeArtifactManifest(src.img.manifests[0], kCycloneDxJsonMediaType,
                                  kCycloneDxJsonMediaType, R"({"bomFormat":"CycloneDX"})", {});
  ASSERT_TRUE(art.has_value());
  reg->blobs["a@" + art->payload.digest.ToString()] = R"({"bomFormat":"CycloneDX"})";
  ASSERT_TRUE(
      PushReferrer(**client, "a", art->manifest.descriptor.media_type, art->manifest.bytes));
  ASSERT_TRUE(Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), Options(reg), nullptr));
  auto merged = FallbackEntries(*reg, "b", amd64);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0], foreign);
  EXPECT_EQ(merged[1], entries[1]);
  EXPECT_EQ(merged[2].digest, art->manifest.descriptor.digest);
  EXPECT_EQ(merged[2].artifact_type, kCycloneDxJsonMediaType);
}

TEST(ReferrersCopyTest, AListingAnswered400Or405Or501MeansTheFallbackTag) {
  for (int status : {400, 405, 501}) {
    SCOPED_TRACE(status);
    testing::ScopedTempDir tmp;
    auto reg = std::make_shared<FakeRegistry>();
    reg->referrers_api = false;  // the push maintains the fallback tags
    Source src = PushSource(tmp.path() + "/layout", reg);
    reg->referrers_status = status;
    auto copied = Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), Options(reg), nullptr);
    ASSERT_TRUE(copied.has_value()) << copied.error().ToString();
    // Found through a's fallback tags, written to b's.
    auto entries = FallbackEntries(*reg, "b", src.img.manifests[0].digest);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].digest, src.img.sboms[0].digest);
  }
}

TEST(ReferrersCopyTest, PullListsTheReferrersInTheLayout) {
  for (bool api : {true, false}) {
    SCOPED_TRACE(api ? "referrers API" : "fallback tag");
    testing::ScopedTempDir tmp;
    auto reg = std::make_shared<FakeRegistry>();
    reg->referrers_api = api;
    Source src = PushSource(tmp.path() + "/layout", reg);
    const std::string dir = tmp.path() + "/pulled";
    auto r = Pull(Ref("reg.test/a:v1"), dir, "", {}, Options(reg));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    auto layout = OciLayout::Open(dir);
    ASSERT_TRUE(layout.has_value());
    auto index = (*layout)->ReadIndex();
    ASSERT_TRUE(index.has_value());
    // The image tagged v1 and every referrer, untagged, with artifactType.
    ASSERT_EQ(index->manifests.size(), 5u);
    for (const Descriptor& ref : AllReferrers(src)) {
      auto it = std::find_if(index->manifests.begin(), index->manifests.end(),
                             [&](const Descriptor& d) { return d.digest == ref.digest; });
      ASSERT_NE(it, index->manifests.end()) << ref.digest.ToString();
      EXPECT_EQ(it->artifact_type, ref.artifact_type);
      EXPECT_EQ(it->annotations, ref.annotations);
      EXPECT_EQ(it->annotations.count(kRefNameAnnotation), 0u);
      auto bytes = (*layout)->ReadAll(ref.digest);
      ASSERT_TRUE(bytes.has_value());
      auto m = Manifest::Parse(*bytes);
      ASSERT_TRUE(m.has_value());
      EXPECT_TRUE(*(*layout)->Has(m->config.digest));
      for (const Descriptor& l : m->layers) EXPECT_TRUE(*(*layout)->Has(l.digest));
    }
    EXPECT_EQ((*layout)->Resolve("v1")->digest, src.img.index.digest);
    auto local = LayoutReferrers("oci:" + dir + ":v1");
    auto remote = RegistryReferrers(Ref("reg.test/a:v1"), Options(reg));
    ASSERT_TRUE(local.has_value() && remote.has_value());
    EXPECT_EQ(*local, *remote);
    auto sbom = LayoutSbom("oci:" + dir + ":v1", "linux/amd64");
    ASSERT_TRUE(sbom.has_value()) << sbom.error().ToString();
    EXPECT_EQ(*sbom, R"({"spdxVersion":"SPDX-2.3","name":"amd64"})");
    auto sig = ListLayoutReferrers(**layout, src.img.sboms[0].digest);
    ASSERT_TRUE(sig.has_value());
    ASSERT_EQ(sig->size(), 1u);
    EXPECT_EQ((*sig)[0].digest, src.sbom_signature.digest);

    // Pulling again adds nothing to index.json.
    ASSERT_TRUE(Pull(Ref("reg.test/a:v1"), dir, "", {}, Options(reg)));
    EXPECT_EQ((*layout)->ReadIndex()->manifests.size(), 5u);
  }
}

TEST(ReferrersCopyTest, PullOfSomePlatformsCarriesTheirReferrersOnly) {
  testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  Source src = PushSource(tmp.path() + "/layout", reg);
  auto amd64 = Platform::ParseList("linux/amd64");
  ASSERT_TRUE(amd64.has_value());
  const std::string dir = tmp.path() + "/amd64";
  reg->ClearLog();
  auto r = Pull(Ref("reg.test/a:v1"), dir, "", *amd64, Options(reg));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_NE(r->digest, src.img.index.digest);
  // The referrers of the new root were looked up, not those of a's root.
  EXPECT_GE(reg->Find("GET", "/v2/a/manifests/" + ReferrersTagFor(r->digest)), 0);
  EXPECT_EQ(reg->Find("GET", "/v2/a/manifests/" + ReferrersTagFor(src.img.index.digest)), -1);
  EXPECT_EQ(reg->Find("GET", "/v2/a/manifests/" + ReferrersTagFor(src.img.manifests[1].digest)),
            -1);
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(Listed(**layout),
            (std::set<std::string>{r->digest.ToString(), src.img.sboms[0].digest.ToString(),
                                   src.sbom_signature.digest.ToString()}));
  EXPECT_FALSE(*(*layout)->Has(src.img.sboms[1].digest));
  EXPECT_FALSE(*(*layout)->Has(src.img.index_referrer.digest));

  // Every platform selected: the root is unchanged, and so are its referrers.
  auto both = Platform::ParseList("linux/amd64,linux/arm64");
  ASSERT_TRUE(both.has_value());
  auto all = Pull(Ref("reg.test/a:v1"), tmp.path() + "/both", "", *both, Options(reg));
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  EXPECT_EQ(all->digest, src.img.index.digest);
  auto both_layout = OciLayout::Open(tmp.path() + "/both");
  ASSERT_TRUE(both_layout.has_value());
  EXPECT_EQ((*both_layout)->ReadIndex()->manifests.size(), 5u);
}

TEST(ReferrersCopyTest, LayoutCopiesCarryTheReferrers) {
  testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  Source src = PushSource(tmp.path() + "/layout", reg);
  // The source layout holds a second image, whose referrers stay behind.
  auto source = OciLayout::Open(tmp.path() + "/layout");
  ASSERT_TRUE(source.has_value());
  Descriptor other = DescribeBytes(media_type::kImageManifest, "another image");
  auto other_ref = AttachArtifact(**source, other, "application/vnd.example.other", "x", {});
  ASSERT_TRUE(other_ref.has_value());
  ASSERT_TRUE(AddReferrerToLayout(**source, *other_ref));

  const std::string dir = tmp.path() + "/copy";
  auto r = Copy(Loc("oci:" + tmp.path() + "/layout:v1"), Loc("oci:" + dir + ":v2"), Options(reg),
                nullptr);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  std::set<std::string> want{src.img.index.digest.ToString()};
  for (const Descriptor& ref : AllReferrers(src)) want.insert(ref.digest.ToString());
  EXPECT_EQ(Listed(**layout), want);
  EXPECT_EQ((*layout)->Resolve("v2")->digest, src.img.index.digest);
  auto copied = LayoutReferrers("oci:" + dir + ":v2");
  auto original = LayoutReferrers("oci:" + tmp.path() + "/layout:v1");
  ASSERT_TRUE(copied.has_value() && original.has_value());
  EXPECT_EQ(*copied, *original);
  auto sbom = LayoutSbom("oci:" + dir + ":v2", "linux/arm64");
  ASSERT_TRUE(sbom.has_value()) << sbom.error().ToString();
  EXPECT_EQ(*sbom, R"({"spdxVersion":"SPDX-2.3","name":"arm64"})");
}

TEST(ReferrersCopyTest, StaleFallbackEntriesAreSkipped) {
  testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  Source src = PushSource(tmp.path() + "/layout", reg);
  auto client = RegistryClient::Create("reg.test", Options(reg));
  ASSERT_TRUE(client.has_value());
  const Digest& arm64 = src.img.manifests[1].digest;
  // Listed but gone from the registry.
  Descriptor gone = DescribeBytes(media_type::kImageManifest, "deleted referrer");
  ASSERT_TRUE(AddToReferrersFallbackTag(**client, "a", arm64, gone));
  // Listed under arm64 but its subject is another manifest.
  Descriptor elsewhere = DescribeBytes(media_type::kImageManifest, "another image");
  auto misplaced = MakeArtifactManifest(elsewhere, "application/vnd.example.misplaced",
                                        "application/vnd.example.misplaced", "x", {});
  ASSERT_TRUE(misplaced.has_value());
  const Descriptor& wrong = misplaced->manifest.descriptor;
  ASSERT_TRUE((*client)->PutManifest("a", wrong.digest.ToString(), wrong.media_type,
                                     misplaced->manifest.bytes));
  ASSERT_TRUE(AddToReferrersFallbackTag(**client, "a", arm64, wrong));

  std::vector<std::string> log;
  RegistryOptions o = Options(reg);
  o.log = [&](std::string_view line) { log.emplace_back(line); };
  auto r = Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), o, nullptr);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto entries = FallbackEntries(*reg, "b", arm64);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].digest, src.img.sboms[1].digest);
  EXPECT_EQ(reg->manifests.count("b@" + gone.digest.ToString()), 0u);
  auto logged = [&](const std::string& what) {
    return std::any_of(log.begin(), log.end(), [&](const std::string& l) {
      return l.find("skipping referrer " + what) != std::string::npos;
    });
  };
  EXPECT_EQ(reg->manifests.count("b@" + wrong.digest.ToString()), 0u);
  EXPECT_TRUE(logged(gone.digest.ToString()));
  EXPECT_TRUE(logged(wrong.digest.ToString() + " listed for " + arm64.ToString() +
                     ": its subject is " + elsewhere.digest.ToString()));
}

TEST(ReferrersCopyTest, ErrorsNameTheReferrerAndItsSubject) {
  testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  reg->referrers_api = false;
  Source src = PushSource(tmp.path() + "/layout", reg);
  const Descriptor& sbom = src.img.sboms[1];
  const std::string subject = src.img.manifests[1].digest.ToString();
  // The arm64 SBOM's payload is gone from a.
  Digest payload = ManifestBlobs(*reg, "a", sbom.digest)[1];
  reg->blobs.erase("a@" + payload.ToString());

  auto copied = Copy(Loc("reg.test/a:v1"), Loc("reg.test/b:v1"), Options(reg), nullptr);
  ASSERT_FALSE(copied.has_value());
  std::string msg = copied.error().ToString();
  EXPECT_NE(msg.find(payload.ToString()), std::string::npos) << msg;
  EXPECT_NE(msg.find("referrer " + sbom.digest.ToString() + " of " + subject), std::string::npos)
      << msg;
  EXPECT_EQ(reg->tags.count("b:v1"), 0u) << "the tag moved although a referrer failed";

  const std::string dir = tmp.path() + "/pulled";
  auto pulled = Pull(Ref("reg.test/a:v1"), dir, "", {}, Options(reg));
  ASSERT_FALSE(pulled.has_value());
  EXPECT_EQ(pulled.error().code(), ErrorCode::kNotFound);
  msg = pulled.error().ToString();
  EXPECT_NE(msg.find("referrer " + sbom.digest.ToString() + " of " + subject), std::string::npos)
      << msg;

  // A corrupt referrer document (its bytes do not match its digest) fails
  // the copy; it is not skipped.
  std::string& bytes = reg->manifests.at("a@" + sbom.digest.ToString()).bytes;
  bytes.back() = ' ';
  auto corrupt = Copy(Loc("reg.test/a:v1"), Loc("reg.test/c:v1"), Options(reg), nullptr);
  ASSERT_FALSE(corrupt.has_value());
  msg = corrupt.error().ToString();
  EXPECT_NE(msg.find("referrer " + sbom.digest.ToString() + " of " + subject), std::string::npos)
      << msg;

  // The registry refusing the listing for another reason than 404 is an
  // error naming the subject.
  reg->referrers_status = 403;
  auto denied = Copy(Loc("reg.test/a:v1"), Loc("reg.test/d:v1"), Options(reg), nullptr);
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(denied.error().ToString().find("referrers of " + src.img.index.digest.ToString()),
            std::string::npos)
      << denied.error().ToString();
}

}  // namespace
}  // namespace ocib
