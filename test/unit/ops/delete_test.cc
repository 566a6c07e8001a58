// DeleteImage (ocib/delete.h) against the in-memory registry of
// test/registry/fake_registry.h and against OCI layouts: delete by digest
// (tags go with it), with referrers, a tag on a registry that deletes tags
// and on one that does not (placeholder), a registry that forbids deletion
// (405 UNSUPPORTED: nothing changes), missing tags and digests.
#include "ocib/delete.h"

#include <gtest/gtest.h>

#include "ocib/oci_layout.h"
#include "ocib/push.h"
#include "ocib/referrers.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;

DeleteTarget Target(const std::string& text) {
  auto t = DeleteTarget::Parse(text);
  EXPECT_TRUE(t.has_value()) << text;
  return *t;
}

class DeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = std::make_shared<FakeRegistry>();
    img_ = MakeImage(layout_dir());
    for (const char* tag : {"v1", "v2"}) {
      auto r = Push(layout_dir(), "v1", Dest(std::string("reg.test/app:") + tag), Options(reg_));
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
    }
  }
  std::string layout_dir() const { return dir_.path() + "/src"; }
  bool HasManifest(const Digest& d) { return reg_->manifests.count("app@" + d.ToString()) != 0; }
  // The image pushed to a new registry without the referrers API; returns
  // the fallback tag listing the first platform manifest's referrers.
  std::string PushToAFallbackRegistry() {
    reg_ = std::make_shared<FakeRegistry>();
    reg_->referrers_api = false;
    auto pushed = Push(layout_dir(), "v1", Dest("reg.test/app:v1"), Options(reg_));
    EXPECT_TRUE(pushed.has_value()) << pushed.error().ToString();
    std::string fallback = "app:" + ReferrersTagFor(img_.manifests[0].digest);
    EXPECT_EQ(reg_->tags.count(fallback), 1u);
    return fallback;
  }

  ocib::testing::ScopedTempDir dir_;
  std::shared_ptr<FakeRegistry> reg_;
  fake::TestImage img_;
};

TEST_F(DeleteTest, ByDigestDropsTheManifestAndItsTags) {
  std::string ref = "reg.test/app@" + img_.index.digest.ToString();
  auto r = DeleteImage(Target(ref), {}, Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->deleted, std::vector<std::string>{ref});
  EXPECT_FALSE(HasManifest(img_.index.digest));
  EXPECT_EQ(reg_->tags.count("app:v1"), 0u);
  EXPECT_EQ(reg_->tags.count("app:v2"), 0u);
  // Platform manifests and referrers stay without --referrers.
  EXPECT_TRUE(HasManifest(img_.manifests[0].digest));
  EXPECT_TRUE(HasManifest(img_.sboms[0].digest));
}

TEST_F(DeleteTest, WithReferrersDeletesSbomsAndSignatureFirst) {
  std::string ref = "reg.test/app@" + img_.index.digest.ToString();
  DeleteOptions del;
  del.referrers = true;
  auto r = DeleteImage(Target(ref), del, Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->deleted.size(), 4u);
  EXPECT_EQ(r->deleted.back(), ref);
  for (const Descriptor& s : img_.sboms) EXPECT_FALSE(HasManifest(s.digest));
  EXPECT_FALSE(HasManifest(img_.index_referrer.digest));
  EXPECT_FALSE(HasManifest(img_.index.digest));
  EXPECT_TRUE(HasManifest(img_.manifests[1].digest));
}

TEST_F(DeleteTest, WithReferrersOnAFallbackRegistryDeletesTheFallbackIndexes) {
  const std::string fallback = PushToAFallbackRegistry();
  DeleteOptions del;
  del.referrers = true;
  auto r = DeleteImage(Target("reg.test/app@" + img_.index.digest.ToString()), del, Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg_->tags.count(fallback), 0u);
  for (const Descriptor& s : img_.sboms) EXPECT_FALSE(HasManifest(s.digest));
}

// A fallback index the registry refuses to delete stops the deletion: the
// error says so and the image itself is still there.
TEST_F(DeleteTest, AFallbackIndexThatCannotBeDeletedStopsTheDeletion) {
  const std::string fallback = PushToAFallbackRegistry();
  reg_->delete_denied.insert(reg_->tags[fallback]);
  DeleteOptions del;
  del.referrers = true;
  auto r = DeleteImage(Target("reg.test/app@" + img_.index.digest.ToString()), del, Options(reg_));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied) << r.error().ToString();
  EXPECT_TRUE(HasManifest(img_.index.digest));
}

TEST_F(DeleteTest, TagOnARegistryThatDeletesTags) {
  reg_->tag_delete = true;
  auto r = DeleteImage(Target("reg.test/app:v2"), {}, Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->deleted,
            std::vector<std::string>{"reg.test/app:v2@" + img_.index.digest.ToString()});
  EXPECT_EQ(reg_->tags.count("app:v2"), 0u);
  EXPECT_EQ(reg_->tags["app:v1"], img_.index.digest.ToString());
  EXPECT_TRUE(HasManifest(img_.index.digest));
}

TEST_F(DeleteTest, TagOnARegistryThatDoesNotUsesAPlaceholder) {
  size_t manifests_before = reg_->manifests.size();
  auto r = DeleteImage(Target("reg.test/app:v2"), {}, Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(reg_->tags.count("app:v2"), 0u);
  EXPECT_EQ(reg_->tags["app:v1"], img_.index.digest.ToString());
  EXPECT_TRUE(HasManifest(img_.index.digest));
  EXPECT_EQ(reg_->manifests.size(), manifests_before);  // the placeholder is gone
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("placeholder"), std::string::npos);
}

TEST_F(DeleteTest, ForbiddenDeletionChangesNothing) {
  reg_->delete_status = 405;
  auto tags = reg_->tags;
  auto manifests = reg_->manifests.size();
  for (std::string ref :
       {"reg.test/app@" + img_.index.digest.ToString(), std::string("reg.test/app:v2")}) {
    DeleteOptions del;
    del.referrers = ref.find('@') != std::string::npos;
    auto r = DeleteImage(Target(ref), del, Options(reg_));
    ASSERT_FALSE(r.has_value()) << ref;
    EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied) << r.error().ToString();
    EXPECT_NE(r.error().message().find("does not allow deleting"), std::string::npos)
        << r.error().ToString();
  }
  EXPECT_EQ(reg_->tags, tags);
  EXPECT_EQ(reg_->manifests.size(), manifests);
}

TEST_F(DeleteTest, MissingTagOrDigestIsNotFound) {
  auto tag = DeleteImage(Target("reg.test/app:nope"), {}, Options(reg_));
  ASSERT_FALSE(tag.has_value());
  EXPECT_EQ(tag.error().code(), ErrorCode::kNotFound);
  auto digest =
      DeleteImage(Target("reg.test/app@" + Digest::Sha256Of("x").ToString()), {}, Options(reg_));
  ASSERT_FALSE(digest.has_value());
  EXPECT_EQ(digest.error().code(), ErrorCode::kNotFound);
  DeleteOptions del;
  del.referrers = true;
  auto referrers_of_tag = DeleteImage(Target("reg.test/app:v1"), del, Options(reg_));
  ASSERT_FALSE(referrers_of_tag.has_value());
  EXPECT_EQ(referrers_of_tag.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(reg_->tags.count("app:v1"), 1u);
}

TEST_F(DeleteTest, LayoutTagThenDigestWithReferrers) {
  auto layout = OciLayout::Open(layout_dir());
  ASSERT_TRUE(layout.has_value());
  ASSERT_TRUE((*layout)->Tag(img_.index, "v2").has_value());
  auto r = DeleteImage(Target("oci:" + layout_dir() + ":v2"), {}, {});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE((*layout)->Resolve("v2").has_value());
  EXPECT_TRUE((*layout)->Resolve("v1").has_value());
  auto again = DeleteImage(Target("oci:" + layout_dir() + ":v2"), {}, {});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kNotFound);

  DeleteOptions del;
  del.referrers = true;
  auto d = DeleteImage(Target("oci:" + layout_dir() + "@" + img_.index.digest.ToString()), del, {});
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  auto index = (*layout)->ReadIndex();
  ASSERT_TRUE(index.has_value());
  EXPECT_TRUE(index->manifests.empty());
  // Blobs stay.
  auto has = (*layout)->Has(img_.index.digest);
  ASSERT_TRUE(has.has_value());
  EXPECT_TRUE(*has);
}

}  // namespace
}  // namespace ocib
