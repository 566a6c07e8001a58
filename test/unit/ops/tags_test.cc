// ListTags and TagImage (ocib/tags.h) against the in-memory registry of
// test/registry/fake_registry.h and against OCI layouts: pagination through
// Link headers, digests, a missing repository or tag, bad tags, and that
// tagging moves no blob.
#include "ocib/tags.h"

#include <gtest/gtest.h>

#include "ocib/oci_layout.h"
#include "ocib/push.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;

ImageLocation Loc(const std::string& text) {
  auto l = ImageLocation::Parse(text);
  EXPECT_TRUE(l.has_value()) << text;
  return *l;
}

class TagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = std::make_shared<FakeRegistry>();
    img_ = MakeImage(dir_.path() + "/src");
    for (const char* tag : {"v1", "v2", "v3", "a", "b"}) {
      auto r =
          Push(dir_.path() + "/src", "v1", Dest(std::string("reg.test/app:") + tag), Options(reg_));
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
    }
  }
  ocib::testing::ScopedTempDir dir_;
  std::shared_ptr<FakeRegistry> reg_;
  fake::TestImage img_;
};

TEST_F(TagsTest, ListsEveryPageFollowingLinks) {
  reg_->tags_page_size = 2;
  reg_->ClearLog();
  auto tags = ListTags(Loc("reg.test/app"), {}, Options(reg_));
  ASSERT_TRUE(tags.has_value()) << tags.error().ToString();
  std::vector<std::string> names;
  for (const TagEntry& t : *tags) names.push_back(t.tag);
  // The registry's order (sorted), fallback tags of the SBOMs included.
  std::vector<std::string> want{"a", "b"};
  for (const auto& [key, d] : reg_->tags) {
    std::string t = key.substr(key.find(':') + 1);
    if (t.rfind("sha256-", 0) == 0) want.push_back(t);
  }
  std::sort(want.begin(), want.end());
  for (const char* t : {"v1", "v2", "v3"}) want.push_back(t);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);
  int pages = 0;
  for (const auto& r : reg_->log()) pages += r.path == "/v2/app/tags/list" ? 1 : 0;
  EXPECT_EQ(pages, static_cast<int>((want.size() + 1) / 2));
}

TEST_F(TagsTest, PageSizeIsSentAsN) {
  reg_->ClearLog();
  ListTagsOptions list;
  list.page_size = 3;
  auto tags = ListTags(Loc("reg.test/app"), list, Options(reg_));
  ASSERT_TRUE(tags.has_value()) << tags.error().ToString();
  auto log = reg_->log();
  auto first = std::find_if(log.begin(), log.end(),
                            [](const fake::Request& r) { return r.path == "/v2/app/tags/list"; });
  ASSERT_NE(first, log.end());
  EXPECT_EQ(first->query, "n=3");
  EXPECT_GE(tags->size(), 5u);
}

TEST_F(TagsTest, DigestsResolveEachTag) {
  ListTagsOptions list;
  list.digests = true;
  auto tags = ListTags(Loc("reg.test/app"), list, Options(reg_));
  ASSERT_TRUE(tags.has_value()) << tags.error().ToString();
  bool saw_v2 = false;
  for (const TagEntry& t : *tags) {
    if (t.tag != "v2") continue;
    saw_v2 = true;
    EXPECT_EQ(t.digest, img_.index.digest);
    EXPECT_EQ(t.reference, "reg.test/app:v2@" + img_.index.digest.ToString());
  }
  EXPECT_TRUE(saw_v2);
}

TEST_F(TagsTest, MissingRepositoryIsNotFound) {
  auto tags = ListTags(Loc("reg.test/nothing"), {}, Options(reg_));
  ASSERT_FALSE(tags.has_value());
  EXPECT_EQ(tags.error().code(), ErrorCode::kNotFound) << tags.error().ToString();
}

TEST_F(TagsTest, RepositoryWithTagIsRejected) {
  auto tags = ListTags(Loc("reg.test/app:v1"), {}, Options(reg_));
  ASSERT_FALSE(tags.has_value());
  EXPECT_EQ(tags.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(TagsTest, LayoutTagsComeFromIndexJson) {
  auto tags = ListTags(Loc("oci:" + dir_.path() + "/src"), {}, Options(reg_));
  ASSERT_TRUE(tags.has_value()) << tags.error().ToString();
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].tag, "v1");
  EXPECT_EQ((*tags)[0].digest, img_.index.digest);
  auto missing = ListTags(Loc("oci:" + dir_.path() + "/none"), {}, Options(reg_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(TagsTest, TagPutsTheSameBytesAndNoBlob) {
  std::string before = reg_->manifests["app@" + img_.index.digest.ToString()].bytes;
  reg_->ClearLog();
  auto lines = TagImage(Loc("reg.test/app:v1"), {"stable", "1.0"}, Options(reg_));
  ASSERT_TRUE(lines.has_value()) << lines.error().ToString();
  EXPECT_EQ(*lines, (std::vector<std::string>{"reg.test/app:stable@" + img_.index.digest.ToString(),
                                              "reg.test/app:1.0@" + img_.index.digest.ToString()}));
  EXPECT_EQ(reg_->tags["app:stable"], img_.index.digest.ToString());
  EXPECT_EQ(reg_->tags["app:1.0"], img_.index.digest.ToString());
  EXPECT_EQ(reg_->manifests["app@" + img_.index.digest.ToString()].bytes, before);
  for (const auto& r : reg_->log()) {
    EXPECT_EQ(r.path.find("/blobs/"), std::string::npos) << r.method << " " << r.path;
  }
}

// Tagging again is a HEAD per tag (and the source's, unless given by
// digest): nothing written; a tag that names something else is moved.
TEST_F(TagsTest, TagsThatAlreadyNameTheImageAreNotWritten) {
  ASSERT_TRUE(TagImage(Loc("reg.test/app:v1"), {"stable", "1.0"}, Options(reg_)).has_value());
  reg_->ClearLog();
  auto again = TagImage(Loc("reg.test/app:v1"), {"stable", "1.0"}, Options(reg_));
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(*again, (std::vector<std::string>{"reg.test/app:stable@" + img_.index.digest.ToString(),
                                              "reg.test/app:1.0@" + img_.index.digest.ToString()}));
  ASSERT_EQ(reg_->log().size(), 3U);  // the source and the two tags
  for (const auto& r : reg_->log()) EXPECT_EQ(r.method, "HEAD") << r.path;
  reg_->ClearLog();
  auto by_digest =
      TagImage(Loc("reg.test/app@" + img_.index.digest.ToString()), {"stable"}, Options(reg_));
  ASSERT_TRUE(by_digest.has_value()) << by_digest.error().ToString();
  ASSERT_EQ(reg_->log().size(), 1U);
  EXPECT_EQ(reg_->log()[0].path, "/v2/app/manifests/stable");
  // A tag naming another manifest is moved; the one in place is not written.
  reg_->tags["app:1.0"] = img_.manifests[0].digest.ToString();
  reg_->ClearLog();
  auto moved = TagImage(Loc("reg.test/app:v1"), {"stable", "1.0"}, Options(reg_));
  ASSERT_TRUE(moved.has_value()) << moved.error().ToString();
  EXPECT_EQ(reg_->tags["app:1.0"], img_.index.digest.ToString());
  int puts = 0;
  for (const auto& r : reg_->log()) puts += r.method == "PUT" ? 1 : 0;
  EXPECT_EQ(puts, 1);
}

TEST_F(TagsTest, BadTagOrMissingSourceChangesNothing) {
  auto before = reg_->tags;
  auto bad = TagImage(Loc("reg.test/app:v1"), {"ok", "-bad"}, Options(reg_));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  auto missing = TagImage(Loc("reg.test/app:nope"), {"x"}, Options(reg_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(reg_->tags, before);
}

TEST_F(TagsTest, LayoutTagAddsRefNameEntries) {
  std::string d = dir_.path() + "/src";
  auto lines = TagImage(Loc("oci:" + d + ":v1"), {"stable"}, Options(reg_));
  ASSERT_TRUE(lines.has_value()) << lines.error().ToString();
  EXPECT_EQ(*lines,
            std::vector<std::string>{"oci:" + d + ":stable@" + img_.index.digest.ToString()});
  auto layout = OciLayout::Open(d);
  ASSERT_TRUE(layout.has_value());
  auto stable = (*layout)->Resolve("stable");
  ASSERT_TRUE(stable.has_value());
  EXPECT_EQ(stable->digest, img_.index.digest);
  EXPECT_TRUE((*layout)->Resolve("v1").has_value());
  auto missing = TagImage(Loc("oci:" + d + ":nope"), {"x"}, Options(reg_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE((*layout)->Resolve("x").has_value());
}

}  // namespace
}  // namespace ocib
