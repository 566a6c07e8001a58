// InspectRemote against an in-memory registry: each distinct document is
// fetched once, however often an index lists it, and given byte for byte.
#include "ocib/pull.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include <gtest/gtest.h>

#include "ocib/image_location.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/push.h"
#include "ocib/reference.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

TEST(InspectRemoteTest, RepeatedIndexEntriesAreFetchedOnce) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  // Spaced as another tool might write it: given as it is, not compacted.
  const std::string config = "{\n  \"architecture\": \"amd64\",\n  \"os\": \"linux\"\n}\n";
  Descriptor config_desc = DescribeBytes(media_type::kImageConfig, config);
  reg->blobs["app@" + config_desc.digest.ToString()] = config;
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = config_desc;
  const std::string manifest = m.Serialize();
  Descriptor manifest_desc = DescribeBytes(media_type::kImageManifest, manifest);
  reg->manifests["app@" + manifest_desc.digest.ToString()] = {
      std::string(media_type::kImageManifest), manifest};
  Index index;
  index.media_type = std::string(media_type::kImageIndex);
  for (int i = 0; i < 40; ++i) index.manifests.push_back(manifest_desc);
  const std::string index_bytes = index.Serialize();
  const std::string index_digest = Digest::Sha256Of(index_bytes).ToString();
  reg->manifests["app@" + index_digest] = {std::string(media_type::kImageIndex), index_bytes};
  reg->tags["app:v1"] = index_digest;

  auto ref = Reference::Parse("reg.test/app:v1");
  ASSERT_TRUE(ref.has_value());
  auto docs = InspectRemote(*ref, fake::Options(reg));
  ASSERT_TRUE(docs.has_value()) << docs.error().ToString();
  // The output still shows every entry and its config, byte for byte.
  ASSERT_EQ(docs->size(), 81u);
  EXPECT_EQ((*docs)[0], index_bytes);
  EXPECT_EQ((*docs)[1], manifest);
  EXPECT_EQ((*docs)[80], config);
  int manifest_gets = 0;
  int config_gets = 0;
  for (const fake::Request& r : reg->log()) {
    if (r.method != "GET") continue;
    manifest_gets += r.path == "/v2/app/manifests/" + manifest_desc.digest.ToString() ? 1 : 0;
    config_gets += r.path == "/v2/app/blobs/" + config_desc.digest.ToString() ? 1 : 0;
  }
  EXPECT_EQ(manifest_gets, 1);
  EXPECT_EQ(config_gets, 1);
  EXPECT_LE(reg->log().size(), 4u);
}

// Registry to another registry, blobs stream from the source's GET into the
// destination's upload through an in-memory pipe: every byte once, in
// order, for a layer far larger than one read (the destination checks each
// blob's digest).
TEST(CopyTest, RegistryToRegistryStreamsEveryBlobIntact) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  std::string layer;
  for (int64_t i = 0; layer.size() < (size_t{3} << 20); ++i)
    layer += std::to_string(i * 7919) + ",";
  const Descriptor layer_desc = DescribeBytes(media_type::kLayerTar, layer);
  const std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"diff_ids":[")" +
                             layer_desc.digest.ToString() + R"("],"type":"layers"}})";
  const Descriptor config_desc = DescribeBytes(media_type::kImageConfig, config);
  reg->blobs["app@" + layer_desc.digest.ToString()] = layer;
  reg->blobs["app@" + config_desc.digest.ToString()] = config;
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = config_desc;
  m.layers = {layer_desc};
  const std::string manifest = m.Serialize();
  const std::string manifest_digest = Digest::Sha256Of(manifest).ToString();
  reg->manifests["app@" + manifest_digest] = {std::string(media_type::kImageManifest), manifest};
  reg->tags["app:v1"] = manifest_digest;

  std::vector<std::string> pushed;
  auto copied = Copy(*ImageLocation::Parse("reg.test/app:v1"),
                     *ImageLocation::Parse("other.test/copy:v1"), fake::Options(reg), &pushed);
  ASSERT_TRUE(copied.has_value()) << copied.error().ToString();
  EXPECT_EQ(copied->digest.ToString(), manifest_digest);
  ASSERT_EQ(reg->blobs.count("copy@" + layer_desc.digest.ToString()), 1U);
  EXPECT_TRUE(reg->blobs.at("copy@" + layer_desc.digest.ToString()) == layer);
  EXPECT_TRUE(reg->blobs.at("copy@" + config_desc.digest.ToString()) == config);
}

// A copy that fails says what was copied where.
TEST(CopyTest, AFailedCopyNamesSourceAndDestination) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  std::vector<std::string> pushed;
  auto r = Copy(*ImageLocation::Parse("reg.test/app:missing"),
                *ImageLocation::Parse("other.test/copy:v1"), fake::Options(reg), &pushed);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("copy reg.test/app:missing to other.test/copy:v1"),
            std::string::npos)
      << r.error().ToString();
}

// A pull that fails into a directory it created leaves no directory, and
// the error says what was pulled.
TEST(PullTest, AFailedPullRemovesTheLayoutItMade) {
  ocib::testing::ScopedTempDir tmp;
  auto reg = std::make_shared<fake::FakeRegistry>();
  const std::string dir = tmp.path() + "/new";
  auto r = Pull(*Reference::Parse("reg.test/app:missing"), dir, "v1", {}, fake::Options(reg));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("pull reg.test/app:missing"), std::string::npos)
      << r.error().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// A pull that fails after it made its layout (a blob the registry lost)
// removes the layout it made, and leaves one that was there before as it was.
TEST(PullTest, AFailedPullRemovesOnlyALayoutItMade) {
  ocib::testing::ScopedTempDir tmp;
  auto reg = std::make_shared<fake::FakeRegistry>();
  const std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = DescribeBytes(media_type::kImageConfig, config);  // never stored: lost
  const std::string bytes = m.Serialize();
  Descriptor md = DescribeBytes(media_type::kImageManifest, bytes);
  reg->manifests["app@" + md.digest.ToString()] = {std::string(media_type::kImageManifest), bytes};
  reg->tags["app:lost"] = md.digest.ToString();
  const std::string fresh = tmp.path() + "/fresh";
  auto r = Pull(*Reference::Parse("reg.test/app:lost"), fresh, "v1", {}, fake::Options(reg));
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(std::filesystem::exists(fresh));

  const std::string kept = tmp.path() + "/kept";
  fake::TestImage img = fake::MakeImage(kept);
  auto again = Pull(*Reference::Parse("reg.test/app:lost"), kept, "v2", {}, fake::Options(reg));
  ASSERT_FALSE(again.has_value());
  auto layout = OciLayout::Open(kept);
  ASSERT_TRUE(layout.has_value());
  auto v1 = (*layout)->Resolve("v1");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->digest, img.index.digest);
}

// A registry that lists a referrer twice: it is fetched once and listed
// once in the layout (each SBOM and the signature).
TEST(PullTest, AReferrerListedTwiceIsFetchedAndListedOnce) {
  ocib::testing::ScopedTempDir tmp;
  auto reg = std::make_shared<fake::FakeRegistry>();
  fake::TestImage img = fake::MakeImage(tmp.path() + "/src");
  auto pushed = Push(tmp.path() + "/src", "v1", fake::Dest("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  reg->referrers_twice = true;
  reg->ClearLog();
  const std::string dir = tmp.path() + "/pulled";
  auto r = Pull(*Reference::Parse("reg.test/app:v1"), dir, "v1", {}, fake::Options(reg));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  std::vector<Descriptor> referrers = img.sboms;
  referrers.push_back(img.index_referrer);
  for (const Descriptor& d : referrers) {
    int gets = 0;
    for (const fake::Request& q : reg->log()) {
      gets += q.method == "GET" && q.path == "/v2/app/manifests/" + d.digest.ToString() ? 1 : 0;
    }
    EXPECT_EQ(gets, 1) << d.digest.ToString();
  }
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.has_value());
  auto index = (*layout)->ReadIndex();
  ASSERT_TRUE(index.has_value());
  for (const Descriptor& d : referrers) {
    EXPECT_EQ(std::count_if(index->manifests.begin(), index->manifests.end(),
                            [&](const Descriptor& e) { return e.digest == d.digest; }),
              1)
        << d.digest.ToString();
  }
}

// A registry's image copied straight into an oci-archive gives the archive
// a copy through a layout gives, byte for byte: the image, its referrers
// listed untagged, the tag; one selected platform likewise.
TEST(PullTest, RegistryToOciArchiveEqualsRegistryToLayoutToArchive) {
  ocib::testing::ScopedTempDir tmp;
  auto reg = std::make_shared<fake::FakeRegistry>();
  fake::MakeImage(tmp.path() + "/src");
  auto pushed = Push(tmp.path() + "/src", "v1", fake::Dest("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  for (const std::string& platform : {std::string(), std::string("linux/arm64")}) {
    SCOPED_TRACE(platform);
    CopyOptions copy;
    if (!platform.empty()) copy.platforms = {*Platform::Parse(platform)};
    const std::string direct = tmp.path() + "/direct" + std::to_string(platform.size()) + ".tar";
    const std::string staged = tmp.path() + "/staged" + std::to_string(platform.size());
    auto a =
        Copy(*ImageLocation::Parse("reg.test/app:v1"),
             *ImageLocation::Parse("oci-archive:" + direct), fake::Options(reg), nullptr, copy);
    ASSERT_TRUE(a.has_value()) << a.error().ToString();
    auto b = Copy(*ImageLocation::Parse("reg.test/app:v1"), *ImageLocation::Parse("oci:" + staged),
                  fake::Options(reg), nullptr, copy);
    ASSERT_TRUE(b.has_value()) << b.error().ToString();
    auto c =
        Copy(*ImageLocation::Parse("oci:" + staged + ":v1"),
             *ImageLocation::Parse("oci-archive:" + staged + ".tar"), fake::Options(reg), nullptr);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(a->digest, b->digest);
    EXPECT_EQ(a->digest, c->digest);
    const std::string got = ocib::testing::ReadFileOrDie(direct);
    EXPECT_TRUE(got == ocib::testing::ReadFileOrDie(staged + ".tar"));
    // The referrers came along (two SBOMs and the index's referrer).
    EXPECT_NE(got.find("\"subject\""), std::string::npos);
  }
  // A failed pull leaves no archive and no staging directory beside it.
  const std::string missing = tmp.path() + "/missing.tar";
  auto r = Copy(*ImageLocation::Parse("reg.test/app:nope"),
                *ImageLocation::Parse("oci-archive:" + missing), fake::Options(reg), nullptr);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().ToString().find("pull reg.test/app:nope"), std::string::npos)
      << r.error().ToString();
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    if (e.path().filename().string().rfind("missing", 0) == 0) left.push_back(e.path());
  }
  EXPECT_TRUE(left.empty());
}

}  // namespace
}  // namespace ocib
