// ImageLocation::Parse: every spelling of ocib/image_location.h, and
// SelectImage's defaults.
#include "ocib/image_location.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

struct Row {
  const char* text;
  const char* canonical;  // ToString(); nullptr: kInvalidArgument
  const char* path_or_ref;
  const char* tag;
  bool tag_given;
};

// One row per spelling: its kind is read from the canonical prefix.
const Row kRows[] = {
    {"oci:out", "oci:out", "out", "latest", false},
    {"oci:out:v1", "oci:out:v1", "out", "v1", true},
    {"oci:/abs/dir:v1.2-rc_3", "oci:/abs/dir:v1.2-rc_3", "/abs/dir", "v1.2-rc_3", true},
    {"oci:a:b:v1", "oci:a:b:v1", "a:b", "v1", true},
    {"oci:a:b", "oci:a:b", "a", "b", true},
    {"oci:dir:with/slash", "oci:dir:with/slash", "dir:with/slash", "latest", false},
    {"oci:./rel", "oci:./rel", "./rel", "latest", false},
    {"oci:d:", nullptr, "", "", false},
    {"oci:", nullptr, "", "", false},
    {"oci::v1", nullptr, "", "", false},
    {"oci:d:bad tag", nullptr, "", "", false},
    {"oci:d@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     "oci:d@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "d", "",
     false},
    {"oci:d@sha256:xyz", nullptr, "", "", false},
    {"oci-archive:out.tar", "oci-archive:out.tar", "out.tar", "latest", false},
    {"oci-archive:out.tar:v2", "oci-archive:out.tar:v2", "out.tar", "v2", true},
    {"oci-archive:", nullptr, "", "", false},
    {"oci-archive:x.tar:", nullptr, "", "", false},
    {"docker-archive:img.tar", "docker-archive:img.tar", "img.tar", "", false},
    {"docker-archive:img.tar:app", "docker-archive:img.tar:docker.io/library/app:latest", "img.tar",
     "latest", true},
    {"docker-archive:img.tar:reg.example:5000/team/app:1.0",
     "docker-archive:img.tar:reg.example:5000/team/app:1.0", "img.tar", "1.0", true},
    {"docker-archive:img.tar:", nullptr, "", "", false},
    {"docker-archive::app:1", nullptr, "", "", false},
    {"docker-archive:img.tar:App:1", nullptr, "", "", false},
    {"docker-archive:img.tar:app@sha256:"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     nullptr, "", "", false},
    {"busybox", "docker.io/library/busybox", "docker.io/library/busybox", "", false},
    {"docker://busybox:1", "docker.io/library/busybox:1", "docker.io/library/busybox", "1", true},
    {"127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1", "127.0.0.1:5000/app", "1", true},
    {"localhost/app", "localhost/app", "localhost/app", "", false},
    {"docker://", nullptr, "", "", false},
    {"", nullptr, "", "", false},
    {"Bad/Upper", nullptr, "", "", false},
};

TEST(ImageLocationTest, Table) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(row.text);
    auto loc = ImageLocation::Parse(row.text);
    if (row.canonical == nullptr) {
      EXPECT_THAT(loc, StatusIs(ErrorCode::kInvalidArgument, HasSubstr("")));
      continue;
    }
    ASSERT_THAT(loc, IsOk());
    EXPECT_EQ(loc->ToString(), row.canonical);
    // The canonical spelling parses to the same location.
    auto again = ImageLocation::Parse(loc->ToString());
    ASSERT_THAT(again, IsOk());
    EXPECT_EQ(*again, *loc);
    const std::string canonical = row.canonical;
    if (const auto* l = loc->layout()) {
      EXPECT_TRUE(canonical.starts_with("oci:"));
      EXPECT_EQ(l->path, row.path_or_ref);
      EXPECT_EQ(l->tag, row.tag);
      EXPECT_EQ(l->tag_given, row.tag_given);
    } else if (const auto* a = loc->archive()) {
      EXPECT_EQ(a->kind == ArchiveLocation::Kind::kDocker,
                canonical.starts_with("docker-archive:"));
      EXPECT_EQ(a->path, row.path_or_ref);
      EXPECT_EQ(a->tag, row.tag);
      EXPECT_EQ(a->tag_given, row.tag_given);
    } else {
      ASSERT_NE(loc->registry(), nullptr);
      EXPECT_EQ(loc->registry()->reference.Name(), row.path_or_ref);
      EXPECT_EQ(loc->registry()->reference.tag(), row.tag);
    }
  }
}

TEST(ImageLocationTest, ErrorsNameTheInput) {
  EXPECT_THAT(ImageLocation::Parse("oci:d:"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("\"oci:d:\" ends with ':'")));
  EXPECT_THAT(ImageLocation::Parse("oci-archive:"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("empty path")));
  EXPECT_THAT(ImageLocation::Parse("Bad/Upper"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("\"Bad/Upper\" is not oci:DIR")));
}

TEST(ImageLocationTest, SourceTag) {
  EXPECT_EQ(ImageLocation::Parse("oci:d")->SourceTag(), "");
  EXPECT_EQ(ImageLocation::Parse("oci:d:v1")->SourceTag(), "v1");
  EXPECT_EQ(ImageLocation::Parse("oci-archive:f:v2")->SourceTag(), "v2");
  EXPECT_EQ(ImageLocation::Parse("docker-archive:f:app:v3")->SourceTag(), "v3");
  EXPECT_EQ(ImageLocation::Parse("reg.test/app:v4")->SourceTag(), "v4");
  EXPECT_EQ(ImageLocation::Parse("reg.test/app")->SourceTag(), "");
}

Descriptor Entry(char hex, const std::string& tag, const std::string& artifact_type = "") {
  Descriptor d;
  d.media_type = "application/vnd.oci.image.manifest.v1+json";
  d.digest = Digest::FromSha256Hex(std::string(64, hex));
  d.size = 10;
  if (!tag.empty()) d.annotations[kRefNameAnnotation] = tag;
  d.artifact_type = artifact_type;
  return d;
}

TEST(SelectImageTest, Defaults) {
  Index one;
  one.manifests = {Entry('a', "v1"), Entry('b', "", "application/spdx+json")};
  auto only = SelectImage(one, "latest", false, "", "oci:x");
  ASSERT_THAT(only, IsOk());
  EXPECT_EQ(only->digest, Entry('a', "").digest);

  Index two;
  two.manifests = {Entry('a', "v1"), Entry('b', "latest")};
  auto latest = SelectImage(two, "latest", false, "", "oci:x");
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->digest, Entry('b', "").digest);
  auto v1 = SelectImage(two, "v1", true, "", "oci:x");
  ASSERT_THAT(v1, IsOk());
  EXPECT_EQ(v1->digest, Entry('a', "").digest);
  EXPECT_THAT(SelectImage(two, "v9", true, "", "oci:x"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("no image tagged \"v9\"")));

  auto by_digest = SelectImage(two, "", false, Entry('a', "").digest.ToString(), "oci:x");
  ASSERT_THAT(by_digest, IsOk());
  EXPECT_EQ(by_digest->digest, Entry('a', "").digest);
}

TEST(SelectImageTest, AmbiguousListsTags) {
  Index index;
  index.manifests = {Entry('a', "v1"), Entry('b', "v2"), Entry('c', "")};
  EXPECT_THAT(SelectImage(index, "latest", false, "", "oci:x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("oci:x holds 2 images and none is "
                                                              "tagged latest; name one of its "
                                                              "tags: v1, v2")));
  // One image under several tags is not ambiguous.
  Index same;
  same.manifests = {Entry('a', "v1"), Entry('a', "v2")};
  EXPECT_THAT(SelectImage(same, "latest", false, "", "oci:x"), IsOk());
  Index empty;
  EXPECT_THAT(SelectImage(empty, "latest", false, "", "oci:x"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("holds no image")));
}

}  // namespace
}  // namespace ocib
