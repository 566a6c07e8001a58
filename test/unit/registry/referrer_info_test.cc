// DescribeReferrer (lib/registry/referrer_info.cc): a referrer's subject and
// its referrers-API descriptor read from the manifest or index itself.
#include "lib/registry/referrer_info.h"

#include <string>

#include <gtest/gtest.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"

#include "test/testing/test_util.h"

namespace ocib::registry {
namespace {

using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

Descriptor Subject() { return DescribeBytes(media_type::kImageManifest, "the subject"); }

// A manifest without artifactType is described by its config's media type,
// with its annotations and the descriptor's media type, digest and size.
TEST(ReferrerInfoTest, AManifestWithoutArtifactTypeIsItsConfigsType) {
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = DescribeBytes("application/vnd.example.sig.config", "{}");
  m.subject = Subject();
  m.annotations = {{"org.example.k", "v"}};
  const std::string bytes = m.Serialize();
  const Descriptor d = DescribeBytes(media_type::kImageManifest, bytes);
  auto info = DescribeReferrer(d, bytes);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->subject, Subject().digest);
  EXPECT_EQ(info->descriptor.media_type, std::string(media_type::kImageManifest));
  EXPECT_EQ(info->descriptor.digest, d.digest);
  EXPECT_EQ(info->descriptor.size, d.size);
  EXPECT_EQ(info->descriptor.artifact_type, "application/vnd.example.sig.config");
  EXPECT_EQ(info->descriptor.annotations.at("org.example.k"), "v");

  m.artifact_type = "application/spdx+json";
  const std::string typed = m.Serialize();
  auto with_type = DescribeReferrer(DescribeBytes(media_type::kImageManifest, typed), typed);
  ASSERT_TRUE(with_type.has_value()) << with_type.error().ToString();
  EXPECT_EQ(with_type->descriptor.artifact_type, "application/spdx+json");
}

// An index is described by its own artifactType and annotations; one
// without a subject has an empty subject digest.
TEST(ReferrerInfoTest, AnIndexAndADocumentWithoutSubject) {
  Index index;
  index.media_type = std::string(media_type::kImageIndex);
  index.artifact_type = "application/vnd.example.bundle";
  index.subject = Subject();
  index.annotations = {{"org.example.i", "1"}};
  const std::string bytes = index.Serialize();
  auto info = DescribeReferrer(DescribeBytes(media_type::kImageIndex, bytes), bytes);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->subject, Subject().digest);
  EXPECT_EQ(info->descriptor.artifact_type, "application/vnd.example.bundle");
  EXPECT_EQ(info->descriptor.annotations.at("org.example.i"), "1");

  index.subject.reset();
  const std::string plain = index.Serialize();
  auto none = DescribeReferrer(DescribeBytes(media_type::kImageIndex, plain), plain);
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_TRUE(none->subject.empty());
}

// A blob that is neither a manifest nor an index, or a document that does
// not parse as its media type says, is refused.
TEST(ReferrerInfoTest, OtherMediaTypesAndBadDocumentsAreRefused) {
  const Descriptor layer = DescribeBytes(media_type::kLayerTar, "tar");
  EXPECT_THAT(
      DescribeReferrer(layer, "tar"),
      StatusIs(ErrorCode::kInvalidArgument, HasSubstr("\"" + std::string(media_type::kLayerTar) +
                                                      "\", not a manifest or index")));
  const Descriptor bad = DescribeBytes(media_type::kImageManifest, "not json");
  EXPECT_FALSE(DescribeReferrer(bad, "not json").has_value());
}

}  // namespace
}  // namespace ocib::registry
