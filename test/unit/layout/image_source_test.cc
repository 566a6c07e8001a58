// Images read in place from layouts and archives (lib/layout/image_source.cc):
// an OCI archive's documents and blob ranges, IndexTar's member offsets,
// and the archive files that are refused.
#include "lib/layout/image_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocib/inspect.h"
#include "ocib/manifest.h"
#include "ocib/validate.h"

#include "test/testing/test_util.h"
#include "test/unit/layout/archive_fixtures.h"

namespace ocib {
namespace {

using ::ocib::testing::ArchiveTest;
using ::ocib::testing::ExpectRanges;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::ocib::testing::WriteTar;
using ::testing::HasSubstr;

TEST_F(ArchiveTest, OciArchiveReadInPlace) {
  Build({"linux/amd64", "linux/arm64"}, "oci-archive:" + tmp_.path() + "/img.tar:v2");
  auto docs = InspectLayout("oci-archive:" + tmp_.path() + "/img.tar:v2");
  ASSERT_THAT(docs, IsOk());
  ASSERT_EQ(docs->size(), 5u);  // index, two manifests, two configs
  auto index = Index::Parse(docs->front());
  ASSERT_THAT(index, IsOk());
  EXPECT_EQ(index->manifests.size(), 2u);
  auto report = ValidateLocation("oci-archive:" + tmp_.path() + "/img.tar");
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problems, ::testing::IsEmpty());
  EXPECT_GT(report->layers, 0);
  EXPECT_THAT(InspectLayout("oci-archive:" + tmp_.path() + "/img.tar:nope"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("no image tagged \"nope\"")));
  // Ranges of a blob read in place, at their bounds.
  auto archive = Open("oci-archive:" + tmp_.path() + "/img.tar:v2");
  ASSERT_THAT(archive, IsOk());
  const Descriptor& first = index->manifests[0];
  auto bytes = (*archive)->ReadAll(first.digest);
  ASSERT_THAT(bytes, IsOk());
  ExpectRanges(**archive, first.digest, *bytes);
}

// Archive files that are not readable archives: a member path leaving the
// archive, a tar without oci-layout or index.json, bytes that are not a
// tar, a symlink, a directory, a missing file.
TEST_F(ArchiveTest, RefusesBadArchiveFiles) {
  const std::string t = tmp_.path();
  WriteTar(t + "/escape.tar", {{"../manifest.json", "[]"}});
  EXPECT_THAT(Open("docker-archive:" + t + "/escape.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("leaves the archive")));
  WriteTar(t + "/missing.tar",
           {{"manifest.json", R"([{"Config":"c.json","RepoTags":[],"Layers":[]}])"}});
  EXPECT_THAT(Open("oci-archive:" + t + "/missing.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not an OCI archive")));
  WriteFileOrDie(t + "/garbage.tar", std::string(2000, 'x'));
  EXPECT_THAT(Open("docker-archive:" + t + "/garbage.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("tar")));
  ASSERT_EQ(::symlink((t + "/missing.tar").c_str(), (t + "/link.tar").c_str()), 0);
  EXPECT_THAT(Open("docker-archive:" + t + "/link.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("is a symlink")));
  EXPECT_THAT(Open("docker-archive:" + t),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a regular file")));
  EXPECT_THAT(Open("docker-archive:" + t + "/absent.tar"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("does not exist")));
}

TEST_F(ArchiveTest, IndexTarOffsetsPointAtTheData) {
  const std::string file = tmp_.path() + "/x.tar";
  const std::string long_name = std::string(150, 'n') + "/" + std::string(120, 'm');
  WriteTar(file, {{"./a", "hello"}, {long_name, std::string(1000, 'z')}, {"b", ""}});
  int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto members = archive::IndexTar(fd, file);
  ::close(fd);
  ASSERT_THAT(members, IsOk());
  ASSERT_EQ(members->size(), 3u);
  const std::string bytes = ReadFileOrDie(file);
  auto at = [&](const std::string& name) {
    const archive::Member& m = members->at(name);
    return bytes.substr(static_cast<size_t>(m.offset), static_cast<size_t>(m.size));
  };
  EXPECT_EQ(at("a"), "hello");
  EXPECT_EQ(at(long_name), std::string(1000, 'z'));
  EXPECT_EQ(members->at("b").size, 0);
}

}  // namespace
}  // namespace ocib
