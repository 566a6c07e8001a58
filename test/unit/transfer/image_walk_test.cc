// Walking an image in a layout (lib/transfer/image_walk.cc): the documents
// and blobs below a root in dependency order, the layout's referrers of
// them after their subjects, the blobs only referrers use named by their
// referrer, and the check of a walked image before anything is sent.
#include "lib/transfer/image_walk.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"

#include "lib/io/streams.h"
#include "lib/layout/image_source.h"
#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib::registry {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

class ImageWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    img_ = fake::MakeImage(tmp_.path());
    auto layout = OciLayout::Open(tmp_.path());
    ASSERT_TRUE(layout.has_value()) << layout.error().ToString();
    layout_ = std::move(*layout);
    source_ = LayoutImageSource(*layout_);
  }
  // Opens blobs of the layout.
  std::function<BlobOpener(const Descriptor&)> Opener() {
    return [this](const Descriptor& d) -> BlobOpener {
      return [this, d](int64_t offset, int64_t length) {
        return layout_->OpenRange(d.digest, offset, length);
      };
    };
  }
  ScopedTempDir tmp_;
  fake::TestImage img_;
  std::unique_ptr<OciLayout> layout_;
  std::unique_ptr<ImageSource> source_;
};

// The tag names the root; a tag the layout lacks is kNotFound.
TEST_F(ImageWalkTest, ResolveLayoutRootFindsTheTag) {
  auto root = ResolveLayoutRoot(*source_, "v1");
  ASSERT_TRUE(root.has_value()) << root.error().ToString();
  EXPECT_EQ(root->digest, img_.index.digest);
  EXPECT_EQ(ResolveLayoutRoot(*source_, "v2").error().code(), ErrorCode::kNotFound);
}

// The walk of an index: its bytes, its manifests as children, and their
// configs and layers once each; no referrer until asked for.
TEST_F(ImageWalkTest, WalkListsChildrenAndBlobs) {
  auto walked = WalkLayout(*source_, img_.index);
  ASSERT_TRUE(walked.has_value()) << walked.error().ToString();
  auto index_bytes = layout_->ReadAll(img_.index.digest);
  ASSERT_TRUE(index_bytes.has_value());
  EXPECT_EQ(walked->root_bytes, *index_bytes);
  ASSERT_EQ(walked->children.size(), 2u);
  EXPECT_EQ(walked->children[0].descriptor.digest, img_.manifests[0].digest);
  EXPECT_EQ(walked->children[1].descriptor.digest, img_.manifests[1].digest);
  EXPECT_EQ(walked->blobs.size(), 4u);  // two configs, two layers
  EXPECT_TRUE(walked->referrers.empty());
  EXPECT_TRUE(ReferrerBlobOwners(*walked).empty());

  // A manifest as the root: no children, its config and layer.
  auto one = WalkLayout(*source_, img_.manifests[0]);
  ASSERT_TRUE(one.has_value()) << one.error().ToString();
  EXPECT_TRUE(one->children.empty());
  EXPECT_EQ(one->blobs.size(), 2u);
}

// A root that is missing is kNotFound; one that is not a manifest or an
// index is refused by its media type.
TEST_F(ImageWalkTest, MissingAndUnsupportedRootsAreRefused) {
  Descriptor missing = DescribeBytes(media_type::kImageManifest, "absent");
  EXPECT_EQ(WalkLayout(*source_, missing).error().code(), ErrorCode::kNotFound);
  auto walked = WalkLayout(*source_, img_.index);
  ASSERT_TRUE(walked.has_value());
  Descriptor layer = walked->blobs.back();
  EXPECT_THAT(WalkLayout(*source_, layer),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("unsupported root media type")));
}

// The layout's referrers of the root and of its children are added, each
// after its subject; the blobs only they use are named by their referrer.
TEST_F(ImageWalkTest, ReferrersFollowTheirSubjectsAndOwnTheirBlobs) {
  auto walked = WalkLayout(*source_, img_.index);
  ASSERT_TRUE(walked.has_value()) << walked.error().ToString();
  ASSERT_THAT(WalkLayoutReferrers(*source_, img_.index, *walked), IsOk());
  ASSERT_EQ(walked->referrers.size(), 3u);
  std::vector<Digest> got;
  for (const WalkedDocument& r : walked->referrers) got.push_back(r.descriptor.digest);
  for (const Descriptor& want : {img_.sboms[0], img_.sboms[1], img_.index_referrer}) {
    EXPECT_NE(std::find(got.begin(), got.end(), want.digest), got.end()) << want.digest.ToString();
  }
  // Payloads: two SBOMs and the signature, and the shared empty config.
  EXPECT_EQ(walked->blobs.size(), 4u + 4u);

  const auto owners = ReferrerBlobOwners(*walked);
  EXPECT_EQ(owners.size(), 4u);
  const Digest amd64_sbom =
      Digest::Sha256Of(std::string(R"({"spdxVersion":"SPDX-2.3","name":"amd64"})"));
  ASSERT_TRUE(owners.contains(amd64_sbom));
  EXPECT_EQ(owners.at(amd64_sbom), ReferrerLabel(img_.sboms[0].digest, img_.manifests[0].digest));
  EXPECT_TRUE(owners.contains(EmptyJsonDescriptor().digest));
  // The image's own configs and layers (walked first) belong to no referrer.
  for (size_t i = 0; i < 4; ++i) EXPECT_FALSE(owners.contains(walked->blobs[i].digest)) << i;

  // Walked from one platform's manifest, only that manifest's SBOM.
  auto one = WalkLayout(*source_, img_.manifests[1]);
  ASSERT_TRUE(one.has_value());
  ASSERT_THAT(WalkLayoutReferrers(*source_, img_.manifests[1], *one), IsOk());
  ASSERT_EQ(one->referrers.size(), 1u);
  EXPECT_EQ(one->referrers[0].descriptor.digest, img_.sboms[1].digest);
}

// "referrer D of S", or "referrer D" without a subject.
TEST(ReferrerLabelTest, NamesTheSubjectWhenThereIsOne) {
  const Digest r = Digest::Sha256Of("r");
  const Digest s = Digest::Sha256Of("s");
  EXPECT_EQ(ReferrerLabel(r, s), "referrer " + r.ToString() + " of " + s.ToString());
  EXPECT_EQ(ReferrerLabel(r, Digest()), "referrer " + r.ToString());
}

// A walked image that validates passes; a child whose descriptor does not
// match its bytes is refused before anything is sent.
TEST_F(ImageWalkTest, CheckWalkedImageFindsAMismatchedChild) {
  auto walked = WalkLayout(*source_, img_.index);
  ASSERT_TRUE(walked.has_value()) << walked.error().ToString();
  ASSERT_THAT(WalkLayoutReferrers(*source_, img_.index, *walked), IsOk());
  EXPECT_THAT(CheckWalkedImage(img_.index, *walked, Opener()), IsOk());
  walked->children[1].bytes += " ";
  EXPECT_EQ(CheckWalkedImage(img_.index, *walked, Opener()).error().code(),
            ErrorCode::kInvalidArgument);
}

// A config read cut short (kUnavailable) is read again, up to four times
// in all; other errors are not retried.
TEST_F(ImageWalkTest, CheckWalkedImageReadsAConfigAgainWhenCutShort) {
  auto walked = WalkLayout(*source_, img_.manifests[0]);
  ASSERT_TRUE(walked.has_value()) << walked.error().ToString();
  for (int failures : {3, 4}) {
    int opens = 0;
    auto flaky = [&](const Descriptor& d) -> BlobOpener {
      return [&, d](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
        if (++opens <= failures) return Error(ErrorCode::kUnavailable, "connection reset");
        return layout_->OpenRange(d.digest, offset, length);
      };
    };
    Status st = CheckWalkedImage(img_.manifests[0], *walked, flaky);
    EXPECT_EQ(opens, 4) << failures;
    if (failures == 3) {
      EXPECT_THAT(st, IsOk());
    } else {
      EXPECT_FALSE(st.has_value());
      EXPECT_THAT(st.error().ToString(), HasSubstr("connection reset"));
    }
  }
  int opens = 0;
  Status denied =
      CheckWalkedImage(img_.manifests[0], *walked, [&](const Descriptor&) -> BlobOpener {
        return [&](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
          ++opens;
          return Error(ErrorCode::kPermissionDenied, "denied");
        };
      });
  EXPECT_FALSE(denied.has_value());
  EXPECT_EQ(opens, 1);
}

}  // namespace
}  // namespace ocib::registry
