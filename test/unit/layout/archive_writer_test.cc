// ArchiveWriter (lib/layout/archive_writer.cc, ocib/archive_writer.h): a
// BlobStore whose blobs become an oci-archive or docker-archive at Commit;
// nothing at the archive's path before, nothing left beside it after, an
// existing file kept when writing fails.
#include "ocib/archive_writer.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"

#include "lib/layout/image_source.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::DirNames;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ArchiveLocation Oci(const std::string& path, const std::string& tag) {
  return ArchiveLocation{ArchiveLocation::Kind::kOci, path, tag, !tag.empty(), ""};
}

ArchiveLocation Docker(const std::string& path, const std::string& repo_tag) {
  return ArchiveLocation{ArchiveLocation::Kind::kDocker, path, "", false, repo_tag};
}

// A one-layer linux/amd64 image put into `store`: its manifest.
Descriptor PutImage(BlobStore& store, const std::string& layer_text) {
  auto layer = store.Put(media_type::kLayerTar, layer_text);
  EXPECT_TRUE(layer.has_value());
  ImageConfig cfg;
  cfg.os = "linux";
  cfg.architecture = "amd64";
  cfg.diff_ids.push_back(layer->digest);
  auto config = store.Put(media_type::kImageConfig, cfg.Serialize());
  EXPECT_TRUE(config.has_value());
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = *config;
  m.layers.push_back(*layer);
  auto manifest = store.Put(media_type::kImageManifest, m.Serialize());
  EXPECT_TRUE(manifest.has_value());
  return *manifest;
}

// An oci-archive lists the root under its tag after the referrers; its
// blobs read back from the archive; nothing is left beside the file.
TEST(ArchiveWriterTest, CommitWritesAnOciArchiveAndLeavesOnlyIt) {
  ScopedTempDir tmp;
  const std::string file = tmp.path() + "/a.tar";
  auto w = ArchiveWriter::Create(Oci(file, "v1"), 0);
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  const Descriptor root = PutImage(**w, "layer bytes");
  auto referrer = (*w)->Put(media_type::kImageManifest, "{\"schemaVersion\":2}");
  ASSERT_TRUE(referrer.has_value());
  EXPECT_FALSE(std::filesystem::exists(file));  // nothing before Commit
  ASSERT_THAT((*w)->Commit(root, {*referrer}), IsOk());
  EXPECT_THAT(DirNames(tmp.path()), ElementsAre("a.tar"));

  auto source = OpenImageSource(ImageLocation{Oci(file, "v1")});
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  auto index = (*source)->ReadIndex();
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 2U);
  EXPECT_EQ(index->manifests[0].digest, referrer->digest);
  EXPECT_FALSE(index->manifests[0].annotations.contains("org.opencontainers.image.ref.name"));
  EXPECT_EQ(index->manifests[1].digest, root.digest);
  EXPECT_EQ(index->manifests[1].annotations.at("org.opencontainers.image.ref.name"), "v1");
  auto layer = (*source)->ReadAll(Digest::Sha256Of("layer bytes"));
  ASSERT_TRUE(layer.has_value()) << layer.error().ToString();
  EXPECT_EQ(*layer, "layer bytes");
  // Used up: any later use is an error, never a write.
  EXPECT_THAT((*w)->Commit(root), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("already")));
  EXPECT_THAT((*w)->Has(root.digest), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("already")));
}

// Blobs are readable (whole and by range) before Commit; a writer dropped
// without Commit leaves nothing, and an existing archive stays as it was.
TEST(ArchiveWriterTest, AWriterDroppedWithoutCommitLeavesTheOldFile) {
  ScopedTempDir tmp;
  const std::string file = tmp.path() + "/a.tar";
  WriteFileOrDie(file, "old archive");
  {
    auto w = ArchiveWriter::Create(Oci(file, ""), 0);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ((*w)->tag(), "latest");
    auto d = (*w)->Put(media_type::kLayerTar, "0123456789");
    ASSERT_TRUE(d.has_value());
    auto has = (*w)->Has(d->digest);
    ASSERT_TRUE(has.has_value());
    EXPECT_TRUE(*has);
    auto range = (*w)->OpenRange(d->digest, 2, 3);
    ASSERT_TRUE(range.has_value());
    char buf[8] = {};
    auto n = (*range)->Read(buf, sizeof(buf));
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(std::string(buf, *n), "234");
    ASSERT_TRUE((*w)->LocalFile(d->digest).has_value());
    EXPECT_EQ(DirNames(tmp.path()).size(), 2U);  // the file and the writer's private layout
  }
  EXPECT_THAT(DirNames(tmp.path()), ElementsAre("a.tar"));
  EXPECT_EQ(ReadFileOrDie(file), "old archive");
}

// A docker-archive holds the root's one image, tagged with its repo:tag;
// a root naming a blob the writer lacks fails Commit, which keeps the old
// file and removes the writer's blobs.
TEST(ArchiveWriterTest, DockerArchiveAndAFailedCommit) {
  ScopedTempDir tmp;
  const std::string file = tmp.path() + "/d.tar";
  auto w = ArchiveWriter::Create(Docker(file, "example.com/app:1"), 0);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ((*w)->tag(), "latest");
  const Descriptor root = PutImage(**w, "docker layer");
  ASSERT_THAT((*w)->Commit(root), IsOk());
  auto source = OpenImageSource(ImageLocation{Docker(file, "")});
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  EXPECT_THAT(ReadFileOrDie(file), HasSubstr("example.com/app:1"));

  const std::string before = ReadFileOrDie(file);
  auto bad = ArchiveWriter::Create(Docker(file, ""), 0);
  ASSERT_TRUE(bad.has_value());
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = DescribeBytes(media_type::kImageConfig, "{}");  // never stored
  auto manifest = (*bad)->Put(media_type::kImageManifest, m.Serialize());
  ASSERT_TRUE(manifest.has_value());
  EXPECT_THAT((*bad)->Commit(*manifest), StatusIs(ErrorCode::kNotFound, HasSubstr(file)));
  EXPECT_EQ(ReadFileOrDie(file), before);
  EXPECT_THAT(DirNames(tmp.path()), ElementsAre("d.tar"));
}

// A directory at the archive's path is refused before anything is made.
TEST(ArchiveWriterTest, ADirectoryIsNotAnArchive) {
  ScopedTempDir tmp;
  std::filesystem::create_directory(tmp.path() + "/dir");
  EXPECT_THAT(ArchiveWriter::Create(Oci(tmp.path() + "/dir", "v1"), 0),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("is a directory")));
  EXPECT_THAT(DirNames(tmp.path()), ElementsAre("dir"));
  EXPECT_TRUE(DirNames(tmp.path() + "/dir").empty());
}

}  // namespace
}  // namespace ocib
