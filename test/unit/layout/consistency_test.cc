// Tests for lib/layout/consistency.h: the rules validate, push and copy apply.
#include "lib/layout/consistency.h"

#include "ocib/media_type.h"

#include "test/testing/test_util.h"

namespace ocib::consistency {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Descriptor Describe(std::string_view mt, const std::string& bytes) {
  return DescribeBytes(mt, bytes);
}

const std::string kConfig =
    R"({"architecture":"arm64","os":"linux","variant":"v8","rootfs":{"diff_ids":["sha256:)" +
    std::string(64, 'a') + R"("],"type":"layers"}})";

std::string ManifestBytes(const std::string& config, int layers, const std::string& extra = "") {
  std::string out =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)" + extra +
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      Digest::Sha256Of(config).ToString() + R"(","size":)" + std::to_string(config.size()) +
      R"(},"layers":[)";
  for (int i = 0; i < layers; ++i) {
    if (i > 0) out += ",";
    out += R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:)" +
           std::string(64, static_cast<char>('b' + i)) + R"(","size":10})";
  }
  return out + "]}";
}

TEST(ConsistencyTest, DescriptorMediaTypeMustMatchTheDocument) {
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  Problems p;
  CheckTarget(Describe(media_type::kImageManifest, index), index, p);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0], HasSubstr("the document is an index"));
  Problems q;
  std::string manifest = ManifestBytes(kConfig, 1);
  CheckTarget(Describe(media_type::kImageIndex, manifest), manifest, q);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_THAT(q[0], HasSubstr("the document is a manifest"));
  Problems ok;
  CheckTarget(Describe(media_type::kImageManifest, manifest), manifest, ok);
  EXPECT_THAT(ok, IsEmpty());
}

TEST(ConsistencyTest, SizeAndDigestOfTheDocument) {
  std::string manifest = ManifestBytes(kConfig, 1);
  Descriptor d = Describe(media_type::kImageManifest, manifest);
  d.size += 1;
  Problems p;
  CheckTarget(d, manifest, p);
  ASSERT_FALSE(p.empty());
  EXPECT_THAT(p[0], HasSubstr("descriptor says"));
  Descriptor other = Describe(media_type::kImageManifest, manifest + " ");
  other.size = static_cast<int64_t>(manifest.size());
  Problems q;
  CheckTarget(other, manifest, q);
  ASSERT_FALSE(q.empty());
  EXPECT_THAT(q[0], HasSubstr("does not match the digest"));
}

TEST(ConsistencyTest, EmptyConfigNeedsAnArtifactType) {
  std::string empty =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:)"
      R"(44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]})";
  auto m = Manifest::Parse(empty);
  ASSERT_THAT(m, IsOk());
  Problems p;
  CheckManifest(Describe(media_type::kImageManifest, empty), *m, p);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0], HasSubstr("has no artifactType"));
  m->artifact_type = "application/spdx+json";
  Problems ok;
  CheckManifest(Describe(media_type::kImageManifest, empty), *m, ok);
  EXPECT_THAT(ok, IsEmpty());
}

TEST(ConsistencyTest, ManifestAgainstItsConfig) {
  auto cfg = ImageConfig::Parse(kConfig);
  ASSERT_THAT(cfg, IsOk());
  std::string two = ManifestBytes(kConfig, 2);
  auto m2 = Manifest::Parse(two);
  Problems p;
  CheckManifestConfig(Describe(media_type::kImageManifest, two), *m2, *cfg, p);
  EXPECT_THAT(p, ElementsAre(HasSubstr("2 layers but 1 diff_ids")));
  std::string one = ManifestBytes(kConfig, 1);
  auto m1 = Manifest::Parse(one);
  Descriptor d = Describe(media_type::kImageManifest, one);
  d.platform = *Platform::Parse("linux/amd64");
  Problems q;
  CheckManifestConfig(d, *m1, *cfg, q);
  EXPECT_THAT(q,
              ElementsAre(HasSubstr(
                  "descriptor platform linux/amd64 differs from config platform linux/arm64/v8")));
  d.platform = *Platform::Parse("linux/arm64/v8");
  Problems ok;
  CheckManifestConfig(d, *m1, *cfg, ok);
  EXPECT_THAT(ok, IsEmpty());
}

TEST(ConsistencyTest, CheckImageWalksIndexAndConfigs) {
  std::string manifest = ManifestBytes(kConfig, 2);
  Descriptor md = Describe(media_type::kImageManifest, manifest);
  md.platform = *Platform::Parse("linux/arm64/v8");
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      md.digest.ToString() + R"(","size":)" + std::to_string(md.size) +
      R"(,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]})";
  Descriptor root = Describe(media_type::kImageIndex, index);
  int reads = 0;
  ConfigReader read = [&](const Descriptor& d) -> Result<std::string> {
    ++reads;
    EXPECT_EQ(d.digest, Digest::Sha256Of(kConfig));
    return kConfig;
  };
  EXPECT_THAT(CheckImage(root, index, {{md, manifest}}, {}, read),
              StatusIs(ErrorCode::kInvalidArgument, AllOf(HasSubstr(root.digest.ToString()),
                                                          HasSubstr("2 layers but 1 diff_ids"))));
  EXPECT_EQ(reads, 1);
  std::string good = ManifestBytes(kConfig, 1);
  Descriptor gd = Describe(media_type::kImageManifest, good);
  EXPECT_THAT(CheckImage(gd, good, {}, {}, read), IsOk());
}

// A config that is not an image config (here: not even an object) is a
// problem naming it, and the check goes on; an unreadable one too.
TEST(ConsistencyTest, ConfigsThatDoNotParseOrReadAreProblems) {
  const std::string bad_config = "[1,2,3]";
  std::string manifest = ManifestBytes(bad_config, 1);
  Descriptor md = Describe(media_type::kImageManifest, manifest);
  ConfigReader read = [&](const Descriptor&) -> Result<std::string> { return bad_config; };
  EXPECT_THAT(CheckImage(md, manifest, {}, {}, read),
              StatusIs(ErrorCode::kInvalidArgument,
                       HasSubstr("config " + Digest::Sha256Of(bad_config).ToString())));
  ConfigReader fail = [&](const Descriptor&) -> Result<std::string> {
    return IoError("disk on fire");
  };
  EXPECT_THAT(CheckImage(md, manifest, {}, {}, fail),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("disk on fire")));
}

// Indexes nested in a chain: 8 levels below the root are checked, a 9th is
// a problem.
TEST(ConsistencyTest, IndexesNestedUpToEightLevels) {
  auto chain = [](int levels, Descriptor* root, std::string* root_bytes,
                  std::vector<ImageDocument>* docs) {
    Index inner;
    inner.media_type = std::string(media_type::kImageIndex);
    std::string bytes = inner.Serialize();
    Descriptor d = Describe(media_type::kImageIndex, bytes);
    for (int i = 0; i < levels; ++i) {
      docs->push_back({d, bytes});
      Index outer;
      outer.media_type = std::string(media_type::kImageIndex);
      outer.manifests.push_back(d);
      bytes = outer.Serialize();
      d = Describe(media_type::kImageIndex, bytes);
    }
    *root = d;
    *root_bytes = bytes;
  };
  ConfigReader read = [](const Descriptor&) -> Result<std::string> { return kConfig; };
  for (int levels : {8, 9}) {
    Descriptor root;
    std::string bytes;
    std::vector<ImageDocument> docs;
    chain(levels, &root, &bytes, &docs);
    Status st = CheckImage(root, bytes, docs, {}, read);
    if (levels == 8) {
      EXPECT_THAT(st, IsOk());
    } else {
      EXPECT_THAT(st, StatusIs(ErrorCode::kInvalidArgument, HasSubstr("nested deeper than 8")));
    }
  }
}

}  // namespace
}  // namespace ocib::consistency
